import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { HybridLogicalClock } from '@overmind/hlc'
import { Chunk, EntryKind, Event, EventKind, SignedEntry, Zone, MAX_TAG_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH, MAX_STRING_LENGTH } from '@overmind/protocols'
import { Level } from 'level'
import { sha256 } from 'multiformats/hashes/sha2'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { HashingEmbedder } from './embedder.js'
import { authorOf, decodeSignedEntry, entryId, signChunk, signEvent, verifyEntry, vectorFromBytes, vectorToBytes, zoneFromName, zoneName, isEntryId } from './entry.js'
import { ChunkNotFoundError, EntryRejectedError, InvalidInputError, NotAuthorError, StoreClosedError } from './errors.js'
import { applyEvent, confidence, isForgotten } from './fold.js'
import { LexicalIndex } from './lexical-index.js'
import { rankResults } from './rank.js'
import { LogHeads } from './version-vector.js'
import { VectorIndex } from './vector-index.js'
import type { Embedder } from './embedder.js'
import type { VerifiedChunk, VerifiedEntry, VerifiedEvent, ZoneName } from './entry.js'
import type { RejectReason } from './errors.js'
import type { ChunkState } from './fold.js'
import type { LogHead } from './version-vector.js'
import type { AbortOptions, PeerId, PrivateKey } from '@libp2p/interface'
import type { VersionEntry } from '@overmind/protocols'

export interface MemoryStoreInit {
  /** Folder of the LevelDB database (created when missing) */
  path: string
  /** The node's identity: signs every chunk and event written here */
  privateKey: PrivateKey
  peerId: PeerId
  /** @default a HashingEmbedder */
  embedder?: Embedder
  clock?: HybridLogicalClock
  /**
   * Zones whose entries may leave this node and be accepted from peers.
   * `private` is never one of them.
   *
   * @default ['federation']
   */
  replicatedZones?: ZoneName[]
  /** @default 'federation' */
  defaultZone?: ZoneName
}

export interface PutInput {
  text: string
  /** @default the store's defaultZone */
  zone?: ZoneName
  /** The agent writing; owns the chunk in the private zone @default 'default' */
  agent?: string
  tags?: string[]
}

export interface ReadOptions extends AbortOptions {
  /** The agent reading: sees its own private chunks, shared and federation @default 'default' */
  agent?: string
}

/** A chunk as callers see it: content, provenance and folded state */
export interface ChunkView {
  id: string
  author: string
  agent: string
  zone: ZoneName
  text: string
  tags: string[]
  createdAt: number
  hlc: { wallTime: number, logical: number }
  seq: number
  model?: string
  confidence: number
  successes: number
  failures: number
  links: Array<{ relation: string, to: string }>
}

export interface SearchQuery extends ReadOptions {
  text: string
  /** @default 10 */
  k?: number
  zones?: ZoneName[]
  tags?: string[]
  /** Chunks written by these agents only */
  agents?: string[]
  /** Chunks of these author nodes only (peer id strings) */
  authors?: string[]
  /** createdAt bounds in ms since the epoch */
  since?: number
  until?: number
  /** Search only the zones that replicate (what a peer may be shown) */
  replicatedOnly?: boolean
  /** Skip the approximate graph and scan every vector */
  exact?: boolean
}

export interface SearchResult extends ChunkView {
  score: number
  similarity: number
  lexical: number
  /** The node that answered (this node for local results) */
  node: string
}

export interface IngestOptions extends AbortOptions {
  /**
   * The peer that published the entries itself (gossip carries only an
   * author's own entries): an entry of another author is rejected
   */
  publisher?: PeerId
}

export interface IngestResult {
  stored: number
  duplicates: number
  rejected: Array<{ reason: RejectReason, message: string }>
}

export interface StoredEntryEvent {
  entry: VerifiedEntry
  origin: 'local' | 'remote'
}

export interface MemoryStoreEvents {
  /** After an entry is durable and indexed */
  entry: CustomEvent<StoredEntryEvent>
}

export interface MemoryStats {
  chunks: Record<ZoneName, number>
  forgotten: number
  events: number
  authors: number
  model: string
  /** Chunks (forgotten ones too) in the vector and lexical indexes */
  indexed: { vectors: number, lexical: number }
}

