import { join } from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { HybridLogicalClock } from '@overmind/hlc'
import { Chunk, EntryKind, Event, EventKind, SignedEntry, Zone, MAX_EVENT_TARGETS, MAX_EVENT_USES, MAX_LINK_WEIGHT, MAX_QUERY_TEXT_LENGTH, MAX_TAG_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH, MAX_STRING_LENGTH } from '@overmind/protocols'
import { sha256 } from 'multiformats/hashes/sha2'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { Admissions } from './admission.js'
import { VectorBackfill } from './backfill.js'
import { Consolidator } from './consolidate.js'
import { ConvergenceWatch, DEFAULT_SIGNAL_RULES } from './convergence.js'
import { HashingEmbedder } from './embedder.js'
import { EntryLog, zoneDigit } from './entry-log.js'
import { entryPool, split } from './entry-pool.js'
import { authorOf, envelopeParts, NO_EVENT_FIELDS, isEntryId, signChunk, signEvent, vectorToBytes, zoneFromName, zoneName } from './entry.js'
import { ChunkNotFoundError, InvalidInputError, NotAuthorError, StorageError, StoreClosedError } from './errors.js'
import { confidence, isArchived, isForgotten, salience, useCount } from './fold.js'
import { MAX_SPREAD, spreadActivation, withoutDuplicates } from './links.js'
import { MemoryIndex } from './memory-index.js'
import { wordsOf } from './terms.js'
import { WriteQueue } from './write-queue.js'
import type { Admission, CheckOptions, IngestOptions } from './admission.js'
import type { ConsolidationReport } from './consolidate.js'
import type { Embedder } from './embedder.js'
import type { VerifiedChunk, VerifiedEntry, ZoneName } from './entry.js'
import type { ChunkState } from './fold.js'
import type { ChunkView, IngestResult, MemoryStats, MemoryStoreEvents, MemoryStoreInit, PruneRules, PutInput, ReadOptions, SearchHit, SearchQuery, SearchResult, Signal } from './index.js'
import type { SpreadHit } from './links.js'
import type { ChunkFilter } from './memory-index.js'
import type { LogHead } from './version-vector.js'
import type { Write } from './write-queue.js'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { VersionEntry } from '@overmind/protocols'

export const DEFAULT_PRUNE_RULES: PruneRules = { enabled: true, action: 'archive', after: 7 * 86_400_000, salienceBelow: 0.2, confidenceBelow: 0.25 }

const DEFAULT_AGENT = 'default'
const SAVE_GRAPH_EVERY = 20_000
/** Longest run of indexing per turn of the event loop (~25 µs an entry) */
const INDEX_SLICE_MS = 1
/** Chunks that may wait for a vector of this node's model before writes pause */
const EMBEDDING_BACKLOG = 2048
const DEFAULT_MAX_PENDING = 8192

/** An event of this node before its clock, seq and author are stamped on it */
type UnsignedEvent = Omit<Event, 'author' | 'hlcWallTime' | 'hlcLogical' | 'seq'>

/** How often counted reads are written as use events */
const DEFAULT_USE_INTERVAL = 10 * 60_000
const DEFAULT_CONSOLIDATE_INTERVAL = 3_600_000

/** From this many chunks on, a write is signed on the worker threads */
const SIGN_IN_THREADS = 32
/** The setting `overmind repair` leaves when the store may have lost entries of its own */
export const AWAITING_SYNC = 'awaiting-sync'
const utf8 = new TextEncoder()

