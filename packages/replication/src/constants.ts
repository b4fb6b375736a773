/** Gossipsub topic of new federation entries in one mesh: each message a batch of its publisher's entries */
export function knowledgeTopic (mesh: string): string {
  return `/overmind/${mesh}/knowledge/2`
}

export const SYNC_PROTOCOL = '/overmind/memory-sync/1.0.0'
export const QUERY_PROTOCOL = '/overmind/memory-query/1.0.0'

/** Pull from one random peer this often, besides on every new connection @default 30 s */
export const SYNC_INTERVAL = 30_000

/** A sync page closes at this many entries or bytes, whichever comes first */
export const SYNC_PAGE_ENTRIES = 256
export const SYNC_PAGE_BYTES = 1024 * 1024

/** Longest wait for the next sync message before the exchange is abandoned */
export const SYNC_MESSAGE_TIMEOUT = 20_000

/** After an entry reveals a gap in a log, pull this long later (batches many gaps into one pull) */
export const GAP_PULL_DELAY = 500

/** Default deadline of a federated search */
export const QUERY_DEADLINE = 2_000

/** Peers asked in parallel by one federated search */
export const QUERY_FANOUT = 16

export const MAX_INBOUND_STREAMS = 8
export const MAX_OUTBOUND_STREAMS = 8
