import { entryPool, split } from './entry-pool.js'
import { EmbedderError } from './errors.js'
import type { TaskOptions } from './worker-pool.js'

export type EmbedOptions = TaskOptions

/** Turns texts into vectors of one model. Vectors of different models are never compared. */
export interface Embedder {
  /** Recorded in every chunk whose vector this embedder made */
  readonly model: string
  readonly dimensions: number
  /** One L2-normalised vector per text, in order */
  embed(texts: string[], options?: EmbedOptions): Promise<Float32Array[]>
}

/** From this many texts on, the hashing embedder works on the process's worker threads (~20 µs a text) */
const HASH_IN_THREADS = 64

export interface HashingEmbedderInit {
  /** @default 256 */
  dimensions?: number
}

/**
 * A deterministic embedder that needs no model: the signed feature-hashing
 * trick over words, word pairs and character trigrams, with sublinear term
 * weights, L2-normalised. Texts that share words or word stems land close;
 * it knows no synonyms. Same text, same vector, on every machine.
 */
export class HashingEmbedder implements Embedder {
  readonly model: string
  readonly dimensions: number

  constructor (init: HashingEmbedderInit = {}) {
    this.dimensions = init.dimensions ?? 256
    this.model = `overmind-hash-v1-${this.dimensions}`
  }

  async embed (texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    if (texts.length < HASH_IN_THREADS) return texts.map(text => this.embedOne(text))
    // a large batch goes to the worker threads instead of holding the event loop
    const pool = entryPool()
    const parts = await Promise.all(split(texts, pool.size, HASH_IN_THREADS).map(async part => await pool.run({ op: 'hash', dimensions: this.dimensions, texts: part }, options)))
    const out: Float32Array[] = []
    for (const part of parts) {
      if (!('vectors' in part)) throw new EmbedderError('the hashing thread answered something else')
      for (let i = 0; i < part.vectors.length; i += this.dimensions) out.push(part.vectors.subarray(i, i + this.dimensions))
    }
    return out
  }

  embedOne (text: string): Float32Array {
    const counts = new Map<string, number>()
    const add = (feature: string, weight: number): void => {
      counts.set(feature, (counts.get(feature) ?? 0) + weight)
    }
    const words = tokenize(text)
    for (let i = 0; i < words.length; i++) {
      const word = words[i]
      if (STOPWORDS.has(word)) continue
      add(`w:${word}`, 1)
      if (i + 1 < words.length && !STOPWORDS.has(words[i + 1])) add(`b:${word} ${words[i + 1]}`, 0.5)
      const padded = `<${word}>`
      if (padded.length > 4) {
        const grams = padded.length - 2
        for (let j = 0; j < grams; j++) add(`g:${padded.slice(j, j + 3)}`, 1 / Math.sqrt(grams))
      }
    }
    const vector = new Float32Array(this.dimensions)
    for (const [feature, count] of counts) {
      const hash = fnv1a(feature)
      const sign = (hash & 0x80000000) !== 0 ? -1 : 1
      vector[hash % this.dimensions] += sign * (1 + Math.log(count))
    }
    return normalise(vector)
  }
}

export interface HttpEmbedderInit {
  /** Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:11434 or https://api.openai.com/v1 */
  url: string
  model: string
  apiKey?: string
  /** Texts per request @default 64 */
  batchSize?: number
  /** Per request @default 30_000 */
  timeout?: number
  fetch?: typeof globalThis.fetch
}

/**
 * Embeds through an OpenAI-compatible `POST /v1/embeddings` endpoint:
 * OpenAI, Ollama, vLLM, llama.cpp's server and others speak it.
 */
export class HttpEmbedder implements Embedder {
  readonly model: string
  private dims = 0
  private readonly endpoint: string
  private readonly init: HttpEmbedderInit

  constructor (init: HttpEmbedderInit) {
    this.init = init
    this.model = init.model
    const base = init.url.replace(/\/+$/, '')
    this.endpoint = /\/v1$/.test(base) ? `${base}/embeddings` : `${base}/v1/embeddings`
  }

  /** Known after the first answer (0 before) */
  get dimensions (): number {
    return this.dims
  }

  async embed (texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    const out: Float32Array[] = []
    const batchSize = this.init.batchSize ?? 64
    for (let i = 0; i < texts.length; i += batchSize) {
      out.push(...await this.request(texts.slice(i, i + batchSize), options))
    }
    return out
  }

  private async request (input: string[], options: EmbedOptions): Promise<Float32Array[]> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.init.timeout ?? 30_000), ...(options.signal != null ? [options.signal] : [])])
    let res: Response
    try {
      res = await (this.init.fetch ?? fetch)(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.init.apiKey != null && this.init.apiKey !== '' ? { authorization: `Bearer ${this.init.apiKey}` } : {})
        },
        body: JSON.stringify({ model: this.model, input, encoding_format: 'float' }),
        signal
      })
    } catch (err: any) {
      throw new EmbedderError(`cannot reach the embeddings endpoint ${this.endpoint}: ${err.message}`)
    }
    if (!res.ok) {
      const detail = (await res.text().catch(() => '')).slice(0, 300)
      throw new EmbedderError(`embeddings endpoint ${this.endpoint} answered ${res.status}: ${detail}`)
    }
    const json = await res.json().catch(() => null) as { data?: Array<{ embedding?: unknown, index?: number }> } | null
    if (!Array.isArray(json?.data) || json.data.length !== input.length) {
      throw new EmbedderError(`embeddings endpoint ${this.endpoint} returned ${json?.data?.length ?? 'no'} vectors for ${input.length} texts`)
    }
    const rows = [...json.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
    return rows.map(row => {
      if (!Array.isArray(row.embedding) || row.embedding.length === 0 || row.embedding.some(x => typeof x !== 'number')) {
        throw new EmbedderError(`embeddings endpoint ${this.endpoint} returned a vector that is not a list of numbers`)
      }
      if (this.dims === 0) this.dims = row.embedding.length
      if (row.embedding.length !== this.dims) {
        throw new EmbedderError(`model ${this.model} returned ${row.embedding.length} dimensions after ${this.dims}`)
      }
      return normalise(Float32Array.from(row.embedding as number[]))
    })
  }
}

/** Lowercased words and numbers, Unicode-aware, with a light English stemmer */
export function tokenize (text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map(stem)
}

function stem (word: string): string {
  if (word.length <= 4) return word
  for (const suffix of ['ing', 'ed', 'es', 's']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length)
  }
  return word
}

export function normalise (vector: Float32Array): Float32Array {
  let norm = 0
  for (let i = 0; i < vector.length; i++) norm += vector[i] * vector[i]
  norm = Math.sqrt(norm)
  if (norm > 0) {
    for (let i = 0; i < vector.length; i++) vector[i] /= norm
  }
  return vector
}

function fnv1a (text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

export const STOPWORDS = new Set(('a an and are as at be but by can do does for from has have how i if in into is it its ' +
  'me my no not of on or our so than that the their then there these they this to too up us was we what when where which ' +
  'who why will with you your').split(' '))