/** What search filters read of a chunk, kept in memory by its ordinal in the indexes */
interface ChunkMeta {
  id: string
  author: string
  agent: string
  zone: Zone
  tags: string[]
  createdAt: number
}

interface Write {
  ops: any[]
  apply(): void
  resolve(): void
  reject(err: Error): void
}

/** A sublevel typed as the level it behaves like (the batch `sublevel` option takes it) */
type Sublevel = Level<string, Uint8Array>

const DEFAULT_AGENT = 'default'
const utf8 = new TextEncoder()
const utf8Text = new TextDecoder()
const SAVE_GRAPH_EVERY = 20_000

/**
 * Federated memory on LevelDB: signed, content-addressed chunks and events in
 * three zones, per-author logs for replication, and local search.
 *
 * Durability: a write resolves only after its LevelDB batch is written with
 * `sync: true`. Writes that arrive together share one batch (group commit),
 * so throughput does not pay one fsync per chunk. Chunks, their log entries
 * and their vectors commit in the same atomic batch; the search indexes are
 * derived and rebuilt from the batch contents when the store opens.
 */
export class MemoryStore extends TypedEventEmitter<MemoryStoreEvents> {
  readonly peerId: PeerId
  readonly embedder: Embedder
  readonly replicatedZones: readonly Zone[]
  private readonly self: string
  private readonly authorBytes: Uint8Array<ArrayBuffer>
  private readonly init: MemoryStoreInit
  private readonly clock: HybridLogicalClock
  private readonly defaultZone: Zone
  private readonly db: Level<string, Uint8Array>
  private readonly chunkLevel: Sublevel
  private readonly eventLevel: Sublevel
  private readonly logLevel: Sublevel
  private readonly vectorLevel: Sublevel
  private readonly metas: Array<ChunkMeta | undefined> = []
  private readonly ordinals = new Map<string, number>()
  private readonly events = new Set<string>()
  private readonly states = new Map<string, ChunkState>()
  private readonly heads = new LogHeads()
  private readonly pending = new Set<string>()
  private readonly ownNext = new Map<Zone, bigint>()
  private readonly lexical = new LexicalIndex()
  private vectors!: VectorIndex
  private nextOrdinal = 1
  private queue: Write[] = []
  /** The running group-commit loop, while there is one */
  private writing?: Promise<void>
  private sequencer: Promise<unknown> = Promise.resolve()
  private closed = true

