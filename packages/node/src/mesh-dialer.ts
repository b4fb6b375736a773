import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Identify } from '@libp2p/identify'
import type { ComponentLogger, Connection, IdentifyResult, Libp2pEvents, Logger, PeerId, PeerInfo, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface MeshDialerInit {
  /** Bootstrap multiaddrs, each ending in /p2p/<peer id> */
  bootstrap?: string[]
  /** Keep dialling discovered and known peers until this many are connected */
  targetPeers?: number
  /** Longest pause between two rounds of dials while under target */
  rejoinInterval?: number
  /** Bootstrap rounds that must fail before `bootstrap:failed` is raised */
  failedRoundsBeforeWarning?: number
  /**
   * How long a new connection may stay unidentified before identify is run
   * again on it; after `identifyAttempts` failed attempts it is closed, so
   * the peer is dialled afresh
   */
  identifyGrace?: number
  identifyAttempts?: number
}

export interface MeshDialerComponents {
  peerId: PeerId
  peerStore: PeerStore
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  identify?: Pick<Identify, 'identify'>
  pubsub?: { getPeers(): PeerId[], protocols?: string[] }
}

export interface BootstrapFailure {
  rounds: number
  errors: Array<{ address: string, error: string }>
  /**
   * Whether any of the failing bootstrap peers ever completed a handshake
   * with this node: if one did, the node has the mesh's key and the peers
   * are down or unreachable; if none did, the key may differ
   */
  handshakeSeen: boolean
}

export interface MeshDialerEvents {
  /** Every bootstrap peer failed to answer for several rounds in a row */
  'bootstrap:failed': CustomEvent<BootstrapFailure>
}

const FIRST_RETRY = 500
const DIAL_TIMEOUT = 10_000
const DIALS_PER_ROUND = 8
/** libp2p's identify gives up after 5 s and never retries */
const IDENTIFY_GRACE = 7_000
const IDENTIFY_ATTEMPTS = 3
const IDENTIFY_TIMEOUT = 15_000
/** A peer must be missing from gossipsub this many rounds in a row before it is reported again */
const GOSSIP_MISSING_ROUNDS = 3
/** Peers reported again to gossipsub per round at most: a busy node is not made busier */
const GOSSIP_REPAIRS_PER_ROUND = 4

/**
 * Keeps a node joined to its mesh: dials the bootstrap list with backoff
 * until one answers (libp2p's bootstrap module dials only once), dials peers
 * discovered by the DHT, mDNS or heartbeats while under `targetPeers`, and
 * after a restart dials the peers it knew from the persisted peer store, so
 * a node rejoins without being told its peers again.
 *
 * It also watches that every connection gets identified. libp2p runs
 * identify once when a connection opens and gives up after a few seconds;
 * on a busy machine that can fail while the connection itself lives on, and
 * a connection that was never identified is invisible to gossipsub and the
 * DHT (their topologies wait for the peer's protocols), so the node stays
 * "connected" yet deaf. Such a connection is identified again, and closed
 * (then dialled afresh) if that keeps failing.
 */
export class MeshDialer extends TypedEventEmitter<MeshDialerEvents> implements Startable {
  private readonly components: MeshDialerComponents
  private readonly log: Logger
  private readonly bootstrap: Array<{ peerId: PeerId, address: Multiaddr }>
  private readonly targetPeers: number
  private readonly rejoinInterval: number
  private readonly failedRoundsBeforeWarning: number
  private readonly dialing = new Set<string>()
  /** Peers that completed a handshake with this node since it started */
  private readonly met = new Set<string>()
  private timer?: ReturnType<typeof setTimeout>
  private readonly identifyGrace: number
  private readonly identifyAttempts: number
  /** Connections not identified yet, by connection id */
  private readonly unidentified = new Map<string, ReturnType<typeof setTimeout>>()
  /** Connected peers missing from gossipsub, with the rounds they were missing in */
  private readonly gossipMissing = new Map<string, number>()
  private delay = FIRST_RETRY
  private failedRounds = 0
  private warned = false
  private shutdown?: AbortController

  constructor (components: MeshDialerComponents, init: MeshDialerInit = {}) {
    super()
    this.components = components
    this.log = components.logger.forComponent('overmind:mesh-dialer')
    this.bootstrap = (init.bootstrap ?? []).map(str => {
      const address = multiaddr(str)
      const id = address.getComponents().findLast(c => c.name === 'p2p')?.value
      if (id == null) {
        throw new TypeError(`bootstrap address ${str} does not end with /p2p/<peer id>`)
      }
      return { peerId: peerIdFromString(id), address }
    }).filter(b => !b.peerId.equals(components.peerId))
    this.targetPeers = init.targetPeers ?? 24
    this.rejoinInterval = init.rejoinInterval ?? 10_000
    this.failedRoundsBeforeWarning = init.failedRoundsBeforeWarning ?? 2
    this.identifyGrace = init.identifyGrace ?? IDENTIFY_GRACE
    this.identifyAttempts = init.identifyAttempts ?? IDENTIFY_ATTEMPTS
    this.onDiscovery = this.onDiscovery.bind(this)
    this.onConnection = this.onConnection.bind(this)
    this.onIdentify = this.onIdentify.bind(this)
    this.onClose = this.onClose.bind(this)
  }

  readonly [Symbol.toStringTag] = '@overmind/mesh-dialer'

  async start (): Promise<void> {
    this.shutdown = new AbortController()
    this.components.events.addEventListener('peer:discovery', this.onDiscovery)
    this.components.events.addEventListener('connection:open', this.onConnection)
    this.components.events.addEventListener('connection:close', this.onClose)
    this.components.events.addEventListener('peer:identify', this.onIdentify)
  }

  afterStart (): void {
    this.schedule(0)
  }

  async stop (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    this.shutdown?.abort()
    this.components.events.removeEventListener('peer:discovery', this.onDiscovery)
    this.components.events.removeEventListener('connection:open', this.onConnection)
    this.components.events.removeEventListener('connection:close', this.onClose)
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    for (const timer of this.unidentified.values()) {
      clearTimeout(timer)
    }
    this.unidentified.clear()
    this.gossipMissing.clear()
  }

  /** A connection is open only after the pre-shared key and noise handshakes both passed */
  private onConnection (evt: CustomEvent<Connection>): void {
    const connection = evt.detail
    this.met.add(connection.remotePeer.toString())
    if (this.components.identify != null) {
      this.watchIdentify(connection, 1)
    }
  }

  private onIdentify (evt: CustomEvent<IdentifyResult>): void {
    this.forget(evt.detail.connection.id)
  }

  private onClose (evt: CustomEvent<Connection>): void {
    this.forget(evt.detail.id)
  }

  private forget (connectionId: string): void {
    clearTimeout(this.unidentified.get(connectionId))
    this.unidentified.delete(connectionId)
  }

  /**
   * Gossipsub drops a peer when one of its streams to it errors (a reset, a
   * duplicate connection closing) and only adds it back when libp2p reports
   * the peer again, which does not happen while the connection stays open:
   * the node is connected but hears nothing from that peer. A peer that
   * speaks gossipsub, is connected and is missing from gossipsub's peers in
   * three rounds in a row is identified again (a few per round), which
   * reports it to gossipsub (and the DHT) as a fresh connection.
   */
  private async repairGossip (signal: AbortSignal): Promise<void> {
    const { pubsub, identify } = this.components
    if (pubsub == null || identify == null) {
      return
    }
    const known = new Set(pubsub.getPeers().map(p => p.toString()))
    const missing = new Map<string, Connection>()
    for (const connection of this.components.connectionManager.getConnections()) {
      const id = connection.remotePeer.toString()
      // relayed (limited) connections count too: gossipsub runs on them
      if (connection.status !== 'open' || known.has(id) || missing.has(id) || this.unidentified.has(connection.id)) {
        continue
      }
      missing.set(id, connection)
    }
    for (const id of [...this.gossipMissing.keys()]) {
      if (!missing.has(id)) {
        this.gossipMissing.delete(id)
      }
    }
    const due: Array<[string, Connection]> = []
    for (const [id, connection] of missing) {
      const rounds = (this.gossipMissing.get(id) ?? 0) + 1
      this.gossipMissing.set(id, rounds)
      if (rounds >= GOSSIP_MISSING_ROUNDS && due.length < GOSSIP_REPAIRS_PER_ROUND) {
        due.push([id, connection])
      }
    }
    await Promise.all(due.map(async ([id, connection]) => {
      if (!await this.speaksGossip(connection.remotePeer)) {
        return
      }
      this.gossipMissing.delete(id)
      this.log('%p is connected but unknown to gossipsub, identifying it again', connection.remotePeer)
      await identify.identify(connection, { signal: AbortSignal.any([signal, AbortSignal.timeout(IDENTIFY_TIMEOUT)]) })
        .catch(err => { this.log('identify of %p failed - %e', connection.remotePeer, err) })
    }))
  }

  private async speaksGossip (peerId: PeerId): Promise<boolean> {
    try {
      const peer = await this.components.peerStore.get(peerId)
      const codecs = this.components.pubsub?.protocols ?? []
      return peer.protocols.some(p => codecs.length > 0 ? codecs.includes(p) : p.startsWith('/meshsub/'))
    } catch {
      return false
    }
  }

  /** Identifies `connection` again if nothing has identified it in time */
  private watchIdentify (connection: Connection, attempt: number): void {
    const timer = setTimeout(() => {
      if (!this.unidentified.has(connection.id)) {
        return
      }
      if (connection.status !== 'open') {
        this.forget(connection.id)
        return
      }
      if (attempt > this.identifyAttempts) {
        this.forget(connection.id)
        this.log('connection %s to %p was never identified, closing it', connection.id, connection.remotePeer)
        connection.close().catch(err => { connection.abort(err) })
        return
      }
      this.log('connection %s to %p not identified, identify attempt %d', connection.id, connection.remotePeer, attempt)
      const signal = AbortSignal.any([this.shutdown!.signal, AbortSignal.timeout(IDENTIFY_TIMEOUT)])
      this.components.identify!.identify(connection, { signal })
        .catch(err => {
          this.log('identify of %p failed - %e', connection.remotePeer, err)
          if (this.unidentified.has(connection.id)) {
            this.watchIdentify(connection, attempt + 1)
          }
        })
    }, attempt === 1 ? this.identifyGrace : Math.min(this.identifyGrace * attempt, 30_000))
    timer.unref?.()
    this.unidentified.set(connection.id, timer)
  }

  /** Peers connected now */
  connectedPeers (): number {
    return new Set(this.components.connectionManager.getConnections().filter(c => c.status === 'open').map(c => c.remotePeer.toString())).size
  }

  private schedule (delay: number): void {
    if (this.shutdown?.signal.aborted !== false) {
      return
    }
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.round().catch(err => { this.log.error('dial round failed - %e', err) })
    }, delay)
  }

  /** One round: bootstrap peers first, then known peers, until at target */
  private async round (): Promise<void> {
    const signal = this.shutdown?.signal
    if (signal == null || signal.aborted) {
      return
    }
    if (this.connectedPeers() < this.targetPeers) {
      const bootstrapErrors = await this.dialBootstrap(signal)
      if (this.connectedPeers() < this.targetPeers) {
        await this.dialKnownPeers(signal)
      }
      this.noteBootstrapResult(bootstrapErrors)
    }
    await this.repairGossip(signal).catch(err => { this.log.error('gossip repair failed - %e', err) })
    // back off while nothing changes, up to rejoinInterval
    this.delay = this.connectedPeers() === 0 ? Math.min(this.delay * 2, this.rejoinInterval) : this.rejoinInterval
    this.schedule(this.delay)
  }

  private async dialBootstrap (signal: AbortSignal): Promise<Array<{ address: string, error: string }> | undefined> {
    const pending = this.bootstrap.filter(b => !this.isConnected(b.peerId))
    if (pending.length === 0) {
      return undefined
    }
    const errors: Array<{ address: string, error: string }> = []
    await Promise.all(pending.map(async ({ address }) => {
      const err = await this.dial(address, signal)
      if (err != null) {
        errors.push({ address: address.toString(), error: err })
      }
    }))
    return errors.length === pending.length && this.connectedPeers() === 0 ? errors : []
  }

  private noteBootstrapResult (errors: Array<{ address: string, error: string }> | undefined): void {
    if (errors == null || errors.length === 0) {
      this.failedRounds = 0
      this.warned = false
      return
    }
    this.failedRounds++
    if (this.failedRounds >= this.failedRoundsBeforeWarning && !this.warned) {
      this.warned = true
      const handshakeSeen = this.bootstrap.some(b => this.met.has(b.peerId.toString()))
      this.safeDispatchEvent('bootstrap:failed', { detail: { rounds: this.failedRounds, errors, handshakeSeen } })
    }
  }

  /** Peers from the persisted peer store, most recently updated first */
  private async dialKnownPeers (signal: AbortSignal): Promise<void> {
    const peers = await this.components.peerStore.all({
      filters: [p => p.addresses.length > 0 && !this.isConnected(p.id) && !p.id.equals(this.components.peerId)]
    })
    const wanted = Math.min(DIALS_PER_ROUND, this.targetPeers - this.connectedPeers())
    await Promise.all(peers.slice(0, Math.max(wanted, 0)).map(async peer => this.dial(peer.id, signal)))
  }

  private onDiscovery (evt: CustomEvent<PeerInfo>): void {
    if (this.wants(evt.detail.id)) {
      void this.dial(evt.detail.id, this.shutdown!.signal)
    }
  }

  private wants (id: PeerId): boolean {
    return this.shutdown?.signal.aborted === false &&
      !id.equals(this.components.peerId) &&
      !this.isConnected(id) &&
      this.connectedPeers() < this.targetPeers
  }

  /** Dials once; returns the error message, or undefined on success */
  private async dial (target: PeerId | Multiaddr, signal: AbortSignal): Promise<string | undefined> {
    const key = target.toString()
    if (this.dialing.has(key)) {
      return undefined
    }
    this.dialing.add(key)
    try {
      await this.components.connectionManager.openConnection(target, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(DIAL_TIMEOUT)])
      })
      return undefined
    } catch (err: any) {
      this.log('dial %s failed - %e', key, err)
      return describeDialError(err)
    } finally {
      this.dialing.delete(key)
    }
  }

  /**
   * A connection that is closing or aborted can still be listed for a while
   * (libp2p removes it on its close event): it does not count, or a node
   * whose only link died would never dial again
   */
  private isConnected (peerId: PeerId): boolean {
    return this.components.connectionManager.getConnections(peerId).some(c => c.status === 'open')
  }
}

function describeDialError (err: any): string {
  const inner = err?.errors?.[0] ?? err
  return `${inner?.name ?? 'Error'}: ${inner?.message ?? String(err)}`
}

export function meshDialer (init: MeshDialerInit = {}): (components: MeshDialerComponents) => MeshDialer {
  return (components) => new MeshDialer(components, init)
}
