import { isPrivate } from '@libp2p/utils'
import { CODE_P2P, multiaddr } from '@multiformats/multiaddr'
import { Circuit, DNS, IP, WebRTC } from '@multiformats/multiaddr-matcher'
import { linkKind, usable } from '@overmind/protocols'
import type { ComponentLogger, Connection, ConnectionGater, Libp2pEvents, Logger, PeerId, Startable, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, TransportManager } from '@libp2p/interface-internal'
import type { HolePunchReport } from '@overmind/api'

/** The protocol a node speaks when it can take WebRTC links (from `@libp2p/webrtc`) */
const SIGNALING_PROTOCOL = '/webrtc-signaling/0.0.1'

/** First wait before a failed hole punch is tried again; it doubles up to the longest */
const RETRY_FIRST_MS = 15_000
const RETRY_MAX_MS = 30 * 60_000

/** How often relayed links are looked at for a punch that is due */
const CHECK_INTERVAL_MS = 15_000

/** What is known of a peer's punch is forgotten this long after it ended, once no connection to it is open */
const FORGET_AFTER_MS = 60 * 60_000

/**
 * How long a node with a public address leaves a relayed link to DCUtR
 * before it punches: the peer, the inbound side, dials that address (its
 * own dial gives up after 5 s)
 */
const DCUTR_GRACE_MS = 8_000

export interface WebRTCLinksInit {
  /** Longest wait for one punch; the link stays relayed after it */
  timeout: number
}

export interface WebRTCLinksComponents {
  addressManager: Pick<AddressManager, 'getAddresses'>
  connectionManager: ConnectionManager
  transportManager: TransportManager
  connectionGater: ConnectionGater
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

/** Hole-punched WebRTC links to peers reached through relays, as a libp2p service */
export interface WebRTCLinks {
  /** What is known of hole punching each peer tried */
  reports(): Map<string, HolePunchReport>
}

/**
 * Turns a relayed link into a direct WebRTC one. When identify has run on
 * an outbound relayed connection and the peer takes WebRTC links, this node
 * dials the peer's WebRTC address behind the same relay: the relayed
 * connection carries the signalling (SDP offer and answer, ICE candidates),
 * ICE finds a UDP path between the two NATs with the STUN servers of the
 * mesh's relays, and once the WebRTC link is up the relayed one is closed.
 * Only the side that opened the relayed connection punches, so two nodes do
 * not race to build two links. A node that announces a public address (a
 * port forward) first leaves the link to DCUtR: the peer dials that address
 * and closes the relayed link, which needs no UDP and no STUN; the punch
 * follows only if no direct link came of it.
 *
 * A punch that fails (a port-randomising NAT, UDP blocked) ends at our own
 * timeout; the link stays relayed and the reason is kept for `peers` and the
 * page. It is tried again later, waiting longer after each failure.
 */
class WebRTCLinksService implements WebRTCLinks, Startable {
  private readonly components: WebRTCLinksComponents
  private readonly init: WebRTCLinksInit
  private readonly log: Logger
  private readonly state = new Map<string, HolePunchReport & { peer: PeerId, retryAt: number }>()
  /** Peers whose relayed link is left to DCUtR, until when */
  private readonly dcutrUntil = new Map<string, number>()
  private readonly shutdown = new AbortController()
  private timer?: ReturnType<typeof setInterval>

  constructor (components: WebRTCLinksComponents, init: WebRTCLinksInit) {
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('overmind:webrtc-links')
    this.onIdentify = this.onIdentify.bind(this)
    this.onOpen = this.onOpen.bind(this)
  }

  readonly [Symbol.toStringTag] = 'overmind/webrtc-links'

  async start (): Promise<void> {
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.components.events.addEventListener('connection:open', this.onOpen)
    this.timer = setInterval(() => { this.check() }, CHECK_INTERVAL_MS)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    this.shutdown.abort()
    clearInterval(this.timer)
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.components.events.removeEventListener('connection:open', this.onOpen)
  }

  reports (): Map<string, HolePunchReport> {
    return new Map([...this.state].map(([key, { peer, retryAt, ...report }]) => [key, report]))
  }

  private onIdentify (evt: CustomEvent<{ connection: Connection, protocols: string[] }>): void {
    const { connection, protocols } = evt.detail
    if (!protocols.includes(SIGNALING_PROTOCOL)) return
    this.consider(connection)
  }

  /**
   * The side that takes a punch opens its WebRTC link once the signalling
   * is done, which may be before ICE has found a path. When the dialler
   * gives up, that link never carries anything, yet it would take every new
   * stream to the peer: one whose ICE is not connected within the punch's
   * timeout is closed.
   */
  private onOpen (evt: CustomEvent<Connection>): void {
    const connection = evt.detail
    if (linkKind(connection) !== 'hole-punched') return
    const pc = (connection as any).maConn?.peerConnection
    if (pc == null || pc.connectionState === 'connected') return
    const check = (): void => {
      if (pc.connectionState === 'connected' || connection.status !== 'open') return
      this.log('closing a WebRTC link to %p whose ICE is %s after %d ms', connection.remotePeer, pc.connectionState, this.init.timeout)
      connection.abort(new Error(`ICE is ${String(pc.connectionState)}, not connected`))
    }
    setTimeout(check, this.init.timeout).unref()
  }

