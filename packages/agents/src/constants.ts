export const RUN_PROTOCOL = '/overmind/run-agent/1.0.0'

/** Run streams one connection may hold open; the scheduler answers busy long before */
export const MAX_INBOUND_STREAMS = 256
export const MAX_OUTBOUND_STREAMS = 256

/** Longest wait for the request after a caller opens a stream */
export const REQUEST_READ_TIMEOUT = 10_000

/** Deadline of a run when the caller gives none @default 60 s */
export const DEFAULT_DEADLINE = 60_000

/** Other hosts tried after a busy, refused or failed host @default 2 */
export const DEFAULT_RETRIES = 2

/** Longest wait for DHT providers @default 3 s */
export const DEFAULT_LOOKUP_TIMEOUT = 3_000

/** How often provider records are renewed @default 10 min */
export const DEFAULT_PROVIDE_INTERVAL = 10 * 60_000

/** Provider records are first published this long after start, then again with the routing table grown */
export const FIRST_PROVIDE_DELAYS = [1_000, 5_000, 20_000]

/** Longest one round of provider records may take */
export const PROVIDE_TIMEOUT = 30_000

/** Most DHT providers asked about per lookup */
export const MAX_PROVIDERS = 16

/** Time allowed for a cancel to reach the host when a caller gives up */
export const CANCEL_TIMEOUT = 1_000

export const DEFAULT_MAX_QUEUE = 64
export const DEFAULT_MAX_QUEUE_PER_CALLER = 16
