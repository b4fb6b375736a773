import { EventKind, Zone } from '@overmind/protocols'
import { applyEvent, confidence, salience } from './fold.js'
import { IntList, grown } from './int-list.js'
import type { Ordinals } from './int-list.js'
import { LexicalIndex } from './lexical-index.js'
import { rankResults } from './rank.js'
import { SignalFold } from './signals.js'
import { VectorIndex } from './vector-index.js'
import type { VerifiedEvent } from './entry.js'
import type { ChunkState } from './fold.js'
import type { RankedHit, RankWeights } from './rank.js'
import type { Chunk } from '@overmind/protocols'

/** Which chunks a search or listing may return */
export interface ChunkFilter {
  /** The agent reading: sees its own private chunks on this node */
  reader: string
  zones?: Zone[]
  /** Chunks carrying every one of these tags */
  tags?: string[]
  agents?: string[]
  /** Author peer ids */
  authors?: string[]
  /** createdAt bounds, ms since the epoch */
  since?: number
  until?: number
  /** Only the zones that replicate (what a peer may be shown) */
  replicatedOnly?: boolean
  /** Archived chunks too (skipped otherwise) */
  archived?: boolean
}

export interface IndexSearch {
  text: string
  vector: Float32Array
  k: number
  filter: ChunkFilter
  /** Scan every vector instead of asking the graph */
  exact?: boolean
  /** Rank by vector similarity alone */
  vectorOnly?: boolean
  /** How much confidence and salience move a score (see `rankResults`) */
  weights?: RankWeights
}

export interface CompiledFilter {
  /** Whether a chunk passes */
  test: (ordinal: number) => boolean
  /** When a condition is served by a posting list, the shortest: every chunk that passes is in it */
  candidates?: Ordinals
  /** About what share of the chunks pass, in (0, 1] */
  selectivity: number
  /** When the filter names agents: their vector partitions and every chunk in them */
  partitions?: { ids: number[], ordinals: Ordinals }
}

export interface IndexInit {
  model: string
  dimensions: number
  /** This node's peer id: private chunks are visible only when it wrote them */
  self: string
  replicatedZones: readonly Zone[]
}

export interface IndexStats {
  /** Chunks not forgotten, by zone */
  chunks: Record<'private' | 'shared' | 'federation', number>
  forgotten: number
  events: number
  authors: number
  indexed: { vectors: number, lexical: number }
}

/** Strings as small integers, so per-chunk metadata fits in typed arrays */
class Interner {
  private readonly ids = new Map<string, number>()
  readonly values: string[] = []

  id (value: string): number {
    let id = this.ids.get(value)
    if (id == null) {
      id = this.values.length
      this.ids.set(value, id)
      this.values.push(value)
    }
    return id
  }

  find (value: string): number | undefined {
    return this.ids.get(value)
  }
}

const FIRST_CAPACITY = 1024

/** Zones as the small numbers the typed arrays hold */
const ZONE_CODES: Record<Zone, number> = { [Zone.ZONE_UNSPECIFIED]: 0, [Zone.PRIVATE]: 1, [Zone.SHARED]: 2, [Zone.FEDERATION]: 3 }
const ZONES_BY_CODE: Zone[] = [Zone.ZONE_UNSPECIFIED, Zone.PRIVATE, Zone.SHARED, Zone.FEDERATION]
const PRIVATE = ZONE_CODES[Zone.PRIVATE]

/**
 * The searchable view of a memory store, rebuilt from its entry log on open:
 * per-chunk metadata in typed arrays by ordinal (zone, agent, author,
 * creation time, tags, forgotten), postings by tag, agent and author for
 * selective filters, the fold of every event, BM25 over the texts and the
 * vectors. Nothing here touches the disk.
 */
