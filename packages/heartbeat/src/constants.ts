/** Topic of the heartbeat protocol, version 1, for one mesh */
export function heartbeatTopic (mesh: string): string {
  return `/overmind/${mesh}/heartbeat/1`
}

export const DEFAULT_INTERVAL = 30_000
export const DEFAULT_STALE_AFTER = 2
export const DEFAULT_GONE_AFTER = 5
export const DEFAULT_PING_TIMEOUT = 5_000

/** Smallest and largest beat interval a sender may announce */
export const MIN_INTERVAL = 100
export const MAX_INTERVAL = 3_600_000

/** Gone peers are dropped from the table after this many of their intervals */
export const DEFAULT_FORGET_AFTER = 720
