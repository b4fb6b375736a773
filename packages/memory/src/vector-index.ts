import { existsSync } from 'node:fs'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { Index, MetricKind, ScalarKind } from 'usearch'

export interface VectorHit {
  ordinal: number
  /** Cosine similarity, exact */
  similarity: number
}

/** Vectors added to the graph per turn of the event loop */
const DRAIN_SLICE = 64

interface Checkpoint {
  model: string
  dimensions: number
  /** Every ordinal up to this one that had a vector is in the saved graph */
  upTo: number
}

/**
 * The vectors of one model, by local ordinal: an exact float32 matrix (for
 * re-ranking and filtered scans) and an HNSW graph (usearch) for approximate
 * search over everything. Both are derived from the store and rebuilt from
 * it; the graph is saved beside it so a restart does not rebuild it.
 */
export class VectorIndex {
  readonly dimensions: number
  readonly model: string
  private matrix: Float32Array
  private present: Uint8Array
  private graph: Index
  private upTo = 0
  private unsaved = 0
  /** Ordinals with a vector but not yet in the graph, ascending */
  private waiting: number[] = []
  private draining?: ReturnType<typeof setImmediate>
  private readonly drained: Array<() => void> = []
  count = 0

  /** Vectors stored but not yet in the graph: searches scan them exactly */
  get backlog (): number {
    return this.waiting.length
  }

  /** Resolves once at most `limit` vectors wait for the graph */
  async below (limit: number): Promise<void> {
    while (this.waiting.length > limit && this.draining != null) {
      await new Promise<void>(resolve => { this.drained.push(resolve) })
    }
  }

  get capacity (): number {
    return this.present.length
  }

  constructor (model: string, dimensions: number) {
    this.model = model
    this.dimensions = dimensions
    this.matrix = new Float32Array(1024 * dimensions)
    this.present = new Uint8Array(1024)
    this.graph = this.newGraph()
  }

  private newGraph (): Index {
    return new Index({ metric: MetricKind.Cos, dimensions: this.dimensions, connectivity: 16, quantization: ScalarKind.F32, expansion_add: 64, expansion_search: 64, multi: false })
  }

  /** Loads a saved graph when it matches this model; returns the ordinal it covers */
  async load (path: string): Promise<number> {
    try {
      const meta: Checkpoint = JSON.parse(await readFile(`${path}.json`, 'utf8'))
      if (meta.model !== this.model || meta.dimensions !== this.dimensions || !existsSync(path)) return 0
      this.graph.load(path)
      this.upTo = meta.upTo
      return meta.upTo
    } catch {
      this.graph = this.newGraph()
      return 0
    }
  }

  async save (path: string): Promise<void> {
    if (this.unsaved === 0 && existsSync(path)) return
    this.graph.save(`${path}.tmp`)
    await rename(`${path}.tmp`, path)
    const meta: Checkpoint = { model: this.model, dimensions: this.dimensions, upTo: this.upTo }
    await writeFile(`${path}.json`, JSON.stringify(meta))
    this.unsaved = 0
  }

  get unsavedCount (): number {
    return this.unsaved
  }

  has (ordinal: number): boolean {
    return ordinal < this.present.length && this.present[ordinal] === 1
  }

  /**
   * Stores a vector for an ordinal. `inGraph` says the loaded graph already
   * holds it (ordinals up to the checkpoint).
   */
  add (ordinal: number, vector: Float32Array): void {
    if (vector.length !== this.dimensions) {
      throw new RangeError(`vector has ${vector.length} dimensions, the index ${this.dimensions}`)
    }
    this.grow(ordinal + 1)
    this.matrix.set(vector, ordinal * this.dimensions)
    if (this.present[ordinal] !== 1) this.count++
    this.present[ordinal] = 1
    if (ordinal > this.upTo && (this.waiting.length === 0 || ordinal > this.waiting[this.waiting.length - 1])) {
      this.waiting.push(ordinal)
      this.scheduleDrain()
    }
  }