  /** Relayed links whose punch is due again; what is known of peers long gone is forgotten */
  private check (): void {
    const now = Date.now()
    for (const [key, known] of this.state) {
      if (known.state === 'trying' || now - known.at < FORGET_AFTER_MS) continue
      if (this.components.connectionManager.getConnections(known.peer).length === 0) this.state.delete(key)
    }
    for (const [key, until] of this.dcutrUntil) {
      if (now - until > FORGET_AFTER_MS) this.dcutrUntil.delete(key)
    }
    for (const connection of this.components.connectionManager.getConnections()) this.consider(connection)
  }

  private consider (connection: Connection): void {
    if (this.shutdown.signal.aborted || connection.status !== 'open' || connection.direction !== 'outbound' || linkKind(connection) !== 'relayed') return
    const peer = connection.remotePeer
    const key = peer.toString()
    // a peer already reached without a relay needs no punch, nor this relayed connection
    if (this.components.connectionManager.getConnections(peer).some(c => usable(c) && linkKind(c) !== 'relayed')) {
      connection.close({ signal: AbortSignal.timeout(2_000) }).catch(() => { connection.abort(new Error('the peer is reached without the relay')) })
      return
    }
    // a link punched before and since lost (the peer restarted, the NAT forgot it) is punched again at once
    const known = this.state.get(key)
    if (known != null && (known.state === 'trying' || (known.state === 'failed' && Date.now() < known.retryAt))) return
    // reachable at a public address: the peer's DCUtR dials it, a punch would only race it
    if (known == null && this.reachable()) {
      const until = this.dcutrUntil.get(key)
      if (until == null) {
        this.dcutrUntil.set(key, Date.now() + DCUTR_GRACE_MS)
        this.log('leaving the relayed link to %p to DCUtR for %d ms: this node has a public address', peer, DCUTR_GRACE_MS)
        setTimeout(() => { this.consider(connection) }, DCUTR_GRACE_MS).unref()
        return
      }
      if (Date.now() < until) return
    }
    void this.punch(connection, peer, known?.attempts ?? 0)
  }

  /** Whether this node announces an address a peer can dial without a relay */
  private reachable (): boolean {
    return this.components.addressManager.getAddresses().some(ma =>
      !Circuit.matches(ma) && !WebRTC.matches(ma) && (DNS.matches(ma) || (IP.matches(ma) && isPrivate(ma) !== true))
    )
  }

  private async punch (relayed: Connection, peer: PeerId, attempts: number): Promise<void> {
    const key = peer.toString()
    const started = Date.now()
    this.state.set(key, { peer, state: 'trying', at: started, attempts: attempts + 1, retryAt: Infinity })
    // <relay>/p2p/<relay id>/p2p-circuit/p2p/<peer> → …/p2p-circuit/webrtc/p2p/<peer>: signalled over the relayed link
    const target = multiaddr(`${relayed.remoteAddr.decapsulateCode(CODE_P2P).toString()}/webrtc/p2p/${key}`)
    const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.init.timeout)])
    try {
      if (await this.components.connectionGater.denyDialMultiaddr?.(target) === true) throw new Error('this node\'s connection gater refuses WebRTC dials to the peer')
      // straight to the transport: libp2p's dial queue would join a dial to the same peer
      // already under way (a relayed one) and hand back its connection
      const link = await this.components.transportManager.dial(target, { signal })
      if (linkKind(link) !== 'hole-punched') throw new Error(`the dial ended on a ${linkKind(link)} connection`)
      const ms = Date.now() - started
      this.state.set(key, { peer, state: 'hole-punched', at: Date.now(), ms, attempts: attempts + 1, retryAt: 0 })
      this.log('hole-punched a WebRTC link to %p in %d ms (%s)', peer, ms, icePair(link) ?? 'no ICE pair')
      // the relay's slot and bandwidth are no longer needed for this peer
      await relayed.close({ signal: AbortSignal.timeout(2_000) }).catch(() => { relayed.abort(new Error('replaced by a WebRTC link')) })
    } catch (err: any) {
      if (this.shutdown.signal.aborted) return
      const reason = signal.aborted && !this.shutdown.signal.aborted
        ? `no UDP path found within ${this.init.timeout} ms (a NAT that changes ports per destination, or UDP blocked)`
        : String(err.message ?? err)
      const wait = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempts)
      this.state.set(key, { peer, state: 'failed', reason, at: Date.now(), ms: Date.now() - started, attempts: attempts + 1, retryAt: Date.now() + wait })
      this.log('no WebRTC link to %p: %s; stays relayed, next try in %d s', peer, reason, Math.round(wait / 1000))
    }
  }
}

/**
 * The ICE candidate pair a WebRTC link uses, as `local → remote` (`host`:
 * an interface address, `srflx`/`prflx`: an address outside a NAT, `relay`:
 * through TURN), or undefined for other links
 */
export function icePair (connection: Connection): string | undefined {
  const pc = (connection as any).maConn?.peerConnection
  if (pc == null || typeof pc.selectedCandidatePair !== 'function') return undefined
  const pair = pc.selectedCandidatePair()
  if (pair == null) return undefined
  const side = (c: { type: string, address: string, port: number }): string => `${c.type} ${c.address.includes(':') ? `[${c.address}]` : c.address}:${c.port}`
  return `${side(pair.local)} → ${side(pair.remote)}`
}

export function webRTCLinks (init: WebRTCLinksInit): (components: WebRTCLinksComponents) => WebRTCLinks {
  return (components) => new WebRTCLinksService(components, init)
}
