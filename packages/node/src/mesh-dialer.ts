import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, PeerInfo, PeerStore, Startable, TypedEventTarget } from '@libp2p/interface'
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
}

export interface MeshDialerComponents {
  peerId: PeerId
  peerStore: PeerStore
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
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

/**
 * Keeps a node joined to its mesh: dials the bootstrap list with backoff
 * until one answers (libp2p's bootstrap module dials only once), dials peers
 * discovered by the DHT, mDNS or heartbeats while under `targetPeers`, and
 * after a restart dials the peers it knew from the persisted peer store, so
 * a node rejoins without being told its peers again.
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
    this.onDiscovery = this.onDiscovery.bind(this)
    this.onConnection = this.onConnection.bind(this)
  }

  readonly [Symbol.toStringTag] = '@overmind/mesh-dialer'

  async start (): Promise<void> {
    this.shutdown = new AbortController()
    this.components.events.addEventListener('peer:discovery', this.onDiscovery)
    this.components.events.addEventListener('connection:open', this.onConnection)
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
  }

  /** A connection is open only after the pre-shared key and noise handshakes both passed */
  private onConnection (evt: CustomEvent<Connection>): void {
    this.met.add(evt.detail.remotePeer.toString())
  }

  /** Peers connected now */
  connectedPeers (): number {
    return new Set(this.components.connectionManager.getConnections().map(c => c.remotePeer.toString())).size
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

  private isConnected (peerId: PeerId): boolean {
    return this.components.connectionManager.getConnections(peerId).length > 0
  }
}

function describeDialError (err: any): string {
  const inner = err?.errors?.[0] ?? err
  return `${inner?.name ?? 'Error'}: ${inner?.message ?? String(err)}`
}

export function meshDialer (init: MeshDialerInit = {}): (components: MeshDialerComponents) => MeshDialer {
  return (components) => new MeshDialer(components, init)
}
