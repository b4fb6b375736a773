import { createHash } from 'node:crypto'
import { cp, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { EntryKind } from '@overmind/protocols'
import type { Zone } from '@overmind/protocols'
import { checkEntries, checkEnvelope, openEnvelope, zoneName } from './entry.js'
import { EntryLog, zoneFromDigit } from './entry-log.js'
import { StorageError } from './errors.js'
import { checkStoreFolder, folderState, parseRepairLog, storageError } from './storage.js'
import { AWAITING_SYNC } from './store.js'
import type { CheckedEntry, ZoneName } from './entry.js'
import type { StoredRecord } from './entry-log.js'

/** What `checkStore` and `repairStore` found in a memory store */
export interface StoreReport {
  path: string
  /** Damage in LevelDB's own files (missing, corrupt), by file */
  files: Array<{ file: string, problem: string }>
  /** Chunks and events read */
  entries: number
  /** Entries that fail their checks (content address, encoding, signature), at most 100 listed */
  invalid: Array<{ key: string, problem: string }>
  invalidCount: number
  /** Log positions that point to no valid entry */
  danglingPositions: number
  /** Valid entries without their log position */
  unlogged: number
  /** Logs with seqs missing below their head: of this node (lost) or of peers (refilled by anti-entropy) */
  gaps: Array<{ author: string, zone: ZoneName, head: number, missing: number }>
  /** The saved vector graph: its digest against the one recorded beside it */
  graph: 'intact' | 'none saved' | 'damaged'
  /** Whether nothing above needs a repair */
  ok: boolean
  /** `repairStore`: the copy of the folder as it was, and what was changed */
  repair?: { backup: string, removedEntries: number, removedPositions: number, addedPositions: number, removedVectors: number, graphRemoved: boolean, awaitingSync: boolean }
}

export interface CheckStoreOptions {
  /** Called as entries are checked */
  onProgress?(checked: number, total: number): void
}

export interface RepairStoreOptions extends CheckStoreOptions {
  /**
   * The node never shared its memory: what was lost never left it, and the
   * store takes writes at once. Otherwise a store that had damage takes
   * local writes only once a sync with a peer has brought back the entries
   * of its own that peers hold, so none of its seqs is used twice.
   */
  standalone?: boolean
}

/** Entries checked per trip to the worker threads */
const CHECK_BATCH = 512
const LISTED = 100

/**
 * Checks a memory store without changing it: LevelDB's files (on a copy,
 * repaired there by LevelDB, whose log says which files are damaged; a copy
 * taken while a node runs is the state of that moment),
 * then every stored entry (its id is the hash of its body, its encoding is
 * canonical, its signature verifies), every log position against the entry
 * it points to, the continuity of every author's log, and the saved vector
 * graph against its recorded digest.
 */
export async function checkStore (path: string, options: CheckStoreOptions = {}): Promise<StoreReport> {
  await assertStore(path)
  const files = await folderFindings(path)
  const scratch = `${path}.check-${process.pid}`
  await rm(scratch, { recursive: true, force: true })
  try {
    await copyStore(path, scratch)
    if (files.length === 0) await dropObsoleteFiles(scratch)
    await ClassicLevel.repair(scratch)
    for (const damage of parseRepairLog(await readFile(join(scratch, 'LOG'), 'utf8').catch(() => ''), path).damaged) {
      if (!files.some(f => f.file === damage.file)) files.push(damage)
    }
    const log = await EntryLog.open(scratch, { create: false })
    try {
      return await walk(log, path, files, false, options)
    } finally {
      await log.close()
    }
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/**
 * Repairs a memory store offline: copies the folder as it is beside it,
 * lets LevelDB's repair salvage every record its files still hold, removes
 * the entries that fail their checks and the log positions that point to
 * nothing, logs valid entries that lost their position, and removes the
 * saved vector graph, which the store rebuilds from the log when it opens.
 * Entries of peers that were lost come back from peers by anti-entropy.
 */
export async function repairStore (path: string, options: RepairStoreOptions = {}): Promise<StoreReport> {
  await assertStore(path)
  const backup = `${path}.backup-${new Date().toISOString().replace(/[:.]/g, '-')}`
  await cp(path, backup, { recursive: true, filter: source => !/\/LOCK$/.test(source) })
  const files = await folderFindings(path)
  try {
    if (files.length === 0) await dropObsoleteFiles(path)
    // takes the store's LOCK first: a store a running node holds is not touched
    await ClassicLevel.repair(path)
  } catch (err) {
    await rm(backup, { recursive: true, force: true })
    const failure = storageError(err, path)
    if (failure.problem === 'locked') throw new StorageError('locked', failure.path, `${failure.message.replace(/\?$/, '')}: stop it first`, { cause: err })
    throw failure
  }
  for (const damage of parseRepairLog(await readFile(join(path, 'LOG'), 'utf8').catch(() => ''), path).damaged) {
    if (!files.some(f => f.file === damage.file)) files.push(damage)
  }
  const log = await EntryLog.open(path, { create: false })
  let report: StoreReport
  try {
    report = await walk(log, path, files, true, options)
    const awaitingSync = !report.ok && options.standalone !== true
    await log.writeMeta(AWAITING_SYNC, awaitingSync ? '1' : undefined)
    if (report.repair != null) report.repair.awaitingSync = awaitingSync
  } finally {
    await log.close()
  }
  const graphRemoved = report.graph !== 'none saved'
  if (graphRemoved) {
    await rm(join(path, 'vectors.usearch'), { force: true })
    await rm(join(path, 'vectors.usearch.json'), { force: true })
  }
  if (report.repair != null) {
    report.repair.backup = backup
    report.repair.graphRemoved = graphRemoved
  }
  return report
}

/**
 * Lets LevelDB open and close a store whose folder looks whole. On open it
 * deletes the files no version refers to, such as the partial table a
 * compaction leaves behind when the store closes in the middle of it (the
 * next open would delete it anyway). LevelDB's repair reads every table
 * file in the folder, live or not, and would report such a file as damage.
 * A store that does not open is left as it is, for the repair to read.
 */
async function dropObsoleteFiles (path: string): Promise<void> {
  const db = new ClassicLevel(path, { createIfMissing: false })
  try {
    await db.open()
  } catch {
    return
  } finally {
    await db.close().catch(() => {})
  }
}

/**
 * Copies a store's folder. A running node's LevelDB deletes files as it
 * compacts: a copy that loses one is taken again, from the start.
 */
async function copyStore (path: string, to: string, attempts = 5): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await cp(path, to, { recursive: true, filter: source => !/\/(?:LOCK|LOG(?:\.old)?)$/.test(source) })
      return
    } catch (err: any) {
      if (err.code !== 'ENOENT' || attempt >= attempts) throw err
      await rm(to, { recursive: true, force: true })
    }
  }
}

