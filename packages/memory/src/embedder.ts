import { entryPool, split } from './entry-pool.js'
import { EmbedderError } from './errors.js'
import { grown } from './int-list.js'
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
  private readonly features = new FeatureCounts()

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

  /**
   * The model: each feature (`w:` word, `b:` word pair, `g:` trigram of the
   * word in angle brackets) sums its weights; in the order features first
   * appear, `sign(h) * (1 + ln(sum))` is added to dimension `h mod d`, where
   * `h` is the 32-bit FNV-1a of the feature's UTF-16 code units. Features are
   * hashed as they are read, never built as strings; two features with the
   * same hash stay apart.
   */
  embedOne (text: string): Float32Array {
    const features = this.features
    features.reset()
    const words = tokenize(text)
    for (let i = 0; i < words.length; i++) {
      const word = words[i]
      if (STOPWORDS.has(word)) continue
      features.add(fnv1aFrom(WORD, word) >>> 0, WORD_KIND, word, '', 1)
      const next = words[i + 1]
      if (next != null && !STOPWORDS.has(next)) {
        features.add(fnv1aFrom(Math.imul(fnv1aFrom(PAIR, word) ^ 0x20, FNV_PRIME), next) >>> 0, PAIR_KIND, word, next, 0.5)
      }
      // trigrams of `<word>`, from a word of 3 code units on
      if (word.length > 2) {
        const grams = word.length
        const weight = 1 / Math.sqrt(grams)
        for (let j = 0; j < grams; j++) {
          const a = j === 0 ? 0x3c : word.charCodeAt(j - 1)
          const b = word.charCodeAt(j)
          const c = j + 1 < word.length ? word.charCodeAt(j + 1) : 0x3e
          let hash = Math.imul(GRAM ^ a, FNV_PRIME)
          hash = Math.imul(hash ^ b, FNV_PRIME)
          hash = Math.imul(hash ^ c, FNV_PRIME)
          features.add(hash >>> 0, (a * 0x10000 + b) * 0x10000 + c, '', '', weight)
        }
      }
    }
    const vector = new Float32Array(this.dimensions)
    for (let f = 0; f < features.size; f++) {
      const hash = features.hashes[f]
      const sign = (hash & 0x80000000) !== 0 ? -1 : 1
      vector[hash % this.dimensions] += sign * (1 + Math.log(features.sums[f]))
    }
    return normalise(vector)
  }
}

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
/** FNV-1a states after the prefixes `w:`, `b:` and `g:` */
const WORD = fnv1aFrom(FNV_OFFSET, 'w:')
const PAIR = fnv1aFrom(FNV_OFFSET, 'b:')
const GRAM = fnv1aFrom(FNV_OFFSET, 'g:')
/** A trigram's kind is its three code units packed in one number (< 2^48): the others are negative */
const WORD_KIND = -1
const PAIR_KIND = -2

/** Continues an FNV-1a hash over the UTF-16 code units of `text` (a signed 32-bit state) */
function fnv1aFrom (state: number, text: string): number {
  let hash = state
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME)
  return hash
}

/**
 * Summed weights of features, in the order they first appear, found by hash
 * in an open-addressing table that is reused from text to text; a feature
 * is told from another with the same hash by its kind and words (a
 * trigram's kind holds its code units)
 */
class FeatureCounts {
  size = 0
  hashes = new Uint32Array(256)
  sums = new Float64Array(256)
  private kinds = new Float64Array(256)
  private first: string[] = []
  private second: string[] = []
  /** The next feature with the same hash, or -1 */
  private chain = new Int32Array(256)
  /** Feature by slot, -1 when empty */
  private table = new Int32Array(1024).fill(-1)

  reset (): void {
    if (this.size > 0) this.table.fill(-1)
    this.size = 0
    this.first.length = 0
    this.second.length = 0
  }

  add (hash: number, kind: number, first: string, second: string, weight: number): void {
    const mask = this.table.length - 1
    let slot = hash & mask
    let f = this.table[slot]
    while (f !== -1 && this.hashes[f] !== hash) {
      slot = (slot + 1) & mask
      f = this.table[slot]
    }
    let last = -1
    while (f !== -1) {
      if (this.kinds[f] === kind && this.first[f] === first && this.second[f] === second) {
        this.sums[f] += weight
        return
      }
      last = f
      f = this.chain[f]
    }
    const added = this.size++
    if (added === this.hashes.length) this.grow()
    this.hashes[added] = hash
    this.sums[added] = weight
    this.kinds[added] = kind
    this.first[added] = first
    this.second[added] = second
    this.chain[added] = -1
    if (last !== -1) {
      this.chain[last] = added
    } else if (this.size * 2 > this.table.length) {
      this.rehash()
    } else {
      this.table[slot] = added
    }
  }

  private grow (): void {
    const size = this.hashes.length * 2
    this.hashes = grown(this.hashes, size)
    this.sums = grown(this.sums, size)
    this.kinds = grown(this.kinds, size)
    this.chain = grown(this.chain, size)
  }

  /** Doubles the table and places the first feature of each hash again (the others hang from it) */
  private rehash (): void {
    this.table = new Int32Array(this.table.length * 2).fill(-1)
    const mask = this.table.length - 1
    const chained = new Set<number>()
    for (let f = 0; f < this.size; f++) if (this.chain[f] !== -1) chained.add(this.chain[f])
    for (let f = 0; f < this.size; f++) {
      if (chained.has(f)) continue
      let slot = this.hashes[f] & mask
      while (this.table[slot] !== -1) slot = (slot + 1) & mask
      this.table[slot] = f
    }
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

/** Suffixes the stemmer removes from a word of more than 4 units: the first that leaves 3 or more */
export const STEM_SUFFIXES: readonly string[] = ['ing', 'ed', 'es', 's']

function stem (word: string): string {
  if (word.length <= 4) return word
  for (const suffix of STEM_SUFFIXES) {
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

export const STOPWORDS = new Set(('a an and are as at be but by can do does for from has have how i if in into is it its ' +
  'me my no not of on or our so than that the their then there these they this to too up us was we what when where which ' +
  'who why will with you your').split(' '))
