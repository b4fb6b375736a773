import { linkKind, rankConnections } from '@overmind/protocols'
import type { ComponentLogger, Connection, Libp2pEvents, Logger, PeerId, Startable, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager } from '@libp2p/interface-internal'

/** How often the links of every peer are looked at again, for extras that were busy */
const CHECK_INTERVAL_MS = 5_000

/**
 * Streams that live as long as their connection and carry nothing a close
 * would cut short: a link that has only these is idle
 */
const LONG_LIVED = ['/meshsub/', '/floodsub/', '/ipfs/id/', '/ipfs/ping/']

export interface LinkTidyComponents {
  peerId: PeerId
  connectionManager: ConnectionManager
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

/**
 * Keeps one link per peer. Upgrades race: a stream opened in the moment a
 * relayed link closes for a direct one dials the relay again, and DCUtR
 * then upgrades that second relayed link to a second direct one; a punch
 * and a DCUtR upgrade can both succeed. Once a peer has a link that does
 * not go through a relay, every other link to it is closed, the best one
 * (direct, then hole-punched, the oldest among equals) kept, but only when
 * the extra link is idle, so no run or sync on it is cut short; a busy one
 * is looked at again later. The relayed link of a punch is left to the
 * side that punched (see webrtc-links). Only the side with the smaller peer
 * id closes, so the two ends never each close a different link.
 */
class LinkTidyService implements Startable {
  private readonly components: LinkTidyComponents
  private readonly log: Logger
  private timer?: ReturnType<typeof setInterval>

  constructor (components: LinkTidyComponents) {
    this.components = components
    this.log = components.logger.forComponent('overmind:link-tidy')
    this.onIdentify = this.onIdentify.bind(this)
  }

  readonly [Symbol.toStringTag] = 'overmind/link-tidy'

  async start (): Promise<void> {
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.timer = setInterval(() => {
      const peers = new Map(this.components.connectionManager.getConnections().map(c => [c.remotePeer.toString(), c.remotePeer]))
      for (const peer of peers.values()) this.tidy(peer)
    }, CHECK_INTERVAL_MS)
    this.timer.unref()
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
  }

  private onIdentify (evt: CustomEvent<{ peerId: PeerId }>): void {
    this.tidy(evt.detail.peerId)
  }

  private tidy (peer: PeerId): void {
    if (this.components.peerId.toString() > peer.toString()) return
    // the ranking's sort is stable: the oldest first among links of one kind
    const links = rankConnections(this.components.connectionManager.getConnections(peer).slice().sort((a, b) => a.timeline.open - b.timeline.open))
    // ranked links are usable: a WebRTC link among them has its ICE connected, so the relayed
    // link no longer carries the ICE candidates
    if (links.length < 2 || linkKind(links[0]) === 'relayed') return
    for (const extra of links.slice(1)) {
      // a punch's relayed link is closed by the side that punched, once its own end of the
      // WebRTC link is up: closed from here, it could still be carrying that side's signalling
      if (linkKind(links[0]) === 'hole-punched' && linkKind(extra) === 'relayed') continue
      if (!idle(extra)) continue
      this.log('closing an extra %s link to %p (%a): it has a %s one', linkKind(extra), peer, extra.remoteAddr, linkKind(links[0]))
      extra.close({ signal: AbortSignal.timeout(2_000) }).catch(() => { extra.abort(new Error('an extra link to the peer')) })
    }
  }
}

function idle (connection: Connection): boolean {
  return connection.streams.every(stream => LONG_LIVED.some(prefix => stream.protocol?.startsWith(prefix) === true))
}

/** Closes the extra links to a peer once it is reached without a relay, as a libp2p service */
export function linkTidy (): (components: LinkTidyComponents) => Startable {
  return (components) => new LinkTidyService(components)
}
