import { Chunk, EntryKind, Event, SignedEntry, Zone } from '@overmind/protocols'
import { zoneName } from './entry.js'
import { ZoneViolationError } from './errors.js'

/**
 * The one way out for memory entries: every entry a node sends (gossip, sync
 * pages, query results) passes here. An entry of the private zone, or of a
 * zone this node does not replicate, throws instead of being encoded.
 */
export function outboundEntry (entry: SignedEntry, replicatedZones: readonly Zone[]): SignedEntry {
  const zone = entryZone(entry)
  if (zone === Zone.PRIVATE || !replicatedZones.includes(zone)) {
    throw new ZoneViolationError(`refusing to send a ${zoneName(zone)}-zone entry to a peer`)
  }
  return entry
}

/** `outboundEntry`, encoded */
export function encodeOutbound (entry: SignedEntry, replicatedZones: readonly Zone[]): Uint8Array {
  return SignedEntry.encode(outboundEntry(entry, replicatedZones))
}

function entryZone (entry: SignedEntry): Zone {
  try {
    return entry.kind === EntryKind.CHUNK ? Chunk.decode(entry.body).zone : Event.decode(entry.body).zone
  } catch {
    // what cannot be read cannot be shown to be safe to send
    return Zone.PRIVATE
  }
}
