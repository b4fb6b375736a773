import { mkdir } from 'node:fs/promises'
import { EntryKind, SignedEntry, Zone } from '@overmind/protocols'
import { ClassicLevel } from 'classic-level'
import { entryId, vectorFromBytes, vectorToBytes } from './entry.js'
import { StorageError } from './errors.js'
import { checkStoreFolder, diagnose, folderState, manifestOf, storageError } from './storage.js'
import { LogHeads } from './version-vector.js'
import type { VerifiedEntry } from './entry.js'
import type { AbortOptions } from '@libp2p/interface'

/** One entry to append, with what this node assigned to it */
export interface LogWrite {
  entry: VerifiedEntry
  /** Chunks: the local ordinal the indexes know it by */
  ordinal?: number
}

/** A chunk as stored: its ordinal, its id and the encoded SignedEntry */
export interface StoredChunk {
  ordinal: number
  id: string
  bytes: Uint8Array
}

/** A chunk or an event as stored, with its key */
export interface StoredRecord {
  kind: 'chunk' | 'event'
  key: string
  id: string
  /** Chunks: the local ordinal */
  ordinal?: number
  bytes: Uint8Array
}

/** Where a log position points */
export type LogRef = { kind: 'chunk', ordinal: number, id: string } | { kind: 'event', id: string }

