import type { Embedder } from './embedder.js'
import type { Logger } from '@libp2p/interface'

/** Texts per call to the embedder */
const BATCH = 64

/** After a failed batch, wait this long before the next try */
const RETRY_DELAY = 5_000

export interface BackfillInit {
  embedder: Embedder
  /** Takes the vectors made (indexes and keeps them) */
  deliver(vectors: Array<{ ordinal: number, vector: Float32Array }>): Promise<void>
  log: Logger
}

/**
 * Vectors for chunks that arrived without one of this node's model: another
 * node's chunks, or chunks whose vector was lost. They are embedded here in
 * the background, in batches, after the chunk is already stored and
 * searchable by its words, so neither a write nor a peer's message waits for
 * an embedder.
 */
export class VectorBackfill {
  private readonly init: BackfillInit
  private readonly waiting: Array<{ ordinal: number, text: string }> = []
  private readonly idle: Array<() => void> = []
  private running?: Promise<void>
  private stopped = false

  constructor (init: BackfillInit) {
    this.init = init
  }

  /** Chunks waiting for a vector */
  get backlog (): number {
    return this.waiting.length
  }

  add (ordinal: number, text: string): void {
    if (this.stopped) return
    this.waiting.push({ ordinal, text })
    this.running ??= this.run().finally(() => {
      this.running = undefined
      for (const resolve of this.idle.splice(0)) resolve()
    })
  }

  /** Resolves once the backlog is at most `limit` */
  async below (limit: number): Promise<void> {
    while (this.waiting.length > limit && this.running != null) {
      await new Promise<void>(resolve => { this.idle.push(resolve) })
    }
  }

  /** Stops after the batch in flight; what waits is embedded again at the next open */
  async stop (): Promise<void> {
    this.stopped = true
    this.waiting.length = 0
    await this.running
  }

  private async run (): Promise<void> {
    while (this.waiting.length > 0 && !this.stopped) {
      const batch = this.waiting.splice(0, BATCH)
      try {
        const vectors = await this.init.embedder.embed(batch.map(b => b.text))
        if (this.stopped) return
        await this.init.deliver(batch.map((b, i) => ({ ordinal: b.ordinal, vector: vectors[i] })))
      } catch (err: any) {
        if (this.stopped) return
        this.init.log.error('could not embed %d chunks of another model, trying again: %s', batch.length, err.message)
        this.waiting.unshift(...batch)
        await new Promise(resolve => setTimeout(resolve, RETRY_DELAY).unref())
      }
      for (const resolve of this.idle.splice(0)) resolve()
    }
  }
}
