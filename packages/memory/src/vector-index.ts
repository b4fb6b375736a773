import { readFile, writeFile } from 'node:fs/promises'
import { LITTLE_ENDIAN, vectorFromBytes } from './entry.js'
import { GRAPH_BACKLOG, GRAPH_BACKLOG_SEARCHED, SEARCHING_MS } from './graph-protocol.js'
import { graphThread } from './graph-thread.js'
import { TopK } from './top-k.js'
import type { GraphAsk } from './graph-thread.js'
import type { SavedGraph } from './graph-protocol.js'
import type { Ordinals } from './int-list.js'

export interface VectorHit {
  ordinal: number
  /** Cosine similarity, exact */
  similarity: number
}

/**
 * Graph parameters, measured on 100,000 chunks of the hashing embedder
 * (256 dimensions), asking for 80 candidates that are re-ranked exactly:
 * 8-bit vectors, 12 links and expansion 48 while building cost ~165 µs of
 * CPU per insert, like half precision with 16 links and expansion 32, and
 * search in ~0.45 ms instead of ~0.9 ms for recall@10 ≈ 0.956 (0.953).
 * Recall moves by ±0.01 between builds; searching with expansion 160
 * instead of 128 keeps it above 0.95 for ~0.1 ms more.
 */
const CONNECTIVITY = 12
const EXPANSION_ADD = 48
const EXPANSION_SEARCH = 160
/** Recorded beside a saved graph: a graph built with other parameters is rebuilt */
const GRAPH_FORMAT = `i8-m${CONNECTIVITY}-a${EXPANSION_ADD}`

/** Rows per shared block of vectors: blocks are added, never copied, as the store grows */
const SEGMENT_ROWS = 4096

/** What is written beside a saved graph */
interface Checkpoint {
  format?: string
  model: string
  dimensions: number
  size: number
  sha256: string
}

/**
 * The vectors of one model, by local ordinal: an exact float32 matrix in
 * blocks of shared memory (for exact scores, re-ranking and filtered scans)
 * and an HNSW graph over it, kept by the process's graph thread. A vector is
 * searchable as soon as it is added: until the graph has it, searches scan
 * it exactly. The graph is saved beside the store with its size and digest,
 * so a restart does not rebuild it and a damaged file is never loaded.
 */
export class VectorIndex {
  readonly dimensions: number
  readonly model: string
  count = 0
  private readonly segments: Float32Array[] = []
  private present = new Uint8Array(1024)
  private readonly graph: number
  /** Ordinals sent to the graph and not yet in it, oldest first (from `head`) */
  private waiting: number[] = []
  private head = 0
  /** Of the waiting ordinals, those sent while the store opened */
  private reloading = 0
  private unsent: number[] = []
  private unsentPartitions: number[] = []
  private flushing?: ReturnType<typeof setImmediate>
  private readonly drained: Array<() => void> = []
  private unsaved = 0
  private closed = false
  /**
   * The record of each save, written in the order the graph thread saved the
   * graph: two saves in flight (one that waited for an idle moment, one asked
   * at close) must not leave the older size and digest beside the newer file
   */
  private records: Promise<void> = Promise.resolve()
  private searchedAt = -Infinity

  constructor (model: string, dimensions: number) {
    this.model = model
    this.dimensions = dimensions
    this.graph = graphThread().register(count => { this.onAdded(count) })
  }

  /** Starts the graph, from the one saved at `path` when it is intact and of this model */
  async open (path: string): Promise<string | undefined> {
    let saved: SavedGraph | undefined
    try {
      const meta: Checkpoint = JSON.parse(await readFile(`${path}.json`, 'utf8'))
      if (meta.format === GRAPH_FORMAT && meta.model === this.model && meta.dimensions === this.dimensions) saved = { path, size: meta.size, sha256: meta.sha256 }
    } catch {}
    const reply = await graphThread().ask({ op: 'open', graph: this.graph, dimensions: this.dimensions, rows: SEGMENT_ROWS, connectivity: CONNECTIVITY, expansionAdd: EXPANSION_ADD, expansionSearch: EXPANSION_SEARCH, saved })
    return reply.op === 'opened' ? reply.problem : undefined
  }

  /** Vectors added since the store opened that the graph does not have yet: what searches scan exactly */
  get backlog (): number {
    return Math.max(0, this.waiting.length - this.head + this.unsent.length - this.reloading)
  }

  /** Every vector the graph does not have yet, those of the opening included */
  get pending (): number {
    return this.waiting.length - this.head + this.unsent.length
  }

  /** Marks what is added from now on as the opening's reload, which does not count in the backlog */
  reloaded (): void {
    this.reloading = this.pending
  }

  /**
   * How many vectors may wait for the graph before writes pause:
   * GRAPH_BACKLOG, or GRAPH_BACKLOG_SEARCHED while searches come
   */
  get backlogLimit (): number {
    return performance.now() - this.searchedAt < SEARCHING_MS ? GRAPH_BACKLOG_SEARCHED : GRAPH_BACKLOG
  }

