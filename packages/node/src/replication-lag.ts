import type { MemoryStore, StoredEntryEvent } from '@overmind/memory'

/** How far back the median looks */
const WINDOW = 60_000
/** Most samples kept: a burst of replication is sampled, not stored whole */
const MAX_SAMPLES = 1024

/**
 * How long entries of other nodes take to reach this one: from the author's
 * write (its HLC wall time) to this node storing it, over the last minute.
 * Heartbeats announce the median, so every member can show the lag of every
 * other.
 */
export class ReplicationLag {
  private readonly samples: Array<{ at: number, lag: number }> = []
  private seen = 0
  private readonly self: string
  private readonly onEntry = (evt: CustomEvent<StoredEntryEvent>): void => {
    const { entry, origin } = evt.detail
    if (origin !== 'remote' || entry.author.toString() === this.self) return
    this.seen++
    // past the cap, one sample in every (seen / MAX_SAMPLES) replaces the oldest
    if (this.samples.length >= MAX_SAMPLES) {
      if (this.seen % Math.ceil(this.seen / MAX_SAMPLES) !== 0) return
      this.samples.shift()
    }
    const now = Date.now()
    this.samples.push({ at: now, lag: Math.max(0, now - Number(entry.body.hlcWallTime)) })
  }

  constructor (private readonly memory: MemoryStore, self: string) {
    this.self = self
    memory.addEventListener('entry', this.onEntry)
  }

  /** Median lag in ms over the last minute; 0 when nothing came from peers */
  medianMs (now = Date.now()): number {
    while (this.samples.length > 0 && now - this.samples[0].at > WINDOW) this.samples.shift()
    if (this.samples.length === 0) {
      this.seen = 0
      return 0
    }
    const lags = this.samples.map(s => s.lag).sort((a, b) => a - b)
    return lags[Math.floor(lags.length / 2)]
  }

  stop (): void {
    this.memory.removeEventListener('entry', this.onEntry)
  }
}
