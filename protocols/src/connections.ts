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

/** The open connection a new stream to a peer should use: direct, then hole-punched, then relayed */
export function bestConnection (connections: Connection[]): Connection | undefined {
  let best: Connection | undefined
  for (const connection of connections) {
    if (connection.status !== 'open') continue
    if (best == null || PREFERENCE[linkKind(connection)] < PREFERENCE[linkKind(best)]) best = connection
  }
  return best
}

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
  const best = bestConnection(connections.getConnections(peer))
  if (best != null) return await best.newStream(protocol, { ...options, runOnLimitedConnection: true })
  return await connections.openStream(peer, protocol, { ...options, runOnLimitedConnection: true })
}
