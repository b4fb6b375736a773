import type { MemoryStore, StoredEntryEvent } from '@overmind/memory'

/** How far back the median looks */
const WINDOW = 60_000
/** The latest arrivals kept: a burst of replication is measured by its last ones */
const SAMPLES = 1024

/**
 * How long entries of other nodes take to reach this one: from the author's
 * write (its HLC wall time) to this node storing it, over the last minute.
 * Heartbeats announce the median, so every member can show the lag of every
 * other. Each stored entry costs one write into a ring; the median is taken
 * when a beat asks for it.
 */
export class ReplicationLag {
  private readonly at = new Float64Array(SAMPLES)
  private readonly lag = new Float64Array(SAMPLES)
  private next = 0
  private count = 0
  private readonly self: string
  private readonly onEntry = (evt: CustomEvent<StoredEntryEvent>): void => {
    const { entry, origin } = evt.detail
    if (origin !== 'remote' || entry.author.toString() === this.self) return
    const now = Date.now()
    this.at[this.next] = now
    this.lag[this.next] = Math.max(0, now - Number(entry.body.hlcWallTime))
    this.next = (this.next + 1) % SAMPLES
    this.count = Math.min(SAMPLES, this.count + 1)
  }

  constructor (private readonly memory: MemoryStore, self: string) {
    this.self = self
    memory.addEventListener('entry', this.onEntry)
  }

  /** Median lag in ms over the last minute; 0 when nothing came from peers */
  medianMs (now = Date.now()): number {
    const lags: number[] = []
    for (let i = 0; i < this.count; i++) {
      if (now - this.at[i] <= WINDOW) lags.push(this.lag[i])
    }
    if (lags.length === 0) return 0
    lags.sort((a, b) => a - b)
    return lags[Math.floor(lags.length / 2)]
  }

  stop (): void {
    this.memory.removeEventListener('entry', this.onEntry)
  }
}