  private constructor (init: MemoryStoreInit) {
    super()
    this.init = init
    this.peerId = init.peerId
    this.self = init.peerId.toString()
    this.authorBytes = init.peerId.toMultihash().bytes as Uint8Array<ArrayBuffer>
    this.embedder = init.embedder ?? new HashingEmbedder()
    this.clock = init.clock ?? new HybridLogicalClock()
    const replicated = (init.replicatedZones ?? ['federation']).map(zoneFromName)
    if (replicated.includes(Zone.PRIVATE)) {
      throw new InvalidInputError('the private zone never leaves its node: it cannot be a replicated zone')
    }
    this.replicatedZones = replicated
    this.defaultZone = zoneFromName(init.defaultZone ?? 'federation')
    this.db = new Level<string, Uint8Array>(init.path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    const sub = (name: string): Sublevel => this.db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' }) as unknown as Sublevel
    this.chunkLevel = sub('chunks')
    this.eventLevel = sub('events')
    this.logLevel = sub('log')
    this.vectorLevel = sub('vectors')
  }

  /** Opens (or creates) the store and rebuilds its indexes from disk */
  static async open (init: MemoryStoreInit): Promise<MemoryStore> {
    await mkdir(init.path, { recursive: true })
    const store = new MemoryStore(init)
    await store.db.open()
    try {
      await store.load()
    } catch (err) {
      await store.db.close()
      throw err
    }
    store.closed = false
    return store
  }

  private get graphPath (): string {
    return join(this.init.path, 'vectors.usearch')
  }

  private async load (): Promise<void> {
    const chunks: Array<{ ordinal: number, chunk: Chunk, id: string }> = []
    for await (const [key, value] of this.chunkLevel.iterator()) {
      const signed = SignedEntry.decode(value)
      const chunk = Chunk.decode(signed.body)
      const ordinal = parseInt(key, 16)
      chunks.push({ ordinal, chunk, id: entryId(signed.body) })
      this.nextOrdinal = Math.max(this.nextOrdinal, ordinal + 1)
    }
    let dimensions = this.embedder.dimensions
    if (dimensions === 0) {
      // a remote embedder tells its size on first use
      dimensions = (await this.embedder.embed(['dimensions']))[0].length
    }
    this.vectors = new VectorIndex(this.embedder.model, dimensions)
    await this.vectors.load(this.graphPath)
    const reembed: Array<{ ordinal: number, text: string }> = []
    for (const { ordinal, chunk, id } of chunks) {
      this.indexChunk(ordinal, id, chunk)
      const own = chunk.embedding?.model === this.embedder.model ? vectorFromBytes(chunk.embedding.vector) : undefined
      const stored = own ?? await this.vectorLevel.get(hex(ordinal))
      if (stored instanceof Float32Array) this.vectors.add(ordinal, stored)
      else if (stored != null) this.vectors.add(ordinal, vectorFromBytes(stored))
      else reembed.push({ ordinal, text: chunk.text })
    }
    // chunks whose vectors came from another model (or an earlier embedder)
    for (let i = 0; i < reembed.length; i += 256) {
      const part = reembed.slice(i, i + 256)
      const vectors = await this.embedder.embed(part.map(p => p.text))
      await this.vectorLevel.batch(part.map((p, j) => ({ type: 'put' as const, key: hex(p.ordinal), value: vectorToBytes(vectors[j]) })))
      part.forEach((p, j) => { this.vectors.add(p.ordinal, vectors[j]) })
    }
    for await (const value of this.eventLevel.values()) {
      const signed = SignedEntry.decode(value)
      const body = Event.decode(signed.body)
      const id = entryId(signed.body)
      this.events.add(id)
      applyEvent(this.states, { kind: EntryKind.EVENT, id, author: authorOfBody(body.author), body, signed })
    }
    for await (const key of this.logLevel.keys()) {
      const [zone, author, seq] = key.split('!')
      this.noteSeq(zoneFromDigit(zone), author, BigInt(`0x${seq}`))
    }
  }

  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.sequencer.catch(() => {})
    await this.writing
    this.vectors.close()
    await this.vectors.save(this.graphPath).catch(() => {})
    await this.db.close()
  }

  // ---- writes ----------------------------------------------------------

  /** Stores a chunk written by an agent of this node; resolves once durable */
  async put (input: PutInput, options: AbortOptions = {}): Promise<ChunkView> {
    return (await this.putMany([input], options))[0]
  }

  /**
   * Stores many chunks. Each is checked first, so one bad input rejects the
   * call before anything is written; all are durable when it resolves.
   */
  async putMany (inputs: PutInput[], options: AbortOptions = {}): Promise<ChunkView[]> {
    this.assertOpen()
    const checked = inputs.map(input => checkInput(input, this.defaultZone))
    const vectors = await this.embedder.embed(checked.map(c => c.text), options)
    const entries = await this.sequence(async () => {
      const signed: VerifiedChunk[] = []
      for (let i = 0; i < checked.length; i++) {
        const { text, zone, agent, tags } = checked[i]
        const chunk: Chunk = {
          agent,
          zone,
          text,
          tags,
          embedding: { model: this.embedder.model, dimensions: vectors[i].length, vector: vectorToBytes(vectors[i]) },
          ...this.stamp(zone)
        }
        signed.push(await signChunk(chunk, this.init.privateKey))
      }
      return signed.map((entry, i) => ({ entry, done: this.enqueueChunk(entry, vectors[i], true, 'local') }))
    })
    await Promise.all(entries.map(async e => { await e.done }))
    return entries.map(e => this.view(e.entry.id, e.entry.body))
  }

  /** Records that a task using these chunks succeeded or failed */
  async feedback (ids: string[], success: boolean, options: ReadOptions = {}): Promise<void> {
    await this.writeEvents(EventKind.FEEDBACK, ids, options, { success })
  }

  /** Forgets a chunk: a tombstone that every replica honours. Only its author node may. */
  async forget (id: string, options: ReadOptions = {}): Promise<void> {
    const meta = this.visibleMeta(id, options.agent)
    if (meta.author !== this.self) {
      throw new NotAuthorError(`chunk ${id} was written by ${meta.author}; only that node can forget it`)
    }
    await this.writeEvents(EventKind.TOMBSTONE, [id], options, {})
  }