function sublevelOf (db: ClassicLevel<string, Uint8Array>, name: string) {
  return db.sublevel<string, Uint8Array>(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
}

type Sublevel = ReturnType<typeof sublevelOf>

/** Keys written per getMany call when reading many records */
const READ_BATCH = 256

/** Entries added to a write batch per turn of the event loop */
const APPEND_SLICE = 64

/** The layout this code writes; a store without it is migrated on open */
const FORMAT = '2'

const utf8 = new TextEncoder()
const utf8Text = new TextDecoder()

/**
 * The entry log of a memory store: every entry held, as the signed bytes it
 * arrived or was written in, in LevelDB.
 *
 * - `chunks`: `<ordinal hex>!<id>` → encoded SignedEntry (the ordinal is this
 *   node's local position of the chunk, the key the indexes use)
 * - `events`: `<id>` → encoded SignedEntry
 * - `log`: `<zone digit>!<author>!<seq hex>` → `c<chunk key>` or `e<id>`:
 *   each author's log per zone, what version vectors and sync pages read
 * - `vectors`: `<ordinal hex>` → the vector this node made for a chunk that
 *   carries none of its model (derived: made again when missing)
 * - `evidence`: `<author>!<zone digit>!<seq hex>!<id>` → encoded SignedEntry:
 *   a second entry its author signed with a seq it had already used (the
 *   first is in the log); kept, never folded
 *
 * Each `append` is one atomic batch written with `sync: true`.
 */
export class EntryLog {
  readonly heads = new LogHeads()
  private readonly db: ClassicLevel<string, Uint8Array>
  private readonly chunkLevel: Sublevel
  private readonly eventLevel: Sublevel
  private readonly logLevel: Sublevel
  private readonly vectorLevel: Sublevel
  private readonly metaLevel: Sublevel
  private readonly evidenceLevel: Sublevel
  private next = 1
  readonly path: string

  private constructor (path: string) {
    this.path = path
    this.db = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    const sub = (name: string): Sublevel => sublevelOf(this.db, name)
    this.chunkLevel = sub('chunks')
    this.eventLevel = sub('events')
    this.logLevel = sub('log')
    this.vectorLevel = sub('vectors')
    this.metaLevel = sub('meta')
    this.evidenceLevel = sub('evidence')
  }

  /**
   * Opens the log and reads the heads of every author's log. A new log is
   * created only in a folder that is missing or empty, unless `create` is
   * false; a folder that holds a store is checked first (see storage.ts)
   * and opened as it is, or not at all: a StorageError names the file.
   */
  static async open (path: string, options: { create?: boolean } = {}): Promise<EntryLog> {
    const state = await folderState(path)
    if (state === 'store') {
      await checkStoreFolder(path)
    } else if (options.create === false) {
      throw new StorageError('missing', path, `${path} holds no memory store; nothing was created: \`overmind repair\` rebuilds one from what peers hold`)
    } else {
      await mkdir(path, { recursive: true })
    }
    const log = new EntryLog(path)
    try {
      await log.db.open({ createIfMissing: state !== 'store' })
    } catch (err) {
      throw storageError(err, path, await manifestOf(path))
    }
    try {
      await log.migrate()
      await log.readHeads()
    } catch (err) {
      const failure = await log.explain(err)
      await log.db.close()
      throw failure
    }
    return log
  }

  private async readHeads (): Promise<void> {
    for await (const key of this.logLevel.keys()) {
      const [zone, author, seq] = key.split('!')
      this.heads.add(zoneFromDigit(zone), author, BigInt(`0x${seq}`))
    }
    for await (const key of this.chunkLevel.keys({ reverse: true, limit: 1 })) {
      this.next = Math.max(this.next, parseInt(key, 16) + 1)
    }
  }

  /**
   * Closes LevelDB and opens it again, checked as at open: what a failed
   * write left behind (a torn record, a background error LevelDB keeps) is
   * settled by LevelDB's recovery, and a damaged log stops it
   */
  async reopen (): Promise<void> {
    await this.db.close()
    await checkStoreFolder(this.path)
    try {
      await this.db.open({ createIfMissing: false })
      // sublevels close with their database, and do not open with it
      for (const sublevel of [this.chunkLevel, this.eventLevel, this.logLevel, this.vectorLevel, this.metaLevel, this.evidenceLevel]) await sublevel.open()
    } catch (err) {
      throw storageError(err, this.path, await manifestOf(this.path))
    }
  }

  /**
   * An error of LevelDB as a StorageError; for damage LevelDB does not
   * locate, LevelDB's repair is run on a copy of the files to name the file
   */
  async explain (err: any): Promise<StorageError> {
    const failure = storageError(err, this.path)
    if (failure.problem !== 'corrupt' || failure.path !== this.path) return failure
    try {
      const { damaged } = await diagnose(this.path)
      if (damaged.length > 0) return storageError(err, this.path, damaged.map(d => d.file).join(', '))
    } catch {}
    return failure
  }

  /** The highest seq of an author's log in a zone, as the disk holds it */
  async lastSeq (zone: Zone, author: string): Promise<bigint> {
    for await (const key of this.logLevel.keys({ gte: `${zoneDigit(zone)}!${author}!`, lt: `${zoneDigit(zone)}!${author}!~`, reverse: true, limit: 1 })) {
      return BigInt(`0x${key.split('!')[2]}`)
    }
    return 0n
  }

  /** Whether the disk holds each of these writes */
  async holds (writes: LogWrite[]): Promise<boolean[]> {
    return await Promise.all(writes.map(async ({ entry, ordinal }) => {
      const value = entry.kind === EntryKind.CHUNK
        ? await this.chunkLevel.get(chunkKey(ordinal ?? 0, entry.id))
        : await this.eventLevel.get(entry.id)
      return value != null
    }))
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  /** The ordinal the next chunk gets */
  takeOrdinal (): number {
    return this.next++
  }

  /** Every chunk held, in ordinal order */
  async * storedChunks (): AsyncGenerator<StoredChunk> {
    for await (const [key, bytes] of this.chunkLevel.iterator()) {
      const { ordinal, id } = parseChunkKey(key)
      yield { ordinal, id, bytes }
    }
  }

  /** Every event held */
  async * storedEvents (): AsyncGenerator<{ id: string, bytes: Uint8Array }> {
    for await (const [id, bytes] of this.eventLevel.iterator()) yield { id, bytes }
  }

  /**
   * Writes entries in one atomic batch. With `sync` (the default), resolves
   * once the batch is on disk; without, once the operating system has it (it
   * survives a crash of the process, not of the machine). The caller records
   * the seqs in `heads` when the entries become visible.
   *
   * The batch is filled a slice of entries per turn of the event loop:
   * LevelDB copies each key and value as it is added, ~5 µs an entry, so
   * one call for a group of 2,048 would hold the loop for 10–40 ms.
   */
  async append (writes: LogWrite[], options: { sync?: boolean } = {}): Promise<void> {
    const batch = this.db.batch()
    try {
      for (let i = 0; i < writes.length; i++) {
        if (i > 0 && i % APPEND_SLICE === 0) await new Promise(resolve => setImmediate(resolve))
        const { entry, ordinal } = writes[i]
        const position = logKey(entry.body.zone, entry.author.toString(), entry.body.seq)
        if (entry.kind === EntryKind.CHUNK) {
          if (ordinal == null) throw new TypeError('a chunk needs an ordinal')
          const key = chunkKey(ordinal, entry.id)
          batch.put(key, entry.bytes, { sublevel: this.chunkLevel })
          batch.put(position, utf8.encode(`c${key}`), { sublevel: this.logLevel })
        } else {
          batch.put(entry.id, entry.bytes, { sublevel: this.eventLevel })
          batch.put(position, utf8.encode(`e${entry.id}`), { sublevel: this.logLevel })
        }
      }
    } catch (err) {
      await batch.close()
      throw err
    }
    await batch.write({ sync: options.sync ?? true })
  }

  /** The stored bytes of chunks, in the order asked; undefined where missing */
  async readChunks (chunks: Array<{ ordinal: number, id: string }>): Promise<Array<Uint8Array | undefined>> {
    if (chunks.length === 0) return []
    return await this.chunkLevel.getMany(chunks.map(c => chunkKey(c.ordinal, c.id)))
  }

  /** Vectors this node made for chunks of another model, by ordinal */
  async readVectors (ordinals: number[]): Promise<Array<Float32Array | undefined>> {
    const out: Array<Float32Array | undefined> = []
    for (let i = 0; i < ordinals.length; i += READ_BATCH) {
      const values = await this.vectorLevel.getMany(ordinals.slice(i, i + READ_BATCH).map(hex))
      for (const value of values) out.push(value == null ? undefined : vectorFromBytes(value))
    }
    return out
  }

  /** Keeps vectors made for chunks of another model (derived data: not synced) */
  async writeVectors (vectors: Array<{ ordinal: number, vector: Float32Array }>): Promise<void> {
    await this.vectorLevel.batch(vectors.map(v => ({ type: 'put' as const, key: hex(v.ordinal), value: vectorToBytes(v.vector) })))
  }

  /**
   * Positions of the log in key order (zone, author, seq): of one zone, or
   * of one author in one zone after a seq.
   */
  async * positions (range: { zone?: Zone, author?: string, afterSeq?: bigint, after?: { author: string, seq: bigint } } = {}): AsyncGenerator<{ zone: Zone, author: string, seq: bigint, ref: LogRef }> {
    const { zone, author, after } = range
    const bounds = zone != null && author != null
      ? { gt: logKey(zone, author, range.afterSeq ?? 0n), lt: `${zoneDigit(zone)}!${author}!~` }
      : zone != null && after != null
        ? { gt: logKey(zone, after.author, after.seq), lt: `${zoneDigit(zone)}~` }
        : zone != null ? { gte: `${zoneDigit(zone)}!`, lt: `${zoneDigit(zone)}~` } : {}
    for await (const [key, value] of this.logLevel.iterator(bounds)) {
      const [digit, keyAuthor, seq] = key.split('!')
      yield { zone: zoneFromDigit(digit), author: keyAuthor, seq: BigInt(`0x${seq}`), ref: parseRef(utf8Text.decode(value)) }
    }
  }

  /**
   * The encoded entries of the given logs above the given seqs, log by log
   * in seq order: what a peer with that version vector lacks.
   */
  async * entriesAbove (logs: Array<{ zone: Zone, author: string, above: bigint }>, options: AbortOptions = {}): AsyncGenerator<Uint8Array> {
    for (const { zone, author, above } of logs) {
      let refs: LogRef[] = []
      for await (const { ref } of this.positions({ zone, author, afterSeq: above })) {
        options.signal?.throwIfAborted()
        refs.push(ref)
        if (refs.length >= READ_BATCH) {
          yield * (await this.readRefs(refs))
          refs = []
        }
      }
      yield * (await this.readRefs(refs))
    }
  }

  private async readRefs (refs: LogRef[]): Promise<Uint8Array[]> {
    const chunkKeys = refs.flatMap(r => r.kind === 'chunk' ? [chunkKey(r.ordinal, r.id)] : [])
    const eventKeys = refs.flatMap(r => r.kind === 'event' ? [r.id] : [])
    const chunks = chunkKeys.length > 0 ? await this.chunkLevel.getMany(chunkKeys) : []
    const events = eventKeys.length > 0 ? await this.eventLevel.getMany(eventKeys) : []
    let c = 0
    let e = 0
    const out: Uint8Array[] = []
    for (const ref of refs) {
      const value = ref.kind === 'chunk' ? chunks[c++] : events[e++]
      if (value != null) out.push(value)
    }
    return out
  }

  /** A setting of the store kept with it */
  async readMeta (key: string): Promise<string | undefined> {
    const value = await this.metaLevel.get(key)
    return value == null ? undefined : utf8Text.decode(value)
  }

  /** Sets (or, with undefined, removes) a setting of the store, synced */
  async writeMeta (key: string, value: string | undefined): Promise<void> {
    await this.db.batch([value == null ? { type: 'del', sublevel: this.metaLevel, key } : { type: 'put', sublevel: this.metaLevel, key, value: utf8.encode(value) }], { sync: true })
  }

  /** Keeps an entry that reuses a seq of its author's log, as evidence */
  async writeEvidence (entry: VerifiedEntry): Promise<void> {
    const key = `${entry.author.toString()}!${zoneDigit(entry.body.zone)}!${entry.body.seq.toString(16).padStart(16, '0')}!${entry.id}`
    await this.db.batch([{ type: 'put', sublevel: this.evidenceLevel, key, value: entry.bytes }], { sync: true })
  }

  /** Every entry kept as evidence: author, zone, seq and id */
  async * evidence (): AsyncGenerator<{ author: string, zone: Zone, seq: bigint, id: string, bytes: Uint8Array }> {
    for await (const [key, bytes] of this.evidenceLevel.iterator()) {
      const [author, digit, seq, id] = key.split('!')
      yield { author, zone: zoneFromDigit(digit), seq: BigInt(`0x${seq}`), id, bytes }
    }
  }

  /** The id of the entry the log holds at a position, if any */
  async idAt (zone: Zone, author: string, seq: bigint): Promise<string | undefined> {
    const value = await this.logLevel.get(logKey(zone, author, seq))
    if (value == null) return undefined
    const ref = parseRef(utf8Text.decode(value))
    return ref.id
  }

  /** Chunks and events as stored, with their keys: what `overmind check` reads */
  async * records (): AsyncGenerator<StoredRecord> {
    for await (const [key, bytes] of this.chunkLevel.iterator()) yield { kind: 'chunk', key, ...parseChunkKey(key), bytes }
    for await (const [id, bytes] of this.eventLevel.iterator()) yield { kind: 'event', key: id, id, bytes }
  }

  /** How many chunks and events are stored */
  async count (): Promise<number> {
    let count = 0
    for await (const _ of this.chunkLevel.keys()) count++
    for await (const _ of this.eventLevel.keys()) count++
    return count
  }

  /** Ordinals of the vectors kept for chunks of another model */
  async * vectorOrdinals (): AsyncGenerator<number> {
    for await (const key of this.vectorLevel.keys()) yield parseInt(key, 16)
  }

  /** The key and value of a log position, as `append` writes them */
  static position (record: Pick<StoredRecord, 'kind' | 'key'>, zone: Zone, author: string, seq: bigint): { key: string, value: string } {
    return { key: logKey(zone, author, seq), value: `${record.kind === 'chunk' ? 'c' : 'e'}${record.key}` }
  }

  /** The raw value of every log position, by key */
  async * positionValues (): AsyncGenerator<{ key: string, value: string }> {
    for await (const [key, value] of this.logLevel.iterator()) yield { key, value: utf8Text.decode(value) }
  }

  /** Removes and adds records and log positions in one synced batch: what `overmind repair` changes */
  async mend (changes: { remove?: Array<Pick<StoredRecord, 'kind' | 'key'>>, removePositions?: string[], addPositions?: Array<{ key: string, value: string }>, removeVectors?: number[] }): Promise<void> {
    const batch = this.db.batch()
    for (const record of changes.remove ?? []) batch.del(record.key, { sublevel: record.kind === 'chunk' ? this.chunkLevel : this.eventLevel })
    for (const key of changes.removePositions ?? []) batch.del(key, { sublevel: this.logLevel })
    for (const { key, value } of changes.addPositions ?? []) batch.put(key, utf8.encode(value), { sublevel: this.logLevel })
    for (const ordinal of changes.removeVectors ?? []) batch.del(hex(ordinal), { sublevel: this.vectorLevel })
    await batch.write({ sync: true })
  }

  /**
   * Stores of the first layout keyed chunks by ordinal alone and computed
   * every id at open; the id now lives in the key.
   */
  private async migrate (): Promise<void> {
    if (utf8Text.decode(await this.metaLevel.get('format') ?? new Uint8Array()) === FORMAT) return
    const ids = new Map<string, string>()
    let ops: any[] = []
    const flush = async (): Promise<void> => {
      if (ops.length > 0) await this.db.batch(ops, { sync: true })
      ops = []
    }
    for await (const [key, value] of this.chunkLevel.iterator()) {
      if (key.includes('!')) continue
      const id = entryId(SignedEntry.decode(value).body)
      ids.set(key, id)
      ops.push({ type: 'del', sublevel: this.chunkLevel, key }, { type: 'put', sublevel: this.chunkLevel, key: `${key}!${id}`, value })
      if (ops.length >= 2 * READ_BATCH) await flush()
    }
    for await (const [key, value] of this.logLevel.iterator()) {
      const ref = utf8Text.decode(value)
      const id = ref[0] === 'c' ? ids.get(ref.slice(1)) : undefined
      if (id != null) ops.push({ type: 'put', sublevel: this.logLevel, key, value: utf8.encode(`${ref}!${id}`) })
      if (ops.length >= 2 * READ_BATCH) await flush()
    }
    ops.push({ type: 'put', sublevel: this.metaLevel, key: 'format', value: utf8.encode(FORMAT) })
    await flush()
  }
}

function hex (ordinal: number): string {
  return ordinal.toString(16).padStart(12, '0')
}

function chunkKey (ordinal: number, id: string): string {
  return `${hex(ordinal)}!${id}`
}

function parseChunkKey (key: string): { ordinal: number, id: string } {
  const at = key.indexOf('!')
  return { ordinal: parseInt(key.slice(0, at), 16), id: key.slice(at + 1) }
}

function parseRef (ref: string): LogRef {
  return ref[0] === 'c' ? { kind: 'chunk', ...parseChunkKey(ref.slice(1)) } : { kind: 'event', id: ref.slice(1) }
}

export function zoneDigit (zone: Zone): string {
  switch (zone) {
    case Zone.PRIVATE: return '1'
    case Zone.SHARED: return '2'
    case Zone.FEDERATION: return '3'
    default: throw new TypeError(`unknown zone ${String(zone)}`)
  }
}

export function zoneFromDigit (digit: string): Zone {
  return ({ 1: Zone.PRIVATE, 2: Zone.SHARED, 3: Zone.FEDERATION } as Record<string, Zone>)[digit]
}

function logKey (zone: Zone, author: string, seq: bigint): string {
  return `${zoneDigit(zone)}!${author}!${seq.toString(16).padStart(16, '0')}`
}
