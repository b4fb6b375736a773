/**
 * @packageDocumentation
 *
 * A hybrid logical clock (Kulkarni et al., 2014): timestamps that follow
 * physical time closely, never go backwards, and order causally related events
 * across nodes whose wall clocks disagree.
 *
 * @example
 *
 * ```TypeScript
 * import { HybridLogicalClock } from '@overmind/hlc'
 *
 * const clock = new HybridLogicalClock()
 * const local = clock.now()          // stamp a local event
 * clock.update(remoteTimestamp)      // merge a timestamp received from a peer
 * ```
 */

export interface Timestamp {
  /** Milliseconds since the Unix epoch, the largest physical time seen */
  wallTime: number
  /** Counter that orders events sharing the same wallTime */
  logical: number
}

export interface HybridLogicalClockInit {
  /**
   * How far ahead of the local wall clock a remote timestamp may be before it
   * is refused, so one peer with a broken clock cannot drag every clock of
   * the mesh into the future
   *
   * @default 60_000
   */
  maxDrift?: number

  /** Source of physical time, in ms since the epoch */
  wallClock?(): number
}

export const DEFAULT_MAX_DRIFT = 60_000

/** The logical counter is carried as a uint32 on the wire */
const MAX_LOGICAL = 0xffff_ffff

export class ClockDriftError extends Error {
  static override name = 'ClockDriftError'
  override name = 'ClockDriftError'
  constructor (readonly drift: number, readonly maxDrift: number) {
    super(`timestamp is ${drift} ms ahead of the local clock (at most ${maxDrift} ms allowed): check the sending node's system clock`)
  }
}

export class HybridLogicalClock {
  private last: Timestamp = { wallTime: 0, logical: 0 }
  private readonly maxDrift: number
  private readonly wallClock: () => number

  constructor (init: HybridLogicalClockInit = {}) {
    this.maxDrift = init.maxDrift ?? DEFAULT_MAX_DRIFT
    this.wallClock = init.wallClock ?? Date.now
  }

  /** A timestamp for a local or send event, greater than every one seen */
  now (): Timestamp {
    const physical = this.wallClock()
    if (physical > this.last.wallTime) {
      this.last = { wallTime: physical, logical: 0 }
    } else {
      this.last = this.increment(this.last)
    }
    return { ...this.last }
  }

  /**
   * Merges a timestamp received from another node and returns the timestamp
   * of the receive event
   *
   * @throws {ClockDriftError} when `remote` is further ahead than maxDrift
   */
  update (remote: Timestamp): Timestamp {
    assertTimestamp(remote)
    const physical = this.wallClock()
    const drift = remote.wallTime - physical
    if (drift > this.maxDrift) {
      throw new ClockDriftError(drift, this.maxDrift)
    }
    const wallTime = Math.max(physical, this.last.wallTime, remote.wallTime)
    let logical: number
    if (wallTime === this.last.wallTime && wallTime === remote.wallTime) {
      logical = Math.max(this.last.logical, remote.logical) + 1
    } else if (wallTime === this.last.wallTime) {
      logical = this.last.logical + 1
    } else if (wallTime === remote.wallTime) {
      logical = remote.logical + 1
    } else {
      logical = 0
    }
    this.last = logical > MAX_LOGICAL ? { wallTime: wallTime + 1, logical: 0 } : { wallTime, logical }
    return { ...this.last }
  }

  /** The latest timestamp issued or seen, without advancing the clock */
  peek (): Timestamp {
    return { ...this.last }
  }

  private increment (t: Timestamp): Timestamp {
    return t.logical >= MAX_LOGICAL ? { wallTime: t.wallTime + 1, logical: 0 } : { wallTime: t.wallTime, logical: t.logical + 1 }
  }
}

/** Total order on timestamps: negative, zero or positive like a sort comparator */
export function compareTimestamps (a: Timestamp, b: Timestamp): number {
  return a.wallTime !== b.wallTime ? a.wallTime - b.wallTime : a.logical - b.logical
}

/** A readable, sortable form: ISO wall time plus the logical counter */
export function formatTimestamp (t: Timestamp): string {
  return `${new Date(t.wallTime).toISOString()}#${t.logical}`
}

function assertTimestamp (t: Timestamp): void {
  if (!Number.isSafeInteger(t.wallTime) || t.wallTime < 0 || !Number.isInteger(t.logical) || t.logical < 0 || t.logical > MAX_LOGICAL) {
    throw new TypeError('invalid hybrid logical clock timestamp')
  }
}
