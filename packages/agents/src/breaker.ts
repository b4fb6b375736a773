export type BreakerState = 'closed' | 'open' | 'half-open'

export interface BreakerInit {
  /** Failures in a row that open the circuit @default 3 */
  threshold?: number
  /** ms an open circuit waits before it lets one probe through @default 5000 */
  cooldown?: number
  /** Longest cooldown after failed probes (it doubles each time) @default 60000 */
  maxCooldown?: number
  now?(): number
}

/**
 * A circuit breaker for one peer. Closed, calls go through; after
 * `threshold` failures in a row it opens and calls skip the peer; after the
 * cooldown one call goes through as a probe (half-open): success closes the
 * circuit, failure opens it again for twice as long.
 */
export class CircuitBreaker {
  private readonly threshold: number
  private readonly baseCooldown: number
  private readonly maxCooldown: number
  private readonly now: () => number
  private current: BreakerState = 'closed'
  private failures = 0
  private cooldown: number
  private openedAt = 0
  private probing = false

  constructor (init: BreakerInit = {}) {
    this.threshold = init.threshold ?? 3
    this.baseCooldown = init.cooldown ?? 5_000
    this.maxCooldown = init.maxCooldown ?? 60_000
    this.cooldown = this.baseCooldown
    this.now = init.now ?? Date.now
  }

  get state (): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.cooldown) return 'half-open'
    return this.current
  }

  /** Failures in a row so far */
  get recentFailures (): number {
    return this.failures
  }

  /** Whether a call may go to the peer now; in half-open state only one at a time */
  allow (): boolean {
    const state = this.state
    if (state === 'closed') return true
    if (state === 'open' || this.probing) return false
    this.current = 'half-open'
    this.probing = true
    return true
  }

  success (): void {
    this.current = 'closed'
    this.failures = 0
    this.probing = false
    this.cooldown = this.baseCooldown
  }

  /** The call ended without telling anything about the peer's health (busy, refused) */
  neutral (): void {
    if (this.current === 'half-open') {
      this.probing = false
    }
  }

  failure (): void {
    this.failures++
    if (this.current === 'half-open') {
      this.cooldown = Math.min(this.cooldown * 2, this.maxCooldown)
      this.trip()
    } else if (this.current === 'closed' && this.failures >= this.threshold) {
      this.trip()
    }
  }

  private trip (): void {
    this.current = 'open'
    this.openedAt = this.now()
    this.probing = false
  }
}