  /** Links one chunk to another */
  async link (from: string, to: string, relation: string, options: ReadOptions = {}): Promise<void> {
    const a = this.visibleMeta(from, options.agent)
    const b = this.visibleMeta(to, options.agent)
    if (a.zone !== b.zone) throw new InvalidInputError('linked chunks must be in the same zone')
    await this.writeEvents(EventKind.LINK, [from, to], options, { relation }, false)
  }

  private async writeEvents (kind: EventKind, ids: string[], options: ReadOptions, fields: Partial<Event>, split = true): Promise<void> {
    this.assertOpen()
    if (ids.length === 0) throw new InvalidInputError('no chunk ids given')
    const agent = checkAgent(options.agent)
    // an event lives in the zone of its chunks, so events about private chunks stay private too
    const byZone = new Map<Zone, string[]>()
    for (const id of ids) {
      const meta = this.visibleMeta(id, agent)
      byZone.set(meta.zone, [...(byZone.get(meta.zone) ?? []), id])
    }
    const groups = split ? [...byZone] : [[[...byZone.keys()][0], ids] as [Zone, string[]]]
    const entries = await this.sequence(async () => {
      const out: Array<Promise<void>> = []
      for (const [zone, targets] of groups) {
        const event: Event = {
          agent,
          zone,
          kind,
          targets,
          success: false,
          relation: '',
          ...fields,
          ...this.stamp(zone)
        }
        out.push(this.enqueueEvent(await signEvent(event, this.init.privateKey), 'local'))
      }
      return out
    })
    await Promise.all(entries)
  }

  /**
   * Verifies and stores entries from a peer (gossip, sync) or a file. Bad
   * entries are counted and skipped; nothing of them is stored.
   */
  async ingest (entries: Array<Uint8Array | SignedEntry>, options: IngestOptions = {}): Promise<IngestResult> {
    this.assertOpen()
    const result: IngestResult = { stored: 0, duplicates: 0, rejected: [] }
    const verified: VerifiedEntry[] = []
    for (const raw of entries) {
      try {
        const signed = raw instanceof Uint8Array ? decodeSignedEntry(raw) : raw
        // ids are hashes of bodies: a body held already needs no second signature check
        const id = entryId(signed.body)
        if (this.holds(id) || this.pending.has(id)) {
          result.duplicates++
          continue
        }
        const entry = await verifyEntry(signed, { author: options.publisher })
        const zone = entry.body.zone
        if (!this.replicatedZones.includes(zone)) {
          throw new EntryRejectedError('zone-not-replicated', `${zoneName(zone)} entries are not accepted from other nodes`)
        }
        if (this.holds(entry.id) || this.pending.has(entry.id)) {
          result.duplicates++
          continue
        }
        this.pending.add(entry.id)
        verified.push(entry)
      } catch (err: any) {
        if (err instanceof EntryRejectedError) result.rejected.push({ reason: err.reason, message: err.message })
        else result.rejected.push({ reason: 'malformed', message: err.message })
      }
    }
    try {
      const chunks = verified.filter((e): e is VerifiedChunk => e.kind === EntryKind.CHUNK)
      const foreign = chunks.filter(c => c.body.embedding?.model !== this.embedder.model)
      const embedded = foreign.length > 0 ? await this.embedder.embed(foreign.map(c => c.body.text), options) : []
      const byId = new Map(foreign.map((c, i) => [c.id, embedded[i]]))
      const writes = verified.map(entry => entry.kind === EntryKind.CHUNK
        ? this.enqueueChunk(entry, byId.get(entry.id) ?? vectorFromBytes(entry.body.embedding?.vector ?? new Uint8Array()), !byId.has(entry.id), 'remote')
        : this.enqueueEvent(entry, 'remote'))
      await Promise.all(writes)
      result.stored = verified.length
    } finally {
      for (const entry of verified) this.pending.delete(entry.id)
    }
    return result
  }

