import { copyFile, mkdtemp, open, readFile, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { StorageError } from './errors.js'

/**
 * The checks a LevelDB folder gets before it is opened, and the errors of
 * LevelDB told as what happened to which file.
 *
 * LevelDB itself, as classic-level opens it (no paranoid checks), repairs
 * silently: a folder without its CURRENT file becomes a new, empty database
 * whose first compaction deletes the old tables, and a damaged record of a
 * write-ahead log is skipped with the rest of its 32 KB block. Neither may
 * happen to a store that acknowledged those writes, so a folder that holds a
 * store is checked first: CURRENT names a MANIFEST that exists, and every
 * record of every `.log` is intact up to a torn tail (the last write of a
 * process that died while writing it, never acknowledged).
 */

/** What a folder holds */
export type FolderState = 'absent' | 'empty' | 'store'

/** LevelDB's own files: what a folder of a store may hold besides ours */
const LEVEL_FILE = /^(?:\d{6,}\.(?:log|ldb|sst)|MANIFEST-\d+|CURRENT|LOCK|LOG(?:\.old)?)$/

export async function folderState (path: string): Promise<FolderState> {
  let names: string[]
  try {
    names = await readdir(path)
  } catch (err: any) {
    if (err.code === 'ENOENT') return 'absent'
    throw new StorageError('io', path, `cannot read ${path}: ${err.message}`, { cause: err })
  }
  return names.some(name => LEVEL_FILE.test(name)) ? 'store' : 'empty'
}

/** Throws a StorageError naming the file when a store's folder would not open as it was written */
export async function checkStoreFolder (path: string): Promise<void> {
  const current = join(path, 'CURRENT')
  let manifest: string
  try {
    manifest = await readFile(current, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') {
      throw new StorageError('missing', current, `${current} is missing, so LevelDB cannot tell which files hold the store; it was not opened and nothing was changed: \`overmind repair\` rebuilds it from its table and log files`)
    }
    throw new StorageError('io', current, `cannot read ${current}: ${err.message}`, { cause: err })
  }
  if (!/^MANIFEST-\d+\n$/.test(manifest)) {
    throw new StorageError('corrupt', current, `${current} does not name a MANIFEST file; the store was not opened and nothing was changed: \`overmind repair\` rebuilds it`)
  }
  const manifestFile = join(path, manifest.trim())
  if (!(await exists(manifestFile))) {
    throw new StorageError('missing', manifestFile, `${manifestFile}, named by ${current}, is missing; the store was not opened and nothing was changed: \`overmind repair\` rebuilds it`)
  }
  const manifestDamage = await checkLogFile(manifestFile, { strict: true })
  if (manifestDamage != null) {
    throw new StorageError('corrupt', manifestFile, `${manifestFile} is corrupt (${manifestDamage.reason} at byte ${manifestDamage.offset}); the store was not opened and nothing was changed: \`overmind repair\` rebuilds it from the table and log files`)
  }
  for (const name of (await readdir(path)).filter(name => name.endsWith('.log')).sort()) {
    const file = join(path, name)
    const damage = await checkLogFile(file)
    if (damage != null) {
      throw new StorageError('corrupt', file, `${file} is corrupt (${damage.reason} at byte ${damage.offset}, with intact records after it); the store was not opened and nothing was changed: \`overmind repair\` keeps every record that verifies`)
    }
  }
}

/** The MANIFEST file CURRENT names, if it names one */
export async function manifestOf (path: string): Promise<string | undefined> {
  try {
    const name = (await readFile(join(path, 'CURRENT'), 'utf8')).trim()
    return /^MANIFEST-\d+$/.test(name) ? join(path, name) : undefined
  } catch {
    return undefined
  }
}

const BLOCK = 32 * 1024
const HEADER = 7

/**
 * The first damaged record of a LevelDB log file (write-ahead log or
 * MANIFEST, one format: 32 KB blocks of records, each with a masked CRC-32C
 * of its type and data) that has an intact record after it. Damage at the
 * end only, with nothing intact after it, is the torn tail of a write that
 * never completed: LevelDB drops it and so do we. With `strict` (a
 * MANIFEST, which LevelDB refuses to open with any bad record), any record
 * whose checksum fails is damage; a record cut short by the end of the file
 * is still a torn tail.
 */
export async function checkLogFile (file: string, options: { strict?: boolean } = {}): Promise<{ offset: number, reason: string } | undefined> {
  const bytes = await readFile(file)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let damage: { offset: number, reason: string } | undefined
  for (let block = 0; block < bytes.length; block += BLOCK) {
    const end = Math.min(block + BLOCK, bytes.length)
    let at = block
    while (at + HEADER <= end) {
      const length = view.getUint16(at + 4, true)
      const type = bytes[at + 6]
      if (type === 0 && length === 0) {
        // preallocated space, skipped as LevelDB does
        at += HEADER
        continue
      }
      if (at + HEADER + length > end || type > 4) {
        damage ??= { offset: at, reason: type > 4 ? `a record of unknown type ${type}` : 'a record longer than its block' }
        break
      }
      const expected = unmask(view.getUint32(at, true))
      if (crc32c(bytes, at + 6, at + HEADER + length) !== expected) {
        damage ??= { offset: at, reason: 'a checksum mismatch' }
        if (options.strict === true) return damage
        break
      }
      if (damage != null) return damage
      at += HEADER + length
    }
  }
  return undefined
}

/** What LevelDB's repair says of each file of a store */
export interface Diagnosis {
  /** Table and log files with damage, and what LevelDB found */
  damaged: Array<{ file: string, problem: string }>
  /** Bytes LevelDB would drop from logs */
  droppedBytes: number
}

/**
 * Locates damage in a store: LevelDB's own repair, run on a copy of its
 * table and log files in a temporary folder, reads every file and says in
 * its LOG which ones are damaged. The store itself is not touched.
 */
export async function diagnose (path: string): Promise<Diagnosis> {
  const scratch = await mkdtemp(join(tmpdir(), 'overmind-diagnose-'))
  try {
    for (const name of await readdir(path)) {
      if (/^\d{6,}\.(?:log|ldb|sst)$|^MANIFEST-\d+$|^CURRENT$/.test(name)) await copyFile(join(path, name), join(scratch, name))
    }
    await ClassicLevel.repair(scratch)
    return parseRepairLog(await readFile(join(scratch, 'LOG'), 'utf8').catch(() => ''), path)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** The damage a LevelDB repair wrote in its LOG, with file names in `path` */
export function parseRepairLog (log: string, path: string): Diagnosis {
  const damaged: Diagnosis['damaged'] = []
  let droppedBytes = 0
  const name = (number: string, ext: string): string => join(path, `${number.padStart(6, '0')}.${ext}`)
  for (const line of log.split('\n')) {
    const table = /Table #(\d+): \d+ entries (.+)$/.exec(line)
    if (table != null && table[2] !== 'OK' && table[2] !== 'repaired') damaged.push({ file: name(table[1], 'ldb'), problem: table[2] })
    const dropped = /Log #(\d+): dropping (\d+) bytes; (.+)$/.exec(line)
    if (dropped != null) {
      droppedBytes += Number(dropped[2])
      damaged.push({ file: name(dropped[1], 'log'), problem: `${dropped[3]} (${dropped[2]} bytes dropped)` })
    }
  }
  return { damaged, droppedBytes }
}

/**
 * A LevelDB error as a StorageError: what happened (full, corrupt, missing,
 * locked), to which file when LevelDB says or we can tell, and what to do
 */
export function storageError (err: any, path: string, file?: string): StorageError {
  if (err instanceof StorageError) return err
  const text = `${err?.message ?? err} ${err?.cause?.message ?? ''}`.trim()
  const code = `${err?.code ?? ''} ${err?.cause?.code ?? ''}`
  if (code.includes('LEVEL_LOCKED') || /IO error: lock /.test(text)) {
    return new StorageError('locked', join(path, 'LOCK'), `the store ${path} is in use by another process (its LOCK is held): is a node already running on it?`, { cause: err })
  }
  if (/ENOSPC|No space left/i.test(text) || code.includes('ENOSPC')) {
    return new StorageError('full', path, `the disk holding ${path} is full (${cause(text)}): free some space; writes resume by themselves once the store can write again`, { cause: err })
  }
  if (code.includes('LEVEL_CORRUPTION') || /Corruption:/.test(text)) {
    const where = file ?? fileIn(text) ?? path
    return new StorageError('corrupt', where, `${where === path ? `the store ${path}` : where} is corrupt (${cause(text)}); nothing was changed: \`overmind check\` shows the damage and \`overmind repair\` keeps every entry that verifies`, { cause: err })
  }
  if (/does not exist|ENOENT|No such file/i.test(text)) {
    const where = file ?? fileIn(text) ?? path
    return new StorageError('missing', where, `${where} is missing (${cause(text)}); nothing was changed: \`overmind repair\` rebuilds the store from what remains`, { cause: err })
  }
  return new StorageError('io', file ?? fileIn(text) ?? path, `the store ${path} failed: ${cause(text)}`, { cause: err })
}

/** LevelDB's own words, without the wrapper's "Database failed to open" */
function cause (text: string): string {
  return text.replace(/^Database failed to open\s*/, '').trim() || 'no detail'
}

/** A file LevelDB names in its message ("IO error: /path/000005.ldb: …") */
function fileIn (text: string): string | undefined {
  return /(\/[^\s:]+\.(?:log|ldb|sst)|\/[^\s:]*MANIFEST-\d+)/.exec(text)?.[1]
}

async function exists (file: string): Promise<boolean> {
  try {
    await stat(file)
    return true
  } catch {
    return false
  }
}

/** Whether a file can be written and synced: a cheap look at whether a full disk has room again */
export async function canWrite (path: string, bytes = 64 * 1024): Promise<boolean> {
  const file = join(path, `.probe-${basename(path)}`)
  try {
    const handle = await open(file, 'w')
    try {
      await handle.write(new Uint8Array(bytes))
      await handle.sync()
    } finally {
      await handle.close()
    }
    return true
  } catch {
    return false
  } finally {
    await rm(file, { force: true })
  }
}

// CRC-32C (Castagnoli), as LevelDB checksums its log records
const TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

export function crc32c (bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0xffffffff
  for (let i = start; i < end; i++) crc = TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** LevelDB stores CRCs masked (rotated and offset) so a CRC of data holding CRCs is not trivial */
function unmask (masked: number): number {
  const rot = (masked - 0xa282ead8) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}