  /**
   * Graph insertion is the slow part of indexing, so it runs in the
   * background in small slices; until a vector is in the graph, searches
   * scan it exactly.
   */
  private scheduleDrain (): void {
    if (this.draining != null) return
    this.draining = setImmediate(() => {
      this.draining = undefined
      this.addToGraph(this.waiting.splice(0, DRAIN_SLICE))
      if (this.waiting.length > 0) this.scheduleDrain()
      for (const resolve of this.drained.splice(0)) resolve()
    })
  }

  /** Adds every waiting vector to the graph now */
  flushGraph (): void {
    if (this.draining != null) clearImmediate(this.draining)
    this.draining = undefined
    this.addToGraph(this.waiting.splice(0))
    for (const resolve of this.drained.splice(0)) resolve()
  }

  private addToGraph (ordinals: number[]): void {
    for (const ordinal of ordinals) {
      this.graph.add(BigInt(ordinal), this.matrix.subarray(ordinal * this.dimensions, (ordinal + 1) * this.dimensions))
      this.upTo = ordinal
      this.unsaved++
    }
  }

  /** Stops background work (the graph keeps what it has) */
  close (): void {
    if (this.draining != null) clearImmediate(this.draining)
    this.draining = undefined
    for (const resolve of this.drained.splice(0)) resolve()
  }

  /** Exact cosine similarity of a unit query with a stored (unit) vector */
  similarity (query: Float32Array, ordinal: number): number {
    if (!this.has(ordinal)) return 0
    const m = this.matrix
    const base = ordinal * this.dimensions
    let dot = 0
    for (let i = 0; i < this.dimensions; i++) dot += query[i] * m[base + i]
    return dot
  }

  /** Approximate top `k` from the graph, plus vectors still waiting for it, re-scored exactly */
  approximate (query: Float32Array, k: number): VectorHit[] {
    const hits: VectorHit[] = []
    const size = this.graph.size()
    if (size > 0) {
      const found = this.graph.search(query, Math.min(k, size), 0)
      for (const key of found.keys) {
        const ordinal = Number(key)
        hits.push({ ordinal, similarity: this.similarity(query, ordinal) })
      }
    }
    for (const ordinal of this.waiting) hits.push({ ordinal, similarity: this.similarity(query, ordinal) })
    hits.sort((a, b) => b.similarity - a.similarity)
    return hits.slice(0, k)
  }

  /** Exact top `k` over the ordinals that pass `filter` (all when omitted) */
  exact (query: Float32Array, k: number, filter?: (ordinal: number) => boolean, ordinals?: number[]): VectorHit[] {
    const hits: VectorHit[] = []
    let floor = -Infinity
    const consider = (ordinal: number): void => {
      const similarity = this.similarity(query, ordinal)
      if (hits.length < k || similarity > floor) {
        hits.push({ ordinal, similarity })
        if (hits.length > k * 2) {
          hits.sort((a, b) => b.similarity - a.similarity).length = k
          floor = hits[k - 1].similarity
        }
      }
    }
    if (ordinals != null) {
      // already known to be present and to pass
      for (const ordinal of ordinals) consider(ordinal)
    } else {
      for (let ordinal = 0; ordinal < this.present.length; ordinal++) {
        if (this.present[ordinal] === 1 && (filter == null || filter(ordinal))) consider(ordinal)
      }
    }
    hits.sort((a, b) => b.similarity - a.similarity)
    return hits.slice(0, k)
  }

  private grow (rows: number): void {
    if (rows <= this.present.length) return
    let capacity = this.present.length
    while (capacity < rows) capacity *= 2
    const matrix = new Float32Array(capacity * this.dimensions)
    matrix.set(this.matrix)
    this.matrix = matrix
    const present = new Uint8Array(capacity)
    present.set(this.present)
    this.present = present
  }
}