export class MemoryIndex {
  /** Authors that signed two different entries with one seq: their chunks rank lowest */
  readonly distrusted = new Set<string>()
  readonly vectors: VectorIndex
  readonly lexical = new LexicalIndex()
  /** The convergence signals of every signal event held */
  readonly signals = new SignalFold()
  private readonly self: string
  private readonly replicatedZones: readonly Zone[]
  private readonly ordinals = new Map<string, number>()
  private readonly events = new Set<string>()
  private readonly states = new Map<string, ChunkState>()
  private readonly agents = new Interner()
  private readonly authors = new Interner()
  private readonly tags = new Interner()
  private readonly byAgent: IntList[] = []
  private readonly byAuthor: IntList[] = []
  private readonly byTag: IntList[] = []
  /** Chunks not forgotten, by zone code */
  private readonly live = [0, 0, 0, 0]
  private ids: Array<string | undefined> = []
  private zoneOf = new Uint8Array(FIRST_CAPACITY)
  private agentOf = new Int32Array(FIRST_CAPACITY)
  private authorOf = new Int32Array(FIRST_CAPACITY)
  private createdOf = new Float64Array(FIRST_CAPACITY)
  private logicalOf = new Uint32Array(FIRST_CAPACITY)
  private forgottenOf = new Uint8Array(FIRST_CAPACITY)
  private archivedOf = new Uint8Array(FIRST_CAPACITY)
  private tagsOf: Array<number[] | undefined> = []
  private forgotten = 0

  constructor (init: IndexInit) {
    this.self = init.self
    this.replicatedZones = init.replicatedZones
    this.vectors = new VectorIndex(init.model, init.dimensions)
  }

  /**
   * Adds a chunk's metadata and text (or the words a worker thread read from
   * it); its vector comes with it or later
   */
  addChunk (ordinal: number, id: string, author: string, chunk: Chunk, vector?: Float32Array | Uint8Array, words?: Int32Array): void {
    this.grow(ordinal + 1)
    this.ids[ordinal] = id
    this.ordinals.set(id, ordinal)
    const agent = this.agents.id(chunk.agent)
    const authorId = this.authors.id(author)
    this.zoneOf[ordinal] = ZONE_CODES[chunk.zone]
    this.agentOf[ordinal] = agent
    this.authorOf[ordinal] = authorId
    this.createdOf[ordinal] = Number(chunk.hlcWallTime)
    this.logicalOf[ordinal] = chunk.hlcLogical
    post(this.byAgent, agent, ordinal)
    post(this.byAuthor, authorId, ordinal)
    if (chunk.tags.length > 0) {
      const tags = chunk.tags.map(t => this.tags.id(t))
      this.tagsOf[ordinal] = tags
      for (const tag of tags) post(this.byTag, tag, ordinal)
    }
    this.lexical.add(ordinal, words ?? chunk.text)
    if (vector != null) this.vectors.add(ordinal, vector, agent)
    if (this.states.get(id)?.archivedBy.has(author) === true) this.archivedOf[ordinal] = 1
    if (this.states.get(id)?.tombstonedBy.has(author) === true) {
      this.forgottenOf[ordinal] = 1
      this.forgotten++
    } else {
      this.live[ZONE_CODES[chunk.zone]]++
    }
  }

  /** Adds the vector of a chunk already added (embedded after it arrived) */
  addVector (ordinal: number, vector: Float32Array): void {
    this.vectors.add(ordinal, vector, this.agentOf[ordinal])
  }

  /** Folds an event into the state of its targets */
  addEvent (event: VerifiedEvent): void {
    this.events.add(event.id)
    if (event.body.kind === EventKind.SIGNAL) {
      this.signals.apply(event)
      return
    }
    applyEvent(this.states, event)
    const by = event.author.toString()
    if (event.body.kind === EventKind.ARCHIVE) {
      for (const target of event.body.targets) {
        const ordinal = this.ordinals.get(target)
        if (ordinal != null && this.authors.values[this.authorOf[ordinal]] === by) this.archivedOf[ordinal] = 1
      }
      return
    }
    if (event.body.kind !== EventKind.TOMBSTONE) return
    for (const target of event.body.targets) {
      const ordinal = this.ordinals.get(target)
      if (ordinal == null || this.forgottenOf[ordinal] === 1 || this.authors.values[this.authorOf[ordinal]] !== by) continue
      this.forgottenOf[ordinal] = 1
      this.forgotten++
      this.live[this.zoneOf[ordinal]]--
    }
  }