/** What the checks before an open find in the folder, as findings instead of an error */
async function folderFindings (path: string): Promise<StoreReport['files']> {
  try {
    await checkStoreFolder(path)
    return []
  } catch (err: any) {
    if (!(err instanceof StorageError)) throw err
    return [{ file: err.path, problem: err.message }]
  }
}

/**
 * Creates an empty store in a folder that is missing or empty: what
 * `overmind init` does, and `overmind repair` for a store that is gone,
 * `awaitingSync` then (see RepairStoreOptions.standalone)
 */
export async function createStore (path: string, options: { awaitingSync?: boolean } = {}): Promise<void> {
  const log = await EntryLog.open(path, { create: true })
  try {
    if (options.awaitingSync === true) await log.writeMeta(AWAITING_SYNC, '1')
  } finally {
    await log.close()
  }
}

async function assertStore (path: string): Promise<void> {
  if (await folderState(path) !== 'store') throw new StorageError('missing', path, `${path} holds no memory store`)
}

async function walk (log: EntryLog, path: string, files: StoreReport['files'], fix: boolean, options: CheckStoreOptions): Promise<StoreReport> {
  const total = await log.count()
  const invalid: StoreReport['invalid'] = []
  let invalidCount = 0
  const remove: Array<Pick<StoredRecord, 'kind' | 'key'>> = []
  const removedOrdinals = new Set<number>()
  /** The position each valid entry should have: key → value */
  const expected = new Map<string, string>()
  const seqs = new Map<string, { author: string, zone: Zone, seqs: Set<bigint> }>()
  let checked = 0
  const reject = (record: StoredRecord, problem: string): void => {
    invalidCount++
    if (invalid.length < LISTED) invalid.push({ key: `${record.kind}s/${record.key}`, problem })
    remove.push(record)
    if (record.ordinal != null) removedOrdinals.add(record.ordinal)
  }
  let batch: Array<{ record: StoredRecord, entry: CheckedEntry }> = []
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return
    const checks = await checkEntries(batch.map(b => b.entry))
    batch.forEach(({ record, entry }, i) => {
      const { id, problem } = checks[i]
      if (problem != null) return reject(record, problem === 'bad-signature' ? 'its signature does not verify' : 'its body is not in canonical encoding')
      if (id !== record.id) return reject(record, `its content hashes to ${id}, not to the id it is stored under`)
      const author = entry.author.toString()
      const position = EntryLog.position(record, entry.body.zone, author, entry.body.seq)
      expected.set(position.key, position.value)
    })
    checked += batch.length
    options.onProgress?.(checked, total)
    batch = []
  }
  for await (const record of log.records()) {
    try {
      const entry = checkEnvelope(openEnvelope(record.bytes, { hash: false }), { canonical: false })
      if ((entry.kind === EntryKind.CHUNK) !== (record.kind === 'chunk')) {
        reject(record, `an ${entry.kind === EntryKind.CHUNK ? 'chunk' : 'event'} stored among ${record.kind}s`)
        checked++
        continue
      }
      batch.push({ record, entry })
    } catch (err: any) {
      reject(record, `it does not decode (${err.message})`)
      checked++
    }
    if (batch.length >= CHECK_BATCH) await flush()
  }
  await flush()
  options.onProgress?.(total, total)

  const removePositions: string[] = []
  const kept: string[] = []
  for await (const { key, value } of log.positionValues()) {
    if (expected.get(key) !== value) {
      removePositions.push(key)
    } else {
      expected.delete(key)
      kept.push(key)
    }
  }
  const addPositions = [...expected].map(([key, value]) => ({ key, value }))
  for (const key of [...kept, ...addPositions.map(p => p.key)]) {
    const [digit, author, seq] = key.split('!')
    let held = seqs.get(`${digit}!${author}`)
    if (held == null) {
      held = { author, zone: zoneFromDigit(digit), seqs: new Set() }
      seqs.set(`${digit}!${author}`, held)
    }
    held.seqs.add(BigInt(`0x${seq}`))
  }
  const gaps: StoreReport['gaps'] = []
  for (const { author, zone, seqs: held } of seqs.values()) {
    const head = [...held].reduce((a, b) => a > b ? a : b, 0n)
    if (BigInt(held.size) < head) gaps.push({ author, zone: zoneName(zone), head: Number(head), missing: Number(head) - held.size })
  }
  const removeVectors: number[] = []
  for await (const ordinal of log.vectorOrdinals()) {
    if (removedOrdinals.has(ordinal)) removeVectors.push(ordinal)
  }
  const graph = await graphState(path)
  const report: StoreReport = {
    path,
    files,
    entries: total,
    invalid,
    invalidCount,
    danglingPositions: removePositions.length,
    unlogged: addPositions.length,
    gaps,
    graph,
    ok: files.length === 0 && invalidCount === 0 && removePositions.length === 0 && addPositions.length === 0 && graph !== 'damaged'
  }
  if (fix) {
    await log.mend({ remove, removePositions, addPositions, removeVectors })
    report.repair = { backup: '', removedEntries: remove.length, removedPositions: removePositions.length, addedPositions: addPositions.length, removedVectors: removeVectors.length, graphRemoved: false, awaitingSync: false }
  }
  return report
}

async function graphState (path: string): Promise<StoreReport['graph']> {
  const file = join(path, 'vectors.usearch')
  let recorded: { size?: number, sha256?: string }
  try {
    recorded = JSON.parse(await readFile(`${file}.json`, 'utf8'))
  } catch {
    return await stat(file).then(() => 'damaged' as const, () => 'none saved' as const)
  }
  try {
    const bytes = await readFile(file)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    return bytes.byteLength === recorded.size && sha256 === recorded.sha256 ? 'intact' : 'damaged'
  } catch {
    return 'damaged'
  }
}