  /** Runs `fn` after every earlier call: seqs are signed and queued in order, so a crash never leaves a gap */
  private async sequence<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.sequencer.then(fn)
    this.sequencer = run.catch(() => {})
    return await run
  }

  /** Author, clock and next seq of this node's log in `zone`: what every new entry carries */
  private stamp (zone: Zone): Pick<Chunk, 'author' | 'hlcWallTime' | 'hlcLogical' | 'seq'> {
    const hlc = this.clock.now()
    return { author: this.authorBytes, hlcWallTime: BigInt(hlc.wallTime), hlcLogical: hlc.logical, seq: this.takeSeq(zone) }
  }

  private takeSeq (zone: Zone): bigint {
    const next = this.ownNext.get(zone) ?? (this.heads.get(zone, this.self)?.max ?? 0n) + 1n
    this.ownNext.set(zone, next + 1n)
    return next
  }

  private enqueueChunk (entry: VerifiedChunk, vector: Float32Array, vectorInChunk: boolean, origin: 'local' | 'remote'): Promise<void> {
    const ordinal = this.nextOrdinal++
    const key = hex(ordinal)
    const author = entry.author.toString()
    const ops: any[] = [
      { type: 'put', sublevel: this.chunkLevel, key, value: SignedEntry.encode(entry.signed) },
      { type: 'put', sublevel: this.logLevel, key: logKey(entry.body.zone, author, entry.body.seq), value: utf8.encode(`c${key}`) }
    ]
    if (!vectorInChunk) ops.push({ type: 'put', sublevel: this.vectorLevel, key, value: vectorToBytes(vector) })
    return this.commit(ops, () => {
      this.indexChunk(ordinal, entry.id, entry.body)
      this.vectors.add(ordinal, vector)
      this.noteSeq(entry.body.zone, author, entry.body.seq)
      this.safeDispatch(entry, origin)
    })
  }

  private enqueueEvent (entry: VerifiedEvent, origin: 'local' | 'remote'): Promise<void> {
    const author = entry.author.toString()
    const ops: any[] = [
      { type: 'put', sublevel: this.eventLevel, key: entry.id, value: SignedEntry.encode(entry.signed) },
      { type: 'put', sublevel: this.logLevel, key: logKey(entry.body.zone, author, entry.body.seq), value: utf8.encode(`e${entry.id}`) }
    ]
    return this.commit(ops, () => {
      this.events.add(entry.id)
      applyEvent(this.states, entry)
      this.noteSeq(entry.body.zone, author, entry.body.seq)
      this.safeDispatch(entry, origin)
    })
  }

  private safeDispatch (entry: VerifiedEntry, origin: 'local' | 'remote'): void {
    try {
      this.safeDispatchEvent('entry', { detail: { entry, origin } })
    } catch {}
  }

  private noteSeq (zone: Zone, author: string, seq: bigint): void {
    const head = this.heads.add(zone, author, seq)
    if (author === this.self && (this.ownNext.get(zone) ?? 0n) <= head.max) {
      this.ownNext.set(zone, head.max + 1n)
    }
  }

  /** Group commit: every write queued while a batch is being written goes into the next batch */
  private async commit (ops: any[], apply: () => void): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ ops, apply, resolve, reject })
      this.flush()
    })
  }

  private flush (): void {
    if (this.writing != null) return
    this.writing = (async () => {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0, 2048)
        try {
          await this.db.batch(group.flatMap(w => w.ops), { sync: true })
        } catch (err: any) {
          for (const w of group) w.reject(err)
          continue
        }
        for (const w of group) {
          w.apply()
          w.resolve()
        }
        if (this.vectors.unsavedCount >= SAVE_GRAPH_EVERY) {
          await this.vectors.save(this.graphPath).catch(() => {})
        }
      }
      this.writing = undefined
    })()
  }

  private indexChunk (ordinal: number, id: string, chunk: Chunk): void {
    this.metas[ordinal] = {
      id,
      author: authorOfBody(chunk.author).toString(),
      agent: chunk.agent,
      zone: chunk.zone,
      tags: chunk.tags,
      createdAt: Number(chunk.hlcWallTime)
    }
    this.ordinals.set(id, ordinal)
    this.lexical.add(ordinal, chunk.text)
  }

  // ---- reads -----------------------------------------------------------

  /** Whether this node holds an entry (chunk or event) with this id */
  holds (id: string): boolean {
    return this.ordinals.has(id) || this.events.has(id)
  }

  /** A chunk the reader may see, with its folded state */
  async get (id: string, options: ReadOptions = {}): Promise<ChunkView> {
    this.assertOpen()
    this.visibleMeta(id, options.agent)
    const chunk = await this.readChunk(this.ordinals.get(id) as number)
    return this.view(id, chunk)
  }

  private async readChunk (ordinal: number): Promise<Chunk> {
    const value = await this.chunkLevel.get(hex(ordinal))
    if (value == null) throw new ChunkNotFoundError(`chunk at ordinal ${ordinal} is missing from the store`)
    return Chunk.decode(SignedEntry.decode(value).body)
  }

  private visibleMeta (id: string, agent?: string): ChunkMeta {
    if (!isEntryId(id)) throw new InvalidInputError(`"${id.slice(0, 80)}" is not a chunk id`)
    const ordinal = this.ordinals.get(id)
    const meta = ordinal != null ? this.metas[ordinal] : undefined
    if (meta == null || !this.visible(meta, agent ?? DEFAULT_AGENT)) {
      throw new ChunkNotFoundError(`no chunk ${id} here`)
    }
    if (isForgotten(this.states.get(id), meta.author)) {
      throw new ChunkNotFoundError(`chunk ${id} was forgotten`)
    }
    return meta
  }

  private visible (meta: ChunkMeta, agent: string): boolean {
    if (meta.zone === Zone.PRIVATE) return meta.author === this.self && meta.agent === agent
    return true
  }

  private view (id: string, chunk: Chunk): ChunkView {
    return chunkView(id, chunk, this.states.get(id))
  }


  /** Local search: vector similarity (approximate, exactly re-ranked) and BM25, weighted by confidence */
  async search (query: SearchQuery): Promise<SearchResult[]> {
    this.assertOpen()
    const k = Math.max(1, Math.min(query.k ?? 10, 1000))
    const [vector] = await this.embedder.embed([query.text], query)
    const filter = this.filterFor(query)
    const hits = rankResults({
      vectors: this.vectors,
      lexical: this.lexical,
      query: query.text,
      vector,
      k,
      filter,
      exact: query.exact === true,
      confidence: ordinal => confidence(this.states.get((this.metas[ordinal] as ChunkMeta).id))
    })
    const results: SearchResult[] = []
    for (const hit of hits) {
      const meta = this.metas[hit.ordinal] as ChunkMeta
      const chunk = await this.readChunk(hit.ordinal)
      results.push({ ...this.view(meta.id, chunk), score: hit.score, similarity: hit.similarity, lexical: hit.lexical, node: this.self })
    }
    return results
  }

  /**
   * Puts every vector still waiting into the approximate graph now. Indexing
   * otherwise runs in the background; until then searches scan those
   * vectors exactly, so results are the same either way.
   */
  flushIndex (): void {
    this.vectors.flushGraph()
  }

  private filterFor (query: SearchQuery): (ordinal: number) => boolean {
    const reader = checkAgent(query.agent)
    const zones = query.zones?.map(zoneFromName)
    const tags = query.tags != null && query.tags.length > 0 ? query.tags : undefined
    const agents = query.agents != null && query.agents.length > 0 ? new Set(query.agents) : undefined
    const authors = query.authors != null && query.authors.length > 0 ? new Set(query.authors) : undefined
    return (ordinal: number) => {
      const meta = this.metas[ordinal]
      if (meta == null) return false
      if (query.replicatedOnly === true ? !this.replicatedZones.includes(meta.zone) : !this.visible(meta, reader)) return false
      if (zones != null && !zones.includes(meta.zone)) return false
      if (agents != null && !agents.has(meta.agent)) return false
      if (authors != null && !authors.has(meta.author)) return false
      if (tags != null && !tags.every(t => meta.tags.includes(t))) return false
      if (query.since != null && meta.createdAt < query.since) return false
      if (query.until != null && meta.createdAt > query.until) return false
      return !isForgotten(this.states.get(meta.id), meta.author)
    }
  }

  /** Signed chunk entry by id, if held */
  async signedChunk (id: string): Promise<SignedEntry | undefined> {
    const ordinal = this.ordinals.get(id)
    if (ordinal == null) return undefined
    const value = await this.chunkLevel.get(hex(ordinal))
    return value == null ? undefined : SignedEntry.decode(value)
  }

  /**
   * Chunks the reader may see, in log order (zone, author, seq), optionally
   * of one author and zone after a seq.
   */
  async * chunks (options: ReadOptions & { zone?: ZoneName, author?: string, afterSeq?: number } = {}): AsyncGenerator<ChunkView> {
    this.assertOpen()
    const reader = checkAgent(options.agent)
    const zone = options.zone != null ? zoneFromName(options.zone) : undefined
    const range = zone != null && options.author != null
      ? { gt: logKey(zone, options.author, BigInt(options.afterSeq ?? 0)), lt: `${zoneDigit(zone)}!${options.author}!~` }
      : zone != null ? { gte: `${zoneDigit(zone)}!`, lt: `${zoneDigit(zone)}~` } : {}
    for await (const [key, value] of this.logLevel.iterator(range)) {
      const ref = utf8Text.decode(value)
      if (ref[0] !== 'c') continue
      if (options.author != null && key.split('!')[1] !== options.author) continue
      const ordinal = parseInt(ref.slice(1), 16)
      const meta = this.metas[ordinal]
      if (meta == null || !this.visible(meta, reader) || isForgotten(this.states.get(meta.id), meta.author)) continue
      yield this.view(meta.id, await this.readChunk(ordinal))
    }
  }

  /** This node's version vector over the replicated zones */
  versionVector (): VersionEntry[] {
    return this.heads.all(this.replicatedZones).map(h => ({
      author: authorFromString(h.author),
      zone: h.zone,
      seq: h.contiguous
    }))
  }

  /** The head of one author's log in one zone, if any of it is held */
  logHead (zone: Zone, author: string): LogHead | undefined {
    return this.heads.get(zone, author)
  }

  /** The heads of every log held (replicated zones only) */
  logHeads (): LogHead[] {
    return this.heads.all(this.replicatedZones)
  }

  /**
   * Every replicated entry the holder of `have` lacks, in (zone, author, seq)
   * order: for each log where this node holds more, the entries above the
   * peer's contiguous seq.
   */
  async * missing (have: VersionEntry[], options: AbortOptions = {}): AsyncGenerator<SignedEntry> {
    const theirs = new Map<string, bigint>()
    for (const v of have) {
      try {
        theirs.set(LogHeads.key(v.zone, authorOfBody(v.author).toString()), v.seq)
      } catch {}
    }
    for (const head of this.heads.all(this.replicatedZones)) {
      const known = theirs.get(LogHeads.key(head.zone, head.author)) ?? 0n
      if (head.max <= known) continue
      const range = { gt: logKey(head.zone, head.author, known), lt: `${zoneDigit(head.zone)}!${head.author}!~` }
      for await (const value of this.logLevel.values(range)) {
        options.signal?.throwIfAborted()
        const entry = await this.readRef(utf8Text.decode(value))
        if (entry != null) yield entry
      }
    }
  }

  private async readRef (ref: string): Promise<SignedEntry | undefined> {
    const value = ref[0] === 'c' ? await this.chunkLevel.get(ref.slice(1)) : await this.eventLevel.get(ref.slice(1))
    return value == null ? undefined : SignedEntry.decode(value)
  }

  /**
   * A digest of the replicated state: every entry id in log order and the
   * folded state of every chunk. Two nodes with the same digest hold the same
   * federation memory.
   */
  async digest (): Promise<{ digest: string, chunks: number, events: number }> {
    const lines: string[] = []
    let chunks = 0
    let events = 0
    for (const zone of [...this.replicatedZones].sort()) {
      for await (const [key, value] of this.logLevel.iterator({ gte: `${zoneDigit(zone)}!`, lt: `${zoneDigit(zone)}~` })) {
        const ref = utf8Text.decode(value)
        if (ref[0] === 'c') {
          const meta = this.metas[parseInt(ref.slice(1), 16)] as ChunkMeta
          const state = this.states.get(meta.id)
          lines.push(`${key} ${meta.id} ${isForgotten(state, meta.author) ? 'forgotten' : 'live'} ${state?.successes ?? 0}/${state?.failures ?? 0} ${[...state?.links.values() ?? []].flatMap(s => [...s]).sort().join(',')}`)
          chunks++
        } else {
          lines.push(`${key} ${ref.slice(1)}`)
          events++
        }
      }
    }
    const hash = await sha256.digest(utf8.encode(lines.join('\n')))
    return { digest: uint8ArrayToString(hash.digest, 'base16'), chunks, events }
  }

  stats (): MemoryStats {
    const chunks: Record<ZoneName, number> = { private: 0, shared: 0, federation: 0 }
    let forgotten = 0
    const authors = new Set<string>()
    for (const meta of this.metas) {
      if (meta == null) continue
      authors.add(meta.author)
      if (isForgotten(this.states.get(meta.id), meta.author)) forgotten++
      else chunks[zoneName(meta.zone)]++
    }
    return { chunks, forgotten, events: this.events.size, authors: authors.size, model: this.embedder.model, indexed: { vectors: this.vectors.count, lexical: this.lexical.size } }
  }

  private assertOpen (): void {
    if (this.closed) throw new StoreClosedError('the memory store is closed')
  }
}