/**
 * Federated memory on LevelDB: signed, content-addressed chunks and events in
 * three zones, per-author logs for replication, and local search.
 *
 * The store composes an entry log (the signed bytes on disk, per-author
 * sequences and version vectors), a queue of writes in front of it (group
 * commit, and what a failed write leaves), an index built from the log
 * (metadata, BM25, vectors, folded events) and an embedding step in front.
 * Entries from peers are checked by `check` without any I/O, then written
 * behind the caller by `accept`; a local write resolves only once its batch
 * is synced to disk (writes that arrive together share one batch), and an
 * entry of this node is visible to reads only once it is durable.
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
  private readonly maxPending: number
  private readonly log: Logger
  private readonly entries: EntryLog
  private readonly index: MemoryIndex
  private readonly backfill: VectorBackfill
  private readonly writes: WriteQueue
  private readonly admissions: Admissions
  /** The next seq of this node's log in each zone, once taken from the disk */
  private readonly ownNext = new Map<Zone, bigint>()
  /** Entries from peers dropped because the queue of writes was full */
  private dropped = 0
  /** Repaired after damage: no local write until a sync with a peer (see `peerSynced`) */
  private awaitingSync = false
  /** A save of the graph waiting for the graph thread to be idle */
  private savingGraph?: Promise<void>
  private sequencer: Promise<unknown> = Promise.resolve()
  private closed = true
  /** Reads not written as use events yet: chunk id → agent → count */
  private readonly reads = new Map<string, Map<string, number>>()
  private useTimer?: ReturnType<typeof setInterval>
  private consolidateTimer?: ReturnType<typeof setInterval>
  private readonly convergence: ConvergenceWatch
  private readonly consolidator: Consolidator

  private constructor (init: MemoryStoreInit, entries: EntryLog, dimensions: number) {
    super()
    this.init = init
    this.entries = entries
    this.peerId = init.peerId
    this.self = init.peerId.toString()
    this.authorBytes = init.peerId.toMultihash().bytes as Uint8Array<ArrayBuffer>
    this.embedder = init.embedder ?? new HashingEmbedder()
    this.clock = init.clock ?? new HybridLogicalClock()
    this.log = (init.logger ?? defaultLogger()).forComponent('overmind:memory')
    this.maxPending = init.maxPending ?? DEFAULT_MAX_PENDING
    const replicated = (init.replicatedZones ?? ['federation']).map(zoneFromName)
    if (replicated.includes(Zone.PRIVATE)) {
      throw new InvalidInputError('the private zone never leaves its node: it cannot be a replicated zone')
    }
    this.replicatedZones = replicated
    this.defaultZone = zoneFromName(init.defaultZone ?? 'federation')
    this.index = new MemoryIndex({ model: this.embedder.model, dimensions, self: this.self, replicatedZones: replicated })
    this.writes = new WriteQueue({
      path: init.path,
      entries,
      self: this.self,
      log: this.log,
      apply: async write => { await this.applyAll(write) },
      beforeLocal: async () => {
        // what searches must scan exactly stays bounded: local writes wait for the graph and the embedder
        await this.index.vectors.caughtUp()
        await this.backfill.below(EMBEDDING_BACKLOG)
      },
      written: ids => { this.written(ids) },
      sequence: async fn => { await this.sequence(fn) },
      reopened: () => { this.ownNext.clear() },
      beforeWrite: init.beforeWrite,
      afterWrite: init.afterWrite
    })
    this.admissions = new Admissions({
      replicatedZones: replicated,
      index: this.index,
      writes: this.writes,
      entries,
      log: this.log,
      equivocated: detail => { this.safeDispatchEvent('equivocation', { detail }) }
    })
    this.backfill = new VectorBackfill({
      embedder: this.embedder,
      log: this.log,
      deliver: async (vectors) => {
        for (const { ordinal, vector } of vectors) {
          this.index.addVector(ordinal, vector)
          this.convergence.note(ordinal)
        }
        await this.entries.writeVectors(vectors)
      }
    })
    this.convergence = new ConvergenceWatch({
      index: this.index,
      self: this.self,
      rules: { ...DEFAULT_SIGNAL_RULES, ...init.signals },
      log: this.log,
      texts: async chunks => (await this.readChunks(chunks)).map(bytes => bytes == null ? undefined : decodeChunk(bytes).text),
      raise: async ({ targets, score, novelty, topic }) => {
        if (this.closed || this.writes.failure != null || this.awaitingSync) return
        await this.writeOwnEvents([{ ...NO_EVENT_FIELDS, agent: DEFAULT_AGENT, zone: Zone.FEDERATION, kind: EventKind.SIGNAL, targets, score, novelty, topic }])
      }
    })
    const pruning = { ...DEFAULT_PRUNE_RULES, ...init.prune }
    this.consolidator = new Consolidator({
      index: this.index,
      self: this.self,
      duplicateSimilarity: init.duplicateSimilarity,
      link: async links => {
        await this.writeOwnEvents(links.map(({ agent, zone, from, to, relation, weight }) => ({ ...NO_EVENT_FIELDS, agent, zone, kind: EventKind.LINK, targets: [from, to], relation, weight: linkThousandths(weight) })))
      },
      prune: async now => pruning.enabled ? await this.prune(now) : []
    })
  }

  /** Opens (or creates) the store and rebuilds its indexes from disk */
  static async open (init: MemoryStoreInit): Promise<MemoryStore> {
    if (init.replicatedZones?.includes('private') === true) {
      throw new InvalidInputError('the private zone never leaves its node: it cannot be a replicated zone')
    }
    const embedder = init.embedder ?? new HashingEmbedder()
    // a remote embedder tells its size on first use
    const dimensions = embedder.dimensions !== 0 ? embedder.dimensions : (await embedder.embed(['dimensions']))[0].length
    const entries = await EntryLog.open(init.path, { create: init.create })
    const store = new MemoryStore({ ...init, embedder }, entries, dimensions)
    try {
      await store.load()
    } catch (err) {
      const failure = await entries.explain(err)
      await entries.close()
      throw failure
    }
    store.closed = false
    const interval = init.useInterval ?? DEFAULT_USE_INTERVAL
    if (interval > 0) {
      store.useTimer = setInterval(() => { store.flushUses().catch((err: Error) => { store.log('use events not written - %s', err.message) }) }, interval)
      store.useTimer.unref()
    }
    const consolidateInterval = init.consolidateInterval ?? DEFAULT_CONSOLIDATE_INTERVAL
    if (consolidateInterval > 0) {
      store.consolidateTimer = setInterval(() => {
        store.consolidate()
          .then(report => { store.log('consolidated: %o', report) })
          .catch((err: Error) => { store.log('consolidation pass not done - %s', err.message) })
      }, consolidateInterval)
      store.consolidateTimer.unref()
    }
    // signing, hashing and checking entries of peers run there: start them before the first sync
    entryPool().warm()
    return store
  }

  private get graphPath (): string {
    return join(this.init.path, 'vectors.usearch')
  }

  /** Rebuilds the index from the log: no id is hashed and no signature checked again */
  private async load (): Promise<void> {
    const problem = await this.index.vectors.open(this.graphPath)
    if (problem != null && problem !== 'no saved graph') this.log.error('rebuilding the vector graph: %s', problem)
    let foreign: Array<{ ordinal: number, id: string, author: string, body: Chunk }> = []
    const indexForeign = async (): Promise<void> => {
      const vectors = await this.entries.readVectors(foreign.map(f => f.ordinal))
      foreign.forEach((f, i) => {
        this.index.addChunk(f.ordinal, f.id, f.author, f.body, vectors[i])
        this.convergence.seen(f.ordinal)
        if (vectors[i] == null) this.backfill.add(f.ordinal, f.body.text)
      })
      foreign = []
    }
    for await (const { ordinal, id, bytes } of this.entries.storedChunks()) {
      const body = Chunk.decode(SignedEntry.decode(bytes).body)
      const author = authorOfBody(body.author).toString()
      const own = this.ownVector(body)
      if (own != null) {
        this.index.addChunk(ordinal, id, author, body, own)
        this.convergence.seen(ordinal)
      } else {
        foreign.push({ ordinal, id, author, body })
        if (foreign.length >= 256) await indexForeign()
      }
    }
    await indexForeign()
    for await (const { id, bytes } of this.entries.storedEvents()) {
      const signed = SignedEntry.decode(bytes)
      const body = Event.decode(signed.body)
      this.index.addEvent({ kind: EntryKind.EVENT, id, author: authorOfBody(body.author), body, signed, bytes })
    }
    this.awaitingSync = await this.entries.readMeta(AWAITING_SYNC) === '1'
    for await (const { author, id } of this.entries.evidence()) this.admissions.remember(author, id)
    // the graph skips what it already holds; a rebuild does not hold writes back
    this.index.vectors.reloaded()
  }

  async close (): Promise<void> {
    if (this.closed) return
    // reads counted since the last interval are not written: a store that closes writes
    // nothing new, which a stopping node could no longer send anyway
    clearInterval(this.useTimer)
    clearInterval(this.consolidateTimer)
    await this.convergence.close()
    this.closed = true
    await this.writes.close()
    await this.sequencer.catch(() => {})
    await this.writes.idle()
    await this.backfill.stop()
    // saved now, which also settles a save waiting for an idle moment
    await this.index.vectors.save(this.graphPath).catch((err: Error) => { this.log.error('%s', err.message) })
    await this.savingGraph
    await this.index.vectors.close()
    await this.entries.close()
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
    this.assertWritable()
    const checked = inputs.map(input => checkInput(input, this.defaultZone))
    const vectors = await this.embedder.embed(checked.map(c => c.text), options)
    const signed = await this.sequence(async () => {
      // seqs are taken in order here and signed in parallel on the thread pool
      const chunks: Chunk[] = checked.map(({ text, zone, agent, tags }, i) => ({
        agent,
        zone,
        text,
        tags,
        embedding: { model: this.embedder.model, dimensions: vectors[i].length, vector: vectorToBytes(vectors[i]) },
        ...this.stamp(zone)
      }))
      const entries = await this.signChunks(chunks)
      return { entries, done: this.writes.enqueue({ entries, origin: 'local', vectors }) }
    })
    await signed.done
    return signed.entries.map(e => chunkView(e.id, e.body, this.index.state(e.id)))
  }

  /**
   * Signs chunks of this node: a few on libuv's thread pool, many on the
   * process's worker threads, which also encode and hash them (Ed25519
   * signatures are deterministic: either way gives the same bytes)
   */
  private async signChunks (chunks: Chunk[]): Promise<VerifiedChunk[]> {
    const key = this.init.privateKey
    if (chunks.length < SIGN_IN_THREADS || key.type !== 'Ed25519') {
      return await Promise.all(chunks.map(async chunk => await signChunk(chunk, key)))
    }
    const pool = entryPool()
    const seed = key.raw.subarray(0, 32)
    const parts = split(chunks, pool.size, SIGN_IN_THREADS)
    const signed = await Promise.all(parts.map(async bodies => await pool.run({ op: 'sign', seed, kind: EntryKind.CHUNK, bodies })))
    const author = authorOf(this.authorBytes)
    return parts.flatMap((bodies, p) => {
      const result = signed[p]
      if (!('signed' in result)) throw new Error('the signing thread answered something else')
      const { ids, bytes: packed, ends, words } = result.signed
      return bodies.map((body, i): VerifiedChunk => {
        const id = ids[i]
        const bytes = packed.subarray(i === 0 ? 0 : ends[i - 1], ends[i])
        return { kind: EntryKind.CHUNK, id, author, body, signed: envelopeParts(EntryKind.CHUNK, bytes), bytes, words: wordsOf(words, i) }
      })
    })
  }

  /** Records that a task using these chunks succeeded or failed */
  async feedback (ids: string[], success: boolean, options: ReadOptions = {}): Promise<void> {
    await this.writeEvents(EventKind.FEEDBACK, ids, options, { success })
    this.consolidator.usedTogether(ids, checkAgent(options.agent))
  }

  /** Forgets a chunk: a tombstone that every replica honours. Only its author node may. */
  async forget (id: string, options: ReadOptions = {}): Promise<void> {
    const ordinal = this.visibleOrdinal(id, options.agent)
    const author = this.index.author(ordinal)
    if (author !== this.self) {
      throw new NotAuthorError(`chunk ${id} was written by ${author}; only that node can forget it`)
    }
    await this.writeEvents(EventKind.TOMBSTONE, [id], options, {})
  }

  /**
   * Applies the prune rules to the chunks this node wrote, at `now`: each
   * one unused for `after` whose salience or confidence fell under its
   * threshold is archived by an archive event in its zone (one per zone and
   * agent, up to 64 chunks), which every replica folds the same way; the
   * events about private chunks stay on this node. Returns the ids archived.
   */
  async prune (now = Date.now()): Promise<string[]> {
    if (this.closed || this.writes.failure != null || this.awaitingSync) return []
    const rules = { ...DEFAULT_PRUNE_RULES, ...this.init.prune }
    const groups = new Map<string, { zone: Zone, agent: string, targets: string[] }>()
    const archived: string[] = []
    for (const ordinal of this.index.chunksOf(this.self)) {
      if (this.index.isForgotten(ordinal) || this.index.isArchived(ordinal)) continue
      const created = this.index.createdAt(ordinal)
      if (now - created < rules.after) continue
      const id = this.index.id(ordinal)
      const state = this.index.state(id)
      const lastUse = state?.uses.at(-1)?.[0] ?? created
      if (now - lastUse < rules.after) continue
      if (salience(state, created, now) >= rules.salienceBelow && confidence(state) >= rules.confidenceBelow) continue
      const zone = this.index.zone(ordinal)
      const agent = this.index.agent(ordinal)
      const key = `${zone}\n${agent}`
      const group = groups.get(key) ?? { zone, agent, targets: [] }
      groups.set(key, group)
      group.targets.push(id)
      archived.push(id)
    }
    if (archived.length === 0) return []
    await this.writeOwnEvents(this.eventsFor(groups.values(), rules.action === 'forget' ? EventKind.TOMBSTONE : EventKind.ARCHIVE))
    this.log('%s %d chunks by the prune rules', rules.action === 'forget' ? 'forgot' : 'archived', archived.length)
    return archived
  }

  /**
   * The consolidation pass ("sleep"), which also runs every
   * `consolidateInterval`: links the chunks this node's agents used together
   * (each pass strengthens the link), links each chunk this node wrote to
   * its oldest near-duplicate (`same-as`: search then shows the canonical
   * chunk only), and applies the prune rules. It writes ordinary events.
   */
  async consolidate (now = Date.now()): Promise<ConsolidationReport> {
    this.assertWritable()
    return await this.consolidator.run(now)
  }

  /** Links one chunk to another */
  async link (from: string, to: string, relation: string, options: ReadOptions & { weight?: number } = {}): Promise<void> {
    const weight = options.weight ?? 1
    if (!(weight > 0 && weight <= 1)) throw new InvalidInputError('a link\'s weight is above 0 and at most 1')
    if (Buffer.byteLength(relation) > MAX_STRING_LENGTH) throw new InvalidInputError(`relation is over ${MAX_STRING_LENGTH} bytes`)
    const a = this.visibleOrdinal(from, options.agent)
    const b = this.visibleOrdinal(to, options.agent)
    if (this.index.zone(a) !== this.index.zone(b)) throw new InvalidInputError('linked chunks must be in the same zone')
    await this.writeEvents(EventKind.LINK, [from, to], options, { relation, weight: linkThousandths(weight) }, false)
  }

  private async writeEvents (kind: EventKind, ids: string[], options: ReadOptions, fields: Partial<Event>, split = true): Promise<void> {
    this.assertWritable()
    if (ids.length === 0) throw new InvalidInputError('no chunk ids given')
    const agent = checkAgent(options.agent)
    // an event lives in the zone of its chunks, so events about private chunks stay private too
    const byZone = new Map<Zone, string[]>()
    for (const id of ids) {
      const zone = this.index.zone(this.visibleOrdinal(id, agent))
      byZone.set(zone, [...(byZone.get(zone) ?? []), id])
    }
    const groups = split ? [...byZone] : [[[...byZone.keys()][0], ids] as [Zone, string[]]]
    await this.writeOwnEvents(groups.map(([zone, targets]) => ({ agent, zone, kind, targets, ...NO_EVENT_FIELDS, ...fields })))
  }

  /**
   * Events about chunks, `targets` split into events of up to 64, one per
   * zone and agent (and count): what the use events and the prune rules write
   */
  private eventsFor (groups: Iterable<{ zone: Zone, agent: string, targets: string[] }>, kind: EventKind, fields: Partial<Event> = {}): UnsignedEvent[] {
    const events: UnsignedEvent[] = []
    for (const { zone, agent, targets } of groups) {
      for (let i = 0; i < targets.length; i += MAX_EVENT_TARGETS) {
        events.push({ agent, zone, kind, targets: targets.slice(i, i + MAX_EVENT_TARGETS).sort(), ...NO_EVENT_FIELDS, ...fields })
      }
    }
    return events
  }

  /** Stamps (clock, seq), signs and writes events of this node; resolves once durable */
  private async writeOwnEvents (events: UnsignedEvent[]): Promise<void> {
    const done = await this.sequence(async () => {
      const entries = await Promise.all(events.map(async event => await signEvent({ ...event, ...this.stamp(event.zone) }, this.init.privateKey)))
      return this.writes.enqueue({ entries, origin: 'local' })
    })
    await done
  }

  // ---- entries from peers ----------------------------------------------

  /**
   * Checks an encoded entry from a peer: size, schema, canonical encoding,
   * author, signature and zone. No I/O and no embedding: a topic validator
   * can wait for this and nothing else. An entry already held or on its way
   * to disk is a duplicate and costs no signature check.
   */
  async check (bytes: Uint8Array, options: CheckOptions = {}): Promise<Admission> {
    return await this.admissions.check(bytes, options)
  }

  /** `check` for many entries (a sync page, a knowledge batch), together on the worker threads */
  async checkMany (entries: Uint8Array[], options: CheckOptions = {}): Promise<Admission[]> {
    return await this.admissions.checkMany(entries, options)
  }

  /**
   * Queues a checked entry to be written behind the caller. `full` when the
   * queue of writes holds `maxPending` entries from peers: the entry is
   * dropped and anti-entropy brings it later.
   */
  accept (entry: VerifiedEntry): 'queued' | 'duplicate' | 'equivocation' | 'full' | 'failed' {
    if (this.closed || this.writes.failure != null) return 'failed'
    if (this.admissions.holds(entry.id)) return 'duplicate'
    if (this.entries.heads.has(entry.body.zone, entry.author.toString(), entry.body.seq)) {
      this.admissions.equivocation(entry)
      return 'equivocation'
    }
    if (this.writes.remoteQueued >= this.maxPending || this.behind()) {
      this.dropped++
      this.safeDispatchEvent('entry:dropped', { detail: { id: entry.id } })
      return 'full'
    }
    void this.writes.enqueue({ entries: [entry], origin: 'remote' }).catch(() => {})
    return 'queued'
  }

  /**
   * Checks and stores entries from a peer (a sync page) or a file. Bad
   * entries are counted and skipped; nothing of them is stored. Waits for
   * room in the queue of writes, and resolves once what was stored is
   * written.
   */
  async ingest (entries: Array<Uint8Array | SignedEntry>, options: IngestOptions = {}): Promise<IngestResult> {
    this.assertOpen()
    const result: IngestResult = { stored: 0, duplicates: 0, rejected: [], equivocations: 0 }
    const admissions = await this.checkMany(entries.map(raw => raw instanceof Uint8Array ? raw : SignedEntry.encode(raw)), { publisher: options.publisher })
    const rejectedOrDuplicate = (admission: Admission): boolean => {
      if (admission.verdict === 'reject') {
        result.rejected.push({ reason: admission.reason, message: admission.message })
        return true
      }
      if (admission.verdict === 'duplicate') {
        result.duplicates++
        return true
      }
      if (admission.verdict === 'equivocation') {
        result.equivocations++
        return true
      }
      return false
    }
    const candidates = admissions.filter(a => !rejectedOrDuplicate(a)) as Array<Admission & { verdict: 'accept' }>
    if (candidates.length === 0) return result
    await this.writes.room(() => this.writes.remoteQueued + candidates.length > this.maxPending || this.behind(), options.signal)
    // what arrived meanwhile by gossip is a duplicate now
    const accepted: VerifiedEntry[] = []
    const seen = new Set<string>()
    /** Ids of this batch by log position */
    const positions = new Map<string, string>()
    for (const { entry } of candidates) {
      const position = `${entry.body.zone}!${entry.author.toString()}!${entry.body.seq}`
      if (this.admissions.holds(entry.id) || seen.has(entry.id)) {
        result.duplicates++
      } else if (positions.has(position) || this.entries.heads.has(entry.body.zone, entry.author.toString(), entry.body.seq)) {
        this.admissions.equivocation(entry, positions.get(position))
        result.equivocations++
      } else {
        seen.add(entry.id)
        positions.set(position, entry.id)
        accepted.push(entry)
      }
    }
    if (accepted.length === 0) return result
    await this.writes.enqueue({ entries: accepted, origin: 'remote' })
    result.stored = accepted.length
    return result
  }

  /**
   * Whether the graph or the embedder is so far behind that writes from
   * peers should wait (or, from gossip, be dropped): what searches scan
   * exactly stays bounded
   */
  private behind (): boolean {
    return this.index.vectors.behind || this.backfill.backlog > EMBEDDING_BACKLOG
  }

  // ---- the write loop --------------------------------------------------

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
    const next = this.ownNext.get(zone) ?? (this.entries.heads.get(zone, this.self)?.max ?? 0n) + 1n
    this.ownNext.set(zone, next + 1n)
    return next
  }

  /** A batch is written and indexed: listeners are told, and the graph is saved now and then */
  private written (ids: string[]): void {
    if (this.listenerCount('written') > 0) this.safeDispatchEvent('written', { detail: { ids } })
    if (this.index.vectors.unsavedCount >= SAVE_GRAPH_EVERY && this.savingGraph == null) {
      // saved behind the writes, when the graph thread is idle
      this.savingGraph = this.index.vectors.save(this.graphPath, { whenIdle: true })
        .catch((err: Error) => { if (!this.closed) this.log.error('%s', err.message) })
        .finally(() => { this.savingGraph = undefined })
    }
  }

  /** Indexes the entries of a write, a slice of at most INDEX_SLICE_MS per turn of the event loop */
  private async applyAll (write: Write): Promise<void> {
    let slice = performance.now()
    for (let i = 0; i < write.entries.length; i++) {
      if (performance.now() - slice > INDEX_SLICE_MS) {
        await new Promise(resolve => setImmediate(resolve))
        slice = performance.now()
      }
      this.apply(write.entries[i], write.origin, write.ordinals?.[i], write.vectors?.[i])
    }
  }

  /**
   * The vector a chunk carries when this node's embedder made it (its bytes);
   * a vector of another model, or of the wrong size under this model's name,
   * is not used: the chunk is embedded here
   */
  private ownVector (chunk: Chunk): Uint8Array | undefined {
    const embedding = chunk.embedding
    if (embedding?.model !== this.embedder.model || embedding.vector.byteLength !== this.index.vectors.dimensions * 4) return undefined
    return embedding.vector
  }

  /** Makes an entry visible: index, seqs, clock, listeners */
  private apply (entry: VerifiedEntry, origin: 'local' | 'remote', ordinal?: number, vector?: Float32Array): void {
    const author = entry.author.toString()
    if (entry.kind === EntryKind.CHUNK) {
      const own = vector ?? this.ownVector(entry.body)
      this.index.addChunk(ordinal as number, entry.id, author, entry.body, own, entry.words)
      // the words were read for the index only: the buffer they share with their batch can go
      entry.words = undefined
      if (own == null) this.backfill.add(ordinal as number, entry.body.text)
      else this.convergence.note(ordinal as number)
    } else if (entry.body.kind === EventKind.SIGNAL && !this.index.signals.names(entry.body.targets)) {
      this.index.addEvent(entry)
      const signal = this.signal(this.index.signals.of(entry.body.targets[0])?.id ?? '')
      if (signal != null) {
        try {
          this.safeDispatchEvent('signal', { detail: signal })
        } catch {}
      }
    } else {
      this.index.addEvent(entry)
    }
    const head = this.entries.heads.add(entry.body.zone, author, entry.body.seq)
    if (origin === 'remote') {
      try {
        this.clock.update({ wallTime: Number(entry.body.hlcWallTime), logical: entry.body.hlcLogical })
      } catch {
        // a clock far ahead of ours does not drag ours along
      }
    }
    if (author === this.self && (this.ownNext.get(entry.body.zone) ?? 0n) <= head.max) this.ownNext.set(entry.body.zone, head.max + 1n)
    try {
      this.safeDispatchEvent('entry', { detail: { entry, origin } })
    } catch {}
  }

  // ---- reads -----------------------------------------------------------

  /** Whether this node holds an entry (chunk or event) with this id, durably */
  holds (id: string): boolean {
    return this.index.holds(id)
  }

  /** The stored bytes of chunks, from disk or, when not written yet, from the queue of writes */
  private async readChunks (chunks: Array<{ ordinal: number, id: string }>): Promise<Array<Uint8Array | undefined>> {
    const stored = await this.entries.readChunks(chunks)
    return stored.map((bytes, i) => bytes ?? this.writes.unwritten.get(chunks[i].id))
  }

  /** A chunk the reader may see, with its folded state */
  async get (id: string, options: ReadOptions = {}): Promise<ChunkView> {
    this.assertOpen()
    const ordinal = this.visibleOrdinal(id, options.agent)
    const [bytes] = await this.readChunks([{ ordinal, id }])
    if (bytes == null) throw new ChunkNotFoundError(`chunk ${id} is missing from the store`)
    this.recordReads([id], checkAgent(options.agent))
    return chunkView(id, decodeChunk(bytes), this.index.state(id))
  }

  /** Counts reads of chunks by an agent of this node, for the next use events */
  private recordReads (ids: string[], agent: string): void {
    for (const id of ids) {
      let byAgent = this.reads.get(id)
      if (byAgent == null) {
        byAgent = new Map()
        this.reads.set(id, byAgent)
      }
      byAgent.set(agent, Math.min(MAX_EVENT_USES, (byAgent.get(agent) ?? 0) + 1))
    }
  }

  /**
   * Writes the reads counted so far as use events: one per zone, agent and
   * count (up to 64 chunks each), in the zone of the chunks, so the uses of
   * private chunks stay on this node. However many searches ran, the wire
   * and the disk carry at most one use of a chunk per agent and interval.
   */
  async flushUses (): Promise<number> {
    if (this.reads.size === 0 || this.closed || this.writes.failure != null || this.awaitingSync) return 0
    const groups = new Map<string, { zone: Zone, agent: string, uses: number, targets: string[] }>()
    for (const [id, byAgent] of this.reads) {
      const ordinal = this.index.ordinal(id)
      // forgotten since it was read: nothing to record
      if (ordinal == null || this.index.isForgotten(ordinal)) continue
      const zone = this.index.zone(ordinal)
      for (const [agent, uses] of byAgent) {
        const key = `${zone}\n${agent}\n${uses}`
        let group = groups.get(key)
        if (group == null) {
          group = { zone, agent, uses, targets: [] }
          groups.set(key, group)
        }
        group.targets.push(id)
      }
    }
    this.reads.clear()
    const events = [...groups.values()].flatMap(group => this.eventsFor([group], EventKind.USE, { uses: group.uses }))
    if (events.length === 0) return 0
    await this.writeOwnEvents(events)
    return events.length
  }

  /** How many convergence signals this node holds */
  get signalCount (): number {
    return this.index.signals.size
  }

  /** The convergence signals this node holds, newest first (the newest `limit`) */
  signals (limit = Infinity): Signal[] {
    return [...this.index.signals.values()]
      .sort((a, b) => b.raisedAt - a.raisedAt || (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map(state => this.signal(state.id) as Signal)
  }

  private signal (id: string): Signal | undefined {
    const state = this.index.signals.get(id)
    if (state == null) return undefined
    const agents = new Map<string, { node: string, agent: string }>()
    for (const chunk of state.chunks) {
      const ordinal = this.index.ordinal(chunk)
      if (ordinal == null) continue
      const node = this.index.author(ordinal)
      const agent = this.index.agent(ordinal)
      agents.set(`${node}\n${agent}`, { node, agent })
    }
    const sorted = [...agents.values()].sort((a, b) => a.node < b.node ? -1 : a.node > b.node ? 1 : a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0)
    return {
      id,
      topic: state.lead.topic,
      score: state.lead.score,
      novelty: state.lead.novelty,
      chunks: [...state.chunks].sort(),
      agents: sorted,
      nodes: [...new Set(sorted.map(a => a.node))],
      raisedAt: state.raisedAt,
      raisedBy: [...state.raisedBy].sort()
    }
  }

  /** Resolves once every chunk added so far was checked for convergence (and any signal it makes is raised) */
  async signalsSettled (): Promise<void> {
    await this.convergence.settled()
  }

  private visibleOrdinal (id: string, agent?: string): number {
    if (!isEntryId(id)) throw new InvalidInputError(`"${id.slice(0, 80)}" is not a chunk id`)
    const ordinal = this.index.ordinal(id)
    if (ordinal == null || !this.index.visible(ordinal, agent ?? DEFAULT_AGENT)) {
      throw new ChunkNotFoundError(`no chunk ${id} here`)
    }
    if (this.index.isForgotten(ordinal)) throw new ChunkNotFoundError(`chunk ${id} was forgotten`)
    return ordinal
  }

  /** Local search: vector similarity (approximate, exactly re-ranked) and BM25, weighted by confidence */
  async search (query: SearchQuery): Promise<SearchResult[]> {
    const results = (await this.searchEntries(query)).map(hit => hit.result)
    const agent = checkAgent(query.agent)
    const ids = results.map(r => r.id)
    this.recordReads(ids, agent)
    this.consolidator.usedTogether(ids, agent)
    return results
  }

  /** `search`, with the stored entry of every result */
  async searchEntries (query: SearchQuery): Promise<SearchHit[]> {
    this.assertOpen()
    const k = Math.max(1, Math.min(query.k ?? 10, 1000))
    const textBytes = Buffer.byteLength(query.text ?? '')
    if (textBytes > MAX_QUERY_TEXT_LENGTH) throw new InvalidInputError(`search text of ${textBytes} bytes is over the ${MAX_QUERY_TEXT_LENGTH} byte limit`)
    const spread = query.spread ?? 0
    if (!Number.isInteger(spread) || spread < 0 || spread > MAX_SPREAD) throw new InvalidInputError(`spread: a number of hops from 0 to ${MAX_SPREAD}`)
    const [vector] = await this.embedder.embed([query.text], { signal: query.signal, priority: 'query' })
    const filter = this.filterFor(query)
    const ranked = await this.index.search({ text: query.text, vector, k, filter, exact: query.exact, vectorOnly: query.vectorOnly, weights: this.init.rankWeights })
    const hits = withoutDuplicates<SpreadHit>(this.index, spread > 0 ? spreadActivation(this.index, ranked, filter, k, spread) : ranked)
    const ids = hits.map(hit => ({ ordinal: hit.ordinal, id: this.index.id(hit.ordinal) }))
    const stored = await this.readChunks(ids)
    const out: SearchHit[] = []
    hits.forEach((hit, i) => {
      const bytes = stored[i]
      if (bytes == null) return
      const { id } = ids[i]
      const view = chunkView(id, decodeChunk(bytes), this.index.state(id))
      out.push({ result: { ...view, score: hit.score, similarity: hit.similarity, lexical: hit.lexical, node: this.self, ...(hit.via != null ? { via: hit.via } : {}) }, bytes })
    })
    return out
  }

  /**
   * Resolves once the approximate graph holds every vector stored so far.
   * The graph is built in the background; until a vector is in it,
   * searches scan that vector exactly, so results are the same either way.
   */
  async flushIndex (): Promise<void> {
    await this.index.vectors.flushGraph()
  }

  private filterFor (query: SearchQuery): ChunkFilter {
    const nonEmpty = (list?: string[]): string[] | undefined => list != null && list.length > 0 ? list : undefined
    return {
      reader: checkAgent(query.agent),
      zones: query.zones?.map(zoneFromName),
      tags: nonEmpty(query.tags),
      agents: nonEmpty(query.agents),
      authors: nonEmpty(query.authors),
      since: query.since,
      until: query.until,
      replicatedOnly: query.replicatedOnly,
      archived: query.archived
    }
  }

  /**
   * Chunks the reader may see, in log order (zone, author, seq), optionally
   * of one author and zone after a seq, or of one zone after a position
   * (`after`: the author and seq of the last chunk seen, which pages through
   * a zone without reading what came before).
   */
  async * chunks (options: ReadOptions & { zone?: ZoneName, author?: string, afterSeq?: number, after?: { author: string, seq: number } } = {}): AsyncGenerator<ChunkView> {
    this.assertOpen()
    const reader = checkAgent(options.agent)
    const zone = options.zone != null ? zoneFromName(options.zone) : undefined
    const after = zone != null && options.after != null ? { author: options.after.author, seq: BigInt(options.after.seq) } : undefined
    const range = { zone, author: zone != null ? options.author : undefined, afterSeq: BigInt(options.afterSeq ?? 0), after }
    let batch: Array<{ ordinal: number, id: string }> = []
    const read = async function * (this: MemoryStore): AsyncGenerator<ChunkView> {
      const stored = await this.entries.readChunks(batch)
      for (let i = 0; i < batch.length; i++) {
        const bytes = stored[i]
        if (bytes != null) yield chunkView(batch[i].id, decodeChunk(bytes), this.index.state(batch[i].id))
      }
      batch = []
    }
    for await (const { author, ref } of this.entries.positions(range)) {
      if (ref.kind !== 'chunk' || (options.author != null && author !== options.author)) continue
      if (!this.index.visible(ref.ordinal, reader) || this.index.isForgotten(ref.ordinal)) continue
      batch.push({ ordinal: ref.ordinal, id: ref.id })
      if (batch.length >= 256) yield * read.call(this)
    }
    yield * read.call(this)
  }

  /** This node's version vector over the replicated zones */
  versionVector (): VersionEntry[] {
    return this.entries.heads.all(this.replicatedZones).map(h => ({
      author: authorFromString(h.author),
      zone: h.zone,
      seq: h.contiguous
    }))
  }

  /** The head of one author's log in one zone, if any of it is held */
  logHead (zone: Zone, author: string): LogHead | undefined {
    return this.entries.heads.get(zone, author)
  }

  /** The heads of every log held (replicated zones only) */
  logHeads (): LogHead[] {
    return this.entries.heads.all(this.replicatedZones)
  }

  /**
   * Every replicated entry the holder of `have` lacks, as the encoded
   * entries stored, in (zone, author, seq) order: for each log where this
   * node holds more, the entries above the peer's contiguous seq.
   */
  async * missing (have: VersionEntry[], options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
    const theirs = new Map<string, bigint>()
    for (const v of have) {
      try {
        theirs.set(`${v.zone}!${authorOfBody(v.author).toString()}`, v.seq)
      } catch {}
    }
    const logs = this.entries.heads.all(this.replicatedZones).flatMap(head => {
      const known = theirs.get(`${head.zone}!${head.author}`) ?? 0n
      return head.max > known ? [{ zone: head.zone, author: head.author, above: known }] : []
    })
    yield * this.entries.entriesAbove(logs, options)
  }

  /**
   * A digest of the replicated state: every entry id in log order and the
   * folded state of every chunk. Two nodes with the same digest hold the same
   * federation memory.
   */
  async digest (): Promise<{ digest: string, chunks: number, events: number }> {
    // what the store holds (a peer's entries are held before their batch is
    // written) is what it digests: the positions are read from disk
    await this.writes.idle()
    const lines: string[] = []
    let chunks = 0
    let events = 0
    for (const zone of [...this.replicatedZones].sort()) {
      for await (const { author, seq, ref } of this.entries.positions({ zone })) {
        const key = `${zoneDigit(zone)}!${author}!${seq.toString(16).padStart(16, '0')}`
        if (ref.kind === 'chunk') {
          const state = this.index.state(ref.id)
          lines.push(`${key} ${ref.id} ${isForgotten(state, author) ? 'forgotten' : isArchived(state, author) ? 'archived' : 'live'} ${state?.successes ?? 0}/${state?.failures ?? 0} ${[...state?.links ?? []].flatMap(([relation, targets]) => [...targets].map(([to, w]) => `${relation}>${to}@${w}`)).sort().join(',')} ${(state?.uses ?? []).map(([at, n]) => `${at}x${n}`).join(',')}`)
          chunks++
        } else {
          lines.push(`${key} ${ref.id}`)
          events++
        }
      }
    }
    const hash = await sha256.digest(utf8.encode(lines.join('\n')))
    return { digest: uint8ArrayToString(hash.digest, 'base16'), chunks, events }
  }

  stats (): MemoryStats {
    const stats = this.index.stats()
    const failure = this.writes.failure
    return {
      chunks: stats.chunks,
      forgotten: stats.forgotten,
      events: stats.events,
      authors: stats.authors,
      signals: this.index.signals.size,
      model: this.embedder.model,
      indexed: stats.indexed,
      backlog: { writes: this.writes.backlog, graph: this.index.vectors.backlog, embedding: this.backfill.backlog, dropped: this.dropped },
      awaitingSync: this.awaitingSync,
      equivocations: { authors: [...this.admissions.evidence.keys()], entries: [...this.admissions.evidence.values()].reduce((n, ids) => n + ids.size, 0) },
      ...(failure != null ? { failure: { problem: failure.error.problem, path: failure.error.path, message: failure.error.message, since: failure.since } } : {})
    }
  }

  private assertOpen (): void {
    if (this.closed) throw new StoreClosedError('the memory store is closed')
  }

  private assertWritable (): void {
    this.assertOpen()
    if (this.writes.failure != null) throw this.writes.refusal()
    if (this.awaitingSync) {
      throw new StorageError('missing', this.init.path, 'this memory store was repaired and may have lost entries of its own that peers hold; it takes writes once a sync with a peer has brought them back (`overmind repair --standalone` for a node that never shared its memory)')
    }
  }

  /**
   * A sync exchange with a peer completed: the entries of this node's own
   * logs that the peer held are back, so a store repaired after damage
   * takes writes again, with seqs above them
   */
  async peerSynced (): Promise<void> {
    if (!this.awaitingSync || this.closed) return
    await this.entries.writeMeta(AWAITING_SYNC, undefined)
    this.awaitingSync = false
    this.log('synced with a peer after a repair: the memory store takes writes again')
  }
}

/** How callers see a chunk body, with the folded state of its events (none: as first written) */
/** A link's weight in thousandths, as events carry it: a full link is written without one */
function linkThousandths (weight: number): number {
  const thousandths = Math.max(1, Math.round(weight * MAX_LINK_WEIGHT))
  return thousandths === MAX_LINK_WEIGHT ? 0 : thousandths
}

export function chunkView (id: string, chunk: Chunk, state?: ChunkState, now = Date.now()): ChunkView {
  const links: ChunkView['links'] = []
  for (const [relation, targets] of state?.links ?? []) {
    for (const [to, weight] of targets) links.push({ relation, to, weight })
  }
  // in one order whatever order the link events came in
  links.sort((a, b) => a.relation < b.relation ? -1 : a.relation > b.relation ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0)
  const author = authorOfBody(chunk.author).toString()
  return {
    id,
    author,
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
    links,
    salience: salience(state, Number(chunk.hlcWallTime), now),
    uses: useCount(state),
    archived: isArchived(state, author)
  }
}

/** The body of a stored chunk (verified when it came in) */
function decodeChunk (bytes: Uint8Array): Chunk {
  return Chunk.decode(SignedEntry.decode(bytes).body)
}

interface CheckedInput { text: string, zone: Zone, agent: string, tags: string[] }

function checkInput (input: PutInput, defaultZone: Zone): CheckedInput {
  if (typeof input?.text !== 'string' || !/\S/.test(input.text)) throw new InvalidInputError('text must be a non-empty string')
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

const authorOfBody = authorOf

function authorFromString (peerId: string): Uint8Array<ArrayBuffer> {
  return peerIdFromString(peerId).toMultihash().bytes as Uint8Array<ArrayBuffer>
}
