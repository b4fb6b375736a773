import type { AbortOptions, Connection, PeerId, Stream } from '@libp2p/interface'

/**
 * How a connection reaches its peer: `direct` (TCP or WebSockets, straight
 * to the peer), `hole-punched` (WebRTC: signalled through a relay, its data
 * straight between the two peers over UDP) or `relayed` (every byte through
 * a circuit relay, within the relay's limits)
 */
export type LinkKind = 'direct' | 'hole-punched' | 'relayed'

export function linkKind (connection: Pick<Connection, 'remoteAddr' | 'limits'>): LinkKind {
  const address = connection.remoteAddr.toString()
  // a WebRTC link dialled through a relay keeps the relay in its address: /…/p2p-circuit/webrtc/p2p/<peer>
  if (address.includes('/webrtc')) return 'hole-punched'
  return connection.limits != null || address.includes('/p2p-circuit') ? 'relayed' : 'direct'
}

const PREFERENCE: Record<LinkKind, number> = { direct: 0, 'hole-punched': 1, relayed: 2 }

/**
 * Whether a link carries data: open, and for a WebRTC link, its ICE
 * connected. The side that answers a punch has its link before ICE has
 * found a path, and a link whose ICE never does is open until the punch's
 * timeout closes it: a stream on it would end without an answer.
 */
export function usable (connection: Connection): boolean {
  if (connection.status !== 'open') return false
  if (linkKind(connection) !== 'hole-punched') return true
  const state = (connection as any).maConn?.peerConnection?.connectionState
  return state == null || state === 'connected'
}

/** The usable connections to a peer, best first: direct, then hole-punched, then relayed */
export function rankConnections (connections: Connection[]): Connection[] {
  return connections
    .filter(usable)
    .sort((a, b) => PREFERENCE[linkKind(a)] - PREFERENCE[linkKind(b)])
}

/** The open connection a new stream to a peer should use: direct, then hole-punched, then relayed */
export function bestConnection (connections: Connection[]): Connection | undefined {
  return rankConnections(connections)[0]
}

/** How long `linkTakenOver` waits for a link whose stream ended to close */
const LINK_CLOSE_WAIT = 1_000

/**
 * Whether another link to the peer took over from `used` once a request on
 * it failed: `used` closed and another is open, or a better one is open
 * (direct, then hole-punched, then relayed). A relayed link that DCUtR
 * replaces is closed by the side that upgraded it, with the streams it
 * carries. With no other link open the peer may be gone: a caller should
 * not dial for it. A stream that ended (EOF, not a reset) on a link still
 * open waits a moment: the side closing a link ends its streams before
 * the link itself.
 */
export async function linkTakenOver (current: () => Connection[], used: Connection, err: Error, signal?: AbortSignal): Promise<boolean> {
  const takenOver = (): boolean => {
    const others = current().filter(c => c !== used)
    if (bestConnection(others) == null) return false
    return used.status !== 'open' || bestConnection([used, ...others]) !== used
  }
  if (takenOver()) return true
  if (err.name !== 'UnexpectedEOFError') return false
  const until = Date.now() + LINK_CLOSE_WAIT
  while (Date.now() < until && signal?.aborted !== true) {
    await new Promise(resolve => setTimeout(resolve, 50))
    if (takenOver()) return true
  }
  return false
}

/** Dials `openStream` makes when the connection of a dial closes as it opens */
const OPEN_ATTEMPTS = 2

/** What `openStream` needs of libp2p's connection manager */
export interface StreamOpener {
  getConnections(peer?: PeerId): Connection[]
  openStream(peer: PeerId, protocol: string, options?: AbortOptions & { runOnLimitedConnection?: boolean }): Promise<Stream>
}

/**
 * Opens a stream of `protocol` to `peer` on the best open connection, so a
 * protocol moves to a direct or hole-punched link as soon as one is up; with
 * no connection open, libp2p dials one. Relayed connections may carry the
 * stream: every Overmind protocol runs within a relay's limits.
 *
 * libp2p's own `openStream` dials again whenever every open connection is
 * limited (relayed), building a new circuit for each stream.
 */
export async function openStream (connections: StreamOpener, peer: PeerId, protocol: string, options: AbortOptions = {}): Promise<Stream> {
  for (let attempt = 1; ; attempt++) {
    // a link that broke without closing yet (a WebRTC link whose ICE failed) refuses the
    // stream: the next best one takes it
    for (const connection of rankConnections(connections.getConnections(peer))) {
      try {
        return await connection.newStream(protocol, { ...options, runOnLimitedConnection: true })
      } catch {
        options.signal?.throwIfAborted()
      }
    }
    try {
      return await connections.openStream(peer, protocol, { ...options, runOnLimitedConnection: true })
    } catch (err: any) {
      // the dial's connection closed as it opened: two peers that dial each other at once
      // through a relay, or a link that an upgrade replaced in that moment. Nothing was sent
      // on it; the links open now (or one more dial) get the stream
      if (err?.name !== 'ConnectionClosedError' || attempt >= OPEN_ATTEMPTS) throw err
      options.signal?.throwIfAborted()
    }
  }
}