  holds (id: string): boolean {
    return this.ordinals.has(id) || this.events.has(id)
  }

  ordinal (id: string): number | undefined {
    return this.ordinals.get(id)
  }

  id (ordinal: number): string {
    return this.ids[ordinal] as string
  }

  zone (ordinal: number): Zone {
    return ZONES_BY_CODE[this.zoneOf[ordinal]]
  }

  agent (ordinal: number): string {
    return this.agents.values[this.agentOf[ordinal]]
  }

  author (ordinal: number): string {
    return this.authors.values[this.authorOf[ordinal]]
  }

  isForgotten (ordinal: number): boolean {
    return this.forgottenOf[ordinal] === 1
  }

  isArchived (ordinal: number): boolean {
    return this.archivedOf[ordinal] === 1
  }

  /** The chunks an author wrote (by peer id), forgotten ones included */
  chunksOf (author: string): Iterable<number> {
    const id = this.authors.find(author)
    return id == null ? [] : this.byAuthor[id]?.view() ?? []
  }

  state (id: string): ChunkState | undefined {
    return this.states.get(id)
  }

  /** Whether an agent of this node may read the chunk (forgotten ones included) */
  visible (ordinal: number, reader: string): boolean {
    if (this.zoneOf[ordinal] !== PRIVATE) return true
    return this.authors.values[this.authorOf[ordinal]] === this.self && this.agents.values[this.agentOf[ordinal]] === reader
  }

  /** Best `k` chunks for a query: vectors and BM25, weighted by confidence and salience */
  async search (query: IndexSearch): Promise<RankedHit[]> {
    const { test, candidates, selectivity, partitions } = this.compile(query.filter)
    const now = Date.now()
    return await rankResults({
      partitions,
      vectors: this.vectors,
      lexical: this.lexical,
      query: query.text,
      vector: query.vector,
      k: query.k,
      filter: test,
      candidates,
      selectivity,
      exact: query.exact === true,
      vectorOnly: query.vectorOnly === true,
      // an author caught signing two entries with one seq: nothing it wrote is trusted, and it ranks last
      confidence: ordinal => this.distrusted.size > 0 && this.distrusted.has(this.author(ordinal)) ? 0 : confidence(this.states.get(this.ids[ordinal] as string)),
      distrusted: this.distrusted.size > 0 ? ordinal => this.distrusted.has(this.author(ordinal)) : undefined,
      salience: ordinal => salience(this.states.get(this.ids[ordinal] as string), this.createdOf[ordinal], now),
      weights: query.weights
    })
  }

  /** When a chunk was written (its author's clock), ms since the epoch */
  createdAt (ordinal: number): number {
    return this.createdOf[ordinal]
  }

  /**
   * Orders two chunks by their authors' hybrid logical clocks, then by id:
   * negative when `a` was written first. Two chunks of one node written in
   * the same millisecond keep the order they were written in.
   */
  compareCreated (a: number, b: number): number {
    const byClock = this.createdOf[a] - this.createdOf[b] || this.logicalOf[a] - this.logicalOf[b]
    if (byClock !== 0) return byClock
    const ida = this.ids[a] as string
    const idb = this.ids[b] as string
    return ida < idb ? -1 : ida > idb ? 1 : 0
  }