  /** Whether the graph is so far behind that writes should wait */
  get behind (): boolean {
    return this.backlog > this.backlogLimit
  }

  /** Resolves once the graph is no longer `behind` */
  async caughtUp (): Promise<void> {
    while (this.behind && !this.closed && graphThread().failed == null) {
      await new Promise<void>(resolve => { this.drained.push(resolve) })
    }
  }

  /** Resolves once the graph holds every vector added so far */
  async flushGraph (): Promise<void> {
    this.send()
    while (this.pending > 0 && !this.closed && graphThread().failed == null) {
      await new Promise<void>(resolve => { this.drained.push(resolve) })
    }
  }

  get unsavedCount (): number {
    return this.unsaved
  }

  has (ordinal: number): boolean {
    return ordinal < this.present.length && this.present[ordinal] === 1
  }

  get capacity (): number {
    return this.present.length
  }

  /**
   * Stores a vector (or its bytes as an entry carries them: little-endian
   * float32) for an ordinal and queues it for the graph; the graph
   * thread also keeps an 8-bit copy in the vector's partition (its agent)
   * when one is given, for exact scans of one partition
   */
  add (ordinal: number, vector: Float32Array | Uint8Array, partition = -1): void {
    const row = this.row(ordinal, true)
    if (vector instanceof Float32Array) {
      if (vector.length !== this.dimensions) throw new RangeError(`vector has ${vector.length} dimensions, the index ${this.dimensions}`)
      row.set(vector)
    } else {
      // the little-endian float32 bytes of an entry, copied straight into the row
      if (vector.byteLength !== this.dimensions * 4) throw new RangeError(`vector has ${vector.byteLength / 4} dimensions, the index ${this.dimensions}`)
      if (LITTLE_ENDIAN) new Uint8Array(row.buffer, row.byteOffset, row.byteLength).set(vector)
      else row.set(vectorFromBytes(vector))
    }
    this.growPresent(ordinal + 1)
    if (this.present[ordinal] === 1) return
    this.present[ordinal] = 1
    this.count++
    this.unsent.push(ordinal)
    this.unsentPartitions.push(partition)
    // ordinals of one turn of the event loop go to the graph in one message
    this.flushing ??= setImmediate(() => {
      this.flushing = undefined
      this.send()
    })
  }

  private send (): void {
    if (this.flushing != null) clearImmediate(this.flushing)
    this.flushing = undefined
    if (this.unsent.length === 0 || this.closed) return
    const ordinals = Int32Array.from(this.unsent)
    const partitions = Int32Array.from(this.unsentPartitions)
    for (const ordinal of this.unsent) this.waiting.push(ordinal)
    this.unsent = []
    this.unsentPartitions = []
    graphThread().post({ op: 'add', graph: this.graph, ordinals, partitions }, ordinals.length)
  }

