import { Zone } from '@overmind/protocols'
import { zoneName, zoneOfBytes } from './entry.js'
import { ZoneViolationError } from './errors.js'

/**
 * The one way out for memory entries: every entry a node sends (gossip, sync
 * pages, query results) passes here as the encoded SignedEntry it is. The
 * zone is read from those very bytes, so what is checked is what is sent; an
 * entry of the private zone, of a zone this node does not replicate, or
 * whose zone cannot be read, throws instead of being returned.
 */
export function outboundEntry (bytes: Uint8Array, replicatedZones: readonly Zone[]): Uint8Array<ArrayBuffer> {
  const zone = zoneOfBytes(bytes)
  if (zone === Zone.PRIVATE || !replicatedZones.includes(zone)) {
    throw new ZoneViolationError(`refusing to send a ${zoneName(zone)}-zone entry to a peer`)
  }
  return bytes as Uint8Array<ArrayBuffer>
}
