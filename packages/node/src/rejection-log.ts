import type { NodeLog } from './log.js'

/** A message this node refused, as its services report it */
export interface Rejection {
  kind: 'heartbeat' | 'entry'
  reason: string
  message: string
  /** The peer that sent it, when known */
  from?: string
  /** How it came (an entry by gossip or by sync) */
  via?: string
}

export interface RejectionLog {
  report(rejection: Rejection): void
  /** Sums up the period that ends and starts the next */
  flush(): void
  stop(): void
}

/** Length of a period of the rejection log, ms */
export const REJECTION_LOG_PERIOD = 60_000

/**
 * Tells the operator about refused messages without letting a hostile peer
 * write a line per message: in each period the first rejection from a peer
 * is logged in full and the others are counted, then summed up in one line
 * per peer when the period ends.
 */
export function createRejectionLog (log: NodeLog, period = REJECTION_LOG_PERIOD): RejectionLog {
  // peer → `kind:reason` → rejections after the first of the period
  let counts = new Map<string, Map<string, number>>()
  const flush = (): void => {
    const ended = counts
    counts = new Map()
    for (const [from, reasons] of ended) {
      let messages = 0
      for (const n of reasons.values()) messages += n
      if (messages === 0) continue
      const detail = [...reasons].map(([reason, n]) => `${reason}=${n}`).join(',')
      log.warn(`rejected ${messages} more messages from this peer in the last ${Math.round(period / 1000)} s`, { from, reasons: detail })
    }
  }
  const timer = setInterval(flush, period)
  timer.unref()
  return {
    report (rejection) {
      const from = rejection.from ?? 'unknown'
      const reasons = counts.get(from)
      if (reasons == null) {
        counts.set(from, new Map())
        log.warn(rejection.kind === 'heartbeat' ? 'rejected a heartbeat' : 'rejected a memory entry', {
          reason: rejection.reason,
          from,
          via: rejection.via,
          detail: rejection.message
        })
        return
      }
      const key = `${rejection.kind}:${rejection.reason}`
      reasons.set(key, (reasons.get(key) ?? 0) + 1)
    },
    flush,
    stop () {
      clearInterval(timer)
      flush()
    }
  }
}