  private onAdded (count: number): void {
    this.head += count
    this.unsaved += count
    this.reloading = Math.max(0, this.reloading - count)
    if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head)
      this.head = 0
    }
    for (const resolve of this.drained.splice(0)) resolve()
  }

  /** The row of an ordinal in the shared blocks; with `create`, allocating its block */
  private row (ordinal: number, create = false): Float32Array {
    const index = Math.floor(ordinal / SEGMENT_ROWS)
    let segment = this.segments[index]
    if (segment == null) {
      if (!create) return new Float32Array(this.dimensions)
      const buffer = new SharedArrayBuffer(SEGMENT_ROWS * this.dimensions * 4)
      segment = new Float32Array(buffer)
      this.segments[index] = segment
      graphThread().post({ op: 'segment', graph: this.graph, segment: index, buffer })
    }
    const base = (ordinal % SEGMENT_ROWS) * this.dimensions
    return segment.subarray(base, base + this.dimensions)
  }

  /** Exact cosine similarity of a unit query with a stored (unit) vector */
  /** The vector stored for an ordinal, as a view of the index's memory (copy it to keep it) */
  vector (ordinal: number): Float32Array | undefined {
    if (!this.has(ordinal)) return undefined
    const base = (ordinal % SEGMENT_ROWS) * this.dimensions
    return this.segments[Math.floor(ordinal / SEGMENT_ROWS)].subarray(base, base + this.dimensions)
  }

  similarity (query: Float32Array, ordinal: number): number {
    if (!this.has(ordinal)) return 0
    const segment = this.segments[Math.floor(ordinal / SEGMENT_ROWS)]
    const base = (ordinal % SEGMENT_ROWS) * this.dimensions
    let dot = 0
    for (let i = 0; i < this.dimensions; i++) dot += query[i] * segment[base + i]
    return dot
  }

  /**
   * Approximate top `k`: the graph's candidates and the nearest of the
   * vectors waiting for it (the graph thread scans those exactly, natively),
   * scored exactly here. When the graph thread has failed, an exact scan.
   */
  async approximate (query: Float32Array, k: number, filter?: (ordinal: number) => boolean): Promise<VectorHit[]> {
    if (graphThread().failed != null) return this.exact(query, k, filter)
    return await this.ask({ op: 'search', graph: this.graph, query, k }, query, k, filter)
  }

  /**
   * The `k` nearest of the vectors in `partitions` that pass `filter`: the
   * graph thread scans their 8-bit copies natively, and its candidates are
   * scored exactly here. `candidates` (every ordinal of those partitions)
   * serves an exact scan when the graph thread has failed.
   */
  async scan (query: Float32Array, k: number, partitions: number[], filter: (ordinal: number) => boolean, candidates: Ordinals): Promise<VectorHit[]> {
    if (graphThread().failed != null) return this.exact(query, k, undefined, candidates.filter(filter))
    return await this.ask({ op: 'scan', graph: this.graph, query, k, partitions }, query, k, filter)
  }

  /**
   * The graph thread's candidates for a request and the vectors this turn of
   * the event loop added (not sent to it yet), filtered and scored exactly
   */
  private async ask (request: Extract<GraphAsk, { op: 'search' | 'scan' }>, query: Float32Array, k: number, filter?: (ordinal: number) => boolean): Promise<VectorHit[]> {
    this.searchedAt = performance.now()
    const waiting = [...this.unsent]
    const reply = await graphThread().ask(request)
    const best = new TopK(k)
    const seen = new Set<number>()
    for (const ordinal of [...(reply.op === 'found' ? reply.ordinals : []), ...waiting]) {
      if (seen.has(ordinal) || (filter != null && !filter(ordinal))) continue
      seen.add(ordinal)
      best.offer(ordinal, this.similarity(query, ordinal))
    }
    return hitsOf(best)
  }

  /** Exact top `k` over the ordinals that pass `filter` (all when omitted), or over `ordinals` (known to pass) */
  exact (query: Float32Array, k: number, filter?: (ordinal: number) => boolean, ordinals?: Ordinals): VectorHit[] {
    const best = new TopK(k)
    const { dimensions, present } = this
    const score = (segment: Float32Array, base: number): number => {
      let dot = 0
      for (let i = 0; i < dimensions; i++) dot += query[i] * segment[base + i]
      return dot
    }
    if (ordinals != null) {
      for (const ordinal of ordinals) {
        if (present[ordinal] !== 1) continue
        best.offer(ordinal, score(this.segments[Math.floor(ordinal / SEGMENT_ROWS)], (ordinal % SEGMENT_ROWS) * dimensions))
      }
      return hitsOf(best)
    }
    // block by block, row by row: the plain loop an exact scan should cost. The filter
    // (several lookups a row) is asked only of rows that score into the best so far
    for (let index = 0; index < this.segments.length; index++) {
      const segment = this.segments[index]
      if (segment == null) continue
      const first = index * SEGMENT_ROWS
      const last = Math.min(first + SEGMENT_ROWS, present.length)
      for (let ordinal = first, base = 0; ordinal < last; ordinal++, base += dimensions) {
        if (present[ordinal] !== 1) continue
        const similarity = score(segment, base)
        if (!best.admits(similarity) || (filter != null && !filter(ordinal))) continue
        best.offer(ordinal, similarity)
      }
    }
    return hitsOf(best)
  }

  /**
   * Writes the graph beside the store, with its size and digest; with
   * `whenIdle`, once no insert waits and no search has come for a while
   * (saving holds the graph thread for ~50–100 ms at 100,000 vectors)
   */
  async save (path: string, options: { whenIdle?: boolean } = {}): Promise<void> {
    if (graphThread().failed != null) return
    const unsaved = this.unsaved
    const reply = await graphThread().ask({ op: 'save', graph: this.graph, path, whenIdle: options.whenIdle })
    if (reply.op !== 'saved' || reply.size == null || reply.sha256 == null) {
      throw new Error(`could not save the vector graph: ${reply.op === 'saved' ? reply.problem ?? '' : reply.op}`)
    }
    const meta: Checkpoint = { format: GRAPH_FORMAT, model: this.model, dimensions: this.dimensions, size: reply.size, sha256: reply.sha256 }
    const record = this.records.then(async () => { await writeFile(`${path}.json`, JSON.stringify(meta)) })
    this.records = record.catch(() => {})
    await record
    this.unsaved -= unsaved
  }

  /** Releases the graph (after `save`) */
  async close (): Promise<void> {
    this.closed = true
    if (this.flushing != null) clearImmediate(this.flushing)
    for (const resolve of this.drained.splice(0)) resolve()
    graphThread().unregister(this.graph, this.waiting.length - this.head)
    if (graphThread().failed == null) await graphThread().ask({ op: 'close', graph: this.graph }).catch(() => {})
  }

  private growPresent (size: number): void {
    if (size <= this.present.length) return
    let capacity = this.present.length
    while (capacity < size) capacity *= 2
    const present = new Uint8Array(capacity)
    present.set(this.present)
    this.present = present
  }
}

function hitsOf (best: TopK): VectorHit[] {
  return best.hits().map(({ ordinal, score }) => ({ ordinal, similarity: score }))
}