/** How callers see a chunk body, with the folded state of its events (none: as first written) */
export function chunkView (id: string, chunk: Chunk, state?: ChunkState): ChunkView {
  const links: ChunkView['links'] = []
  for (const [relation, targets] of state?.links ?? []) {
    for (const to of targets) links.push({ relation, to })
  }
  return {
    id,
    author: authorOfBody(chunk.author).toString(),
    agent: chunk.agent,
    zone: zoneName(chunk.zone),
    text: chunk.text,
    tags: chunk.tags,
    createdAt: Number(chunk.hlcWallTime),
    hlc: { wallTime: Number(chunk.hlcWallTime), logical: chunk.hlcLogical },
    seq: Number(chunk.seq),
    model: chunk.embedding?.model,
    confidence: confidence(state),
    successes: state?.successes ?? 0,
    failures: state?.failures ?? 0,
    links
  }
}

interface CheckedInput { text: string, zone: Zone, agent: string, tags: string[] }

function checkInput (input: PutInput, defaultZone: Zone): CheckedInput {
  if (typeof input?.text !== 'string' || input.text.trim() === '') throw new InvalidInputError('text must be a non-empty string')
  const bytes = Buffer.byteLength(input.text)
  if (bytes > MAX_TEXT_LENGTH) throw new InvalidInputError(`text of ${bytes} bytes is over the ${MAX_TEXT_LENGTH} byte limit`)
  let zone = defaultZone
  if (input.zone != null) {
    try {
      zone = zoneFromName(input.zone)
    } catch (err: any) {
      throw new InvalidInputError(err.message)
    }
  }
  const tags = [...new Set((input.tags ?? []).map(t => String(t).trim()).filter(t => t !== ''))]
  if (tags.length > MAX_TAGS) throw new InvalidInputError(`at most ${MAX_TAGS} tags`)
  for (const tag of tags) {
    if (Buffer.byteLength(tag) > MAX_TAG_LENGTH) throw new InvalidInputError(`tag "${tag.slice(0, 20)}…" is over ${MAX_TAG_LENGTH} bytes`)
  }
  return { text: input.text, zone, agent: checkAgent(input.agent), tags }
}