  /**
   * A filter as a predicate over ordinals, and, when one of its conditions
   * is served by a posting list, the shortest such list: every chunk that
   * passes is in it.
   */
  compile (filter: ChunkFilter): CompiledFilter {
    const zoneAllowed = new Uint8Array(4)
    for (const zone of filter.zones ?? [Zone.PRIVATE, Zone.SHARED, Zone.FEDERATION]) {
      if (filter.replicatedOnly !== true || this.replicatedZones.includes(zone)) zoneAllowed[ZONE_CODES[zone]] = 1
    }
    const self = this.authors.find(this.self) ?? -1
    const reader = this.agents.find(filter.reader) ?? -1
    // posting lists are not copied: the candidates are a view of the shortest
    const lists: Ordinals[] = []
    const idsOf = (names: string[] | undefined, interner: Interner, postings: IntList[]): Set<number> | undefined => {
      if (names == null || names.length === 0) return undefined
      const ids = new Set(names.flatMap(n => { const id = interner.find(n); return id == null ? [] : [id] }))
      lists.push(IntList.concat([...ids].flatMap(id => postings[id] ?? [])))
      return ids
    }
    const agents = idsOf(filter.agents, this.agents, this.byAgent)
    // the vectors of each agent are also kept apart, for a scan of only theirs
    const partitions = agents != null ? { ids: [...agents], ordinals: lists[0] } : undefined
    const authors = idsOf(filter.authors, this.authors, this.byAuthor)
    let tags: number[] | undefined
    if (filter.tags != null && filter.tags.length > 0) {
      tags = filter.tags.map(t => this.tags.find(t) ?? -1)
      for (const tag of tags) lists.push(this.byTag[tag]?.view() ?? [])
    }
    const { since, until } = filter
    const { zoneOf, agentOf, authorOf, createdOf, forgottenOf, archivedOf, tagsOf } = this
    const withArchived = filter.archived === true
    const test = (ordinal: number): boolean => {
      const zone = zoneOf[ordinal]
      if (zoneAllowed[zone] !== 1 || forgottenOf[ordinal] === 1 || (archivedOf[ordinal] === 1 && !withArchived)) return false
      if (zone === PRIVATE && (authorOf[ordinal] !== self || agentOf[ordinal] !== reader)) return false
      if (agents != null && !agents.has(agentOf[ordinal])) return false
      if (authors != null && !authors.has(authorOf[ordinal])) return false
      if (tags != null) {
        const own = tagsOf[ordinal]
        if (own == null || !tags.every(t => own.includes(t))) return false
      }
      if (since != null && createdOf[ordinal] < since) return false
      if (until != null && createdOf[ordinal] > until) return false
      return true
    }
    const candidates = lists.length > 0 ? lists.reduce((a, b) => b.length < a.length ? b : a) : undefined
    // the share that passes, from what is counted: zones and the shortest posting list
    const total = this.live[1] + this.live[2] + this.live[3]
    const inZones = this.live.reduce((n, count, code) => zoneAllowed[code] === 1 ? n + count : n, 0)
    const selectivity = Math.min(inZones, candidates?.length ?? Infinity) / Math.max(1, total)
    return { test, candidates, selectivity, partitions }
  }

  stats (): IndexStats {
    return {
      chunks: { private: this.live[1], shared: this.live[2], federation: this.live[3] },
      forgotten: this.forgotten,
      events: this.events.size,
      authors: this.authors.values.length,
      indexed: { vectors: this.vectors.count, lexical: this.lexical.size }
    }
  }

  private grow (size: number): void {
    if (size <= this.zoneOf.length) return
    let capacity = this.zoneOf.length
    while (capacity < size) capacity *= 2
    this.zoneOf = grown(this.zoneOf, capacity)
    this.agentOf = grown(this.agentOf, capacity)
    this.authorOf = grown(this.authorOf, capacity)
    this.createdOf = grown(this.createdOf, capacity)
    this.logicalOf = grown(this.logicalOf, capacity)
    this.forgottenOf = grown(this.forgottenOf, capacity)
    this.archivedOf = grown(this.archivedOf, capacity)
  }
}

function post (postings: IntList[], id: number, ordinal: number): void {
  postings[id] ??= new IntList()
  postings[id].push(ordinal)
}