function checkAgent (agent?: string): string {
  if (agent == null || agent === '') return DEFAULT_AGENT
  if (typeof agent !== 'string' || Buffer.byteLength(agent) > MAX_STRING_LENGTH) throw new InvalidInputError(`agent name must be a string of at most ${MAX_STRING_LENGTH} bytes`)
  return agent
}

function hex (ordinal: number): string {
  return ordinal.toString(16).padStart(12, '0')
}

function zoneDigit (zone: Zone): string {
  switch (zone) {
    case Zone.PRIVATE: return '1'
    case Zone.SHARED: return '2'
    case Zone.FEDERATION: return '3'
    default: throw new TypeError(`unknown zone ${String(zone)}`)
  }
}

function zoneFromDigit (digit: string): Zone {
  return ({ 1: Zone.PRIVATE, 2: Zone.SHARED, 3: Zone.FEDERATION } as Record<string, Zone>)[digit]
}

function logKey (zone: Zone, author: string, seq: bigint): string {
  return `${zoneDigit(zone)}!${author}!${seq.toString(16).padStart(16, '0')}`
}

const authorCache = new Map<string, PeerId>()

function authorOfBody (multihash: Uint8Array): PeerId {
  const key = uint8ArrayToString(multihash, 'base64')
  let peer = authorCache.get(key)
  if (peer == null) {
    peer = authorOf(multihash)
    if (authorCache.size > 10_000) authorCache.clear()
    authorCache.set(key, peer)
  }
  return peer
}

function authorFromString (peerId: string): Uint8Array<ArrayBuffer> {
  return peerIdFromString(peerId).toMultihash().bytes as Uint8Array<ArrayBuffer>
}
