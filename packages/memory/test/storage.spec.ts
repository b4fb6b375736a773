import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { cp, mkdir, mkdtemp, open, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryStore, StorageError, checkStore, repairStore } from '../src/index.js'
import { crc32c } from '../src/storage.js'
import type { MemoryStoreInit } from '../src/index.js'
import type { PrivateKey } from '@libp2p/interface'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
})

async function tempPath (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'overmind-storage-'))
  dirs.push(dir)
  return dir
}

async function openStore (path: string, privateKey: PrivateKey, init: Partial<MemoryStoreInit> = {}): Promise<MemoryStore> {
  return await MemoryStore.open({ path, privateKey, peerId: peerIdFromPrivateKey(privateKey), ...init })
}

async function seqsOf (store: MemoryStore): Promise<number[]> {
  const seqs: number[] = []
  for await (const chunk of store.chunks()) seqs.push(chunk.seq)
  return seqs.sort((a, b) => a - b)
}

/** Files and sizes of a folder, to show that nothing was changed */
async function listing (path: string): Promise<string[]> {
  const names = (await readdir(path)).filter(name => !/^LOG/.test(name)).sort()
  return await Promise.all(names.map(async name => `${name} ${(await stat(join(path, name))).size}`))
}

async function overwrite (file: string, offset: number, length: number): Promise<void> {
  const handle = await open(file, 'r+')
  await handle.write(new Uint8Array(length).fill(0xab), 0, length, offset)
  await handle.close()
}

async function refusal (promise: Promise<unknown>): Promise<StorageError> {
  try {
    await promise
  } catch (err: any) {
    assert.ok(err instanceof StorageError, `a StorageError, not ${err.name}: ${err.message}`)
    return err
  }
  assert.fail('the store opened')
}

describe('a store folder, checked before LevelDB opens it', () => {
  let privateKey: PrivateKey
  /** A store of 3,000 chunks: 2,000 in a table file, 1,000 in its write-ahead log */
  let original: string

  beforeAll(async () => {
    privateKey = await generateKeyPair('Ed25519')
    original = join(await tempPath(), 'memory')
    const store = await openStore(original, privateKey)
    const batch = (round: number): Array<{ text: string }> => Array.from({ length: 500 }, (_, i) => ({ text: `round ${round} chunk ${i}: ${'lorem ipsum '.repeat(20)}` }))
    for (let round = 0; round < 4; round++) await store.putMany(batch(round))
    await store.close()
    // reopened: LevelDB's recovery writes the log into a table
    const again = await openStore(original, privateKey)
    for (let round = 4; round < 6; round++) await again.putMany(batch(round))
    await again.close()
    const names = await readdir(original)
    assert.ok(names.some(n => n.endsWith('.ldb')) && names.some(n => n.endsWith('.log')), names.join(' '))
  })

  async function damaged (damage: (path: string, names: string[]) => Promise<void>): Promise<string> {
    const path = join(await tempPath(), 'memory')
    await cp(original, path, { recursive: true })
    await damage(path, await readdir(path))
    return path
  }

  it('opens an intact store with every chunk', async () => {
    const path = await damaged(async () => {})
    const store = await openStore(path, privateKey)
    assert.equal((await seqsOf(store)).length, 3000)
    await store.close()
  })

  it('refuses a store whose CURRENT is missing, naming it, and deletes nothing', async () => {
    const path = await damaged(async path => { await rm(join(path, 'CURRENT')) })
    const before = await listing(path)
    const err = await refusal(openStore(path, privateKey))
    assert.equal(err.problem, 'missing')
    assert.equal(err.path, join(path, 'CURRENT'))
    assert.match(err.message, /overmind repair/)
    assert.deepEqual(await listing(path), before)
  })

  it('refuses a write-ahead log damaged in the middle, naming it and where', async () => {
    let log = ''
    const path = await damaged(async (path, names) => {
      log = join(path, names.find(n => n.endsWith('.log')) as string)
      await overwrite(log, 40_000, 64)
    })
    const before = await listing(path)
    const err = await refusal(openStore(path, privateKey))
    assert.equal(err.problem, 'corrupt')
    assert.equal(err.path, log)
    assert.match(err.message, /checksum mismatch at byte 32768/)
    assert.deepEqual(await listing(path), before)
  })

  it('opens a log whose last write was torn, with every complete record', async () => {
    const path = await damaged(async (path, names) => {
      const log = join(path, names.find(n => n.endsWith('.log')) as string)
      await truncate(log, (await stat(log)).size - 100)
    })
    const store = await openStore(path, privateKey)
    // the last putMany was one record: torn, it is gone whole, and nothing before it
    assert.deepEqual(await seqsOf(store), Array.from({ length: 2500 }, (_, i) => i + 1))
    await store.close()
  })

  it('refuses a corrupt MANIFEST, naming it', async () => {
    let manifest = ''
    const path = await damaged(async (path, names) => {
      manifest = join(path, names.find(n => n.startsWith('MANIFEST')) as string)
      await overwrite(manifest, 10, 32)
    })
    const err = await refusal(openStore(path, privateKey))
    assert.equal(err.problem, 'corrupt')
    assert.equal(err.path, manifest)
  })

  it('refuses a corrupt table file, naming it', async () => {
    let table = ''
    const path = await damaged(async (path, names) => {
      table = join(path, names.find(n => n.endsWith('.ldb')) as string)
      await overwrite(table, 1000, 64)
    })
    const tables = (await listing(path)).filter(line => line.includes('.ldb'))
    const err = await refusal(openStore(path, privateKey))
    assert.equal(err.problem, 'corrupt')
    assert.equal(err.path, table)
    // LevelDB opened the store before a read met the damage, and wrote its log into a new table
    // as every open does; every table is still there as it was, the damaged one too
    const now = await listing(path)
    for (const line of tables) assert.ok(now.includes(line), `${line} is kept`)
  })

  it('refuses a store another process holds', async () => {
    const path = await damaged(async () => {})
    const store = await openStore(path, privateKey)
    try {
      const err = await refusal(openStore(path, privateKey))
      assert.equal(err.problem, 'locked')
      assert.equal(err.path, join(path, 'LOCK'))
      assert.doesNotMatch(err.message, /corrupt/)
    } finally {
      await store.close()
    }
  })

  it('rebuilds a garbage vector graph instead of loading it', async () => {
    const path = await damaged(async path => { await writeFile(join(path, 'vectors.usearch'), new Uint8Array(100_000).fill(0x7f)) })
    const store = await openStore(path, privateKey)
    const [hit] = await store.search({ text: 'round 5 chunk 42: lorem ipsum', k: 1 })
    assert.match(hit.text, /^round 5 chunk 42:/)
    await store.close()
  })

  it('checks clean, and repairs nothing, when a compaction cut short by a close left a partial table behind', async () => {
    // LevelDB leaves the table a compaction was writing when the store closes during it (no footer:
    // "not an sstable"), and deletes it at the next open; no version refers to it
    let stray = ''
    const path = await damaged(async (path, names) => {
      const last = Math.max(...names.map(n => Number(/^(\d+)\./.exec(n)?.[1] ?? 0)))
      stray = join(path, `${String(last + 1).padStart(6, '0')}.ldb`)
      await writeFile(stray, new Uint8Array(3000).fill(0x5a))
    })
    const checked = await checkStore(path)
    assert.equal(checked.ok, true, JSON.stringify(checked.files))
    assert.deepEqual(await readdir(path).then(n => n.includes(stray.split('/').pop() as string)), true, 'the check changes nothing')
    const report = await repairStore(path, { standalone: true })
    assert.deepEqual(report.files, [])
    assert.equal(report.gaps.length, 0)
    const store = await openStore(path, privateKey)
    try {
      assert.equal((await seqsOf(store)).length, 3000)
    } finally {
      await store.close()
    }
  })

  for (const [what, damage] of [
    ['a missing CURRENT', async (path: string) => { await rm(join(path, 'CURRENT')) }],
    ['a corrupt MANIFEST', async (path: string, names: string[]) => { await overwrite(join(path, names.find(n => n.startsWith('MANIFEST')) as string), 10, 32) }],
    ['a corrupt table file', async (path: string, names: string[]) => { await overwrite(join(path, names.find(n => n.endsWith('.ldb')) as string), 1000, 64) }],
    ['a corrupt write-ahead log', async (path: string, names: string[]) => { await overwrite(join(path, names.find(n => n.endsWith('.log')) as string), 40_000, 64) }]
  ] as const) {
    it(`repairs ${what}: every entry that verifies is kept, and the store opens`, async () => {
      const path = await damaged(damage)
      const checked = await checkStore(path)
      assert.equal(checked.ok, false)
      const report = await repairStore(path, { standalone: true })
      const store = await openStore(path, privateKey)
      let seqs: number[]
      try {
        seqs = await seqsOf(store)
      } finally {
        await store.close()
      }
      process.stdout.write(`# ${what}: ${seqs.length} of 3000 chunks kept\n`)
      // LevelDB loses at most the damaged block (a table's 4 KiB, a log's 32 KiB)
      assert.ok(seqs.length >= 2900 && seqs.length <= 3000, `${seqs.length} kept`)
      assert.equal(report.gaps.reduce((n, g) => n + g.missing, 0), 3000 - seqs.length, 'every lost seq is reported')
      const after = await checkStore(path)
      assert.equal(after.ok, true, `a repaired store checks clean: ${JSON.stringify({ files: after.files, invalid: after.invalid, dangling: after.danglingPositions, unlogged: after.unlogged, graph: after.graph })}`)
    })
  }

  it('after a repair of damage, takes local writes only once a peer has synced, unless the node never shared its memory', async () => {
    for (const standalone of [false, true]) {
      const path = await damaged(async (path, names) => { await overwrite(join(path, names.find(n => n.endsWith('.log')) as string), 40_000, 64) })
      const report = await repairStore(path, { standalone })
      assert.equal(report.ok, false)
      assert.equal(report.repair?.awaitingSync, !standalone)
      const store = await openStore(path, privateKey)
      try {
        assert.equal(store.stats().awaitingSync, !standalone)
        if (!standalone) {
          const err = await refusal(store.put({ text: 'too early' }))
          assert.match(err.message, /once a sync with a peer/)
          await store.peerSynced()
        }
        const chunk = await store.put({ text: 'after the repair' })
        assert.ok(chunk.seq > 0)
      } finally {
        await store.close()
      }
      // the sync is remembered
      const again = await openStore(path, privateKey)
      assert.equal(again.stats().awaitingSync, false)
      await again.close()
    }
  })

  it('creates a store only where it was asked to', async () => {
    const path = join(await tempPath(), 'memory')
    await mkdir(path)
    const err = await refusal(openStore(path, privateKey, { create: false }))
    assert.equal(err.problem, 'missing')
    assert.deepEqual(await readdir(path), [])
  })
})

describe('checkLogFile', () => {
  it('computes CRC-32C as LevelDB does', () => {
    // the check value of CRC-32C
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283)
  })
})

/** A disk whose writes fail on demand: as a full disk does, before or after the data reached it */
class FaultyDisk {
  failing: 'before' | 'after' | undefined
  async beforeWrite (): Promise<void> {
    if (this.failing === 'before') throw Object.assign(new Error('IO error: 000003.log: No space left on device'), { code: 'LEVEL_IO_ERROR' })
  }

  async afterWrite (): Promise<void> {
    if (this.failing === 'after') throw Object.assign(new Error('IO error: 000003.log: No space left on device'), { code: 'LEVEL_IO_ERROR' })
  }
}

async function recovered (store: MemoryStore): Promise<void> {
  const deadline = Date.now() + 20_000
  while (store.stats().failure != null) {
    if (Date.now() > deadline) throw new Error(`still failed: ${store.stats().failure?.message}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

describe('a store whose writes fail', () => {
  for (const when of ['before', 'after'] as const) {
    it(`refuses writes until it has reopened, when the write fails ${when} the data reached the disk, and loses nothing it acknowledged`, async () => {
      const path = await tempPath()
      const privateKey = await generateKeyPair('Ed25519')
      const disk = new FaultyDisk()
      const store = await openStore(path, privateKey, { beforeWrite: async () => { await disk.beforeWrite() }, afterWrite: async () => { await disk.afterWrite() } })
      const acknowledged: number[] = []
      for (let i = 0; i < 5; i++) acknowledged.push((await store.put({ text: `before ${i}` })).seq)
      disk.failing = when
      const err = await refusal(store.put({ text: 'while failing' }))
      assert.equal(err.problem, 'full')
      assert.equal(store.stats().failure?.problem, 'full')
      // the failed write is not visible, whether or not the disk holds it
      assert.equal((await store.search({ text: 'while failing', k: 10 })).filter(r => r.text === 'while failing').length, 0)
      disk.failing = undefined
      await recovered(store)
      acknowledged.push((await store.put({ text: 'after' })).seq)
      const held = await seqsOf(store)
      await store.close()

      const reopened = await openStore(path, privateKey)
      const seqs = await seqsOf(reopened)
      await reopened.close()
      assert.deepEqual(seqs, held, 'what was visible is what the disk holds')
      for (const seq of acknowledged) assert.ok(seqs.includes(seq), `acknowledged seq ${seq} is held`)
      assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'one chunk per seq, no gap')
      // written before the sync failed, the write is on disk: it is kept under its seq, and the next write takes the next one
      assert.equal(seqs.length, when === 'after' ? 7 : 6)
    })
  }

  it('writes the entries of peers it queued once it writes again', async () => {
    const disk = new FaultyDisk()
    const author = await openStore(await tempPath(), await generateKeyPair('Ed25519'))
    await author.putMany(Array.from({ length: 20 }, (_, i) => ({ text: `from a peer ${i}` })))
    const entries: Uint8Array[] = []
    for await (const entry of author.missing([])) entries.push(entry)
    await author.close()

    const path = await tempPath()
    const privateKey = await generateKeyPair('Ed25519')
    const store = await openStore(path, privateKey, { beforeWrite: async () => { await disk.beforeWrite() } })
    disk.failing = 'before'
    const admissions = await store.checkMany(entries)
    for (const admission of admissions) {
      assert.equal(admission.verdict, 'accept')
      if (admission.verdict === 'accept') store.accept(admission.entry)
    }
    await new Promise(resolve => setTimeout(resolve, 100))
    assert.equal(store.stats().failure?.problem, 'full')
    disk.failing = undefined
    await recovered(store)
    while (store.stats().backlog.writes > 0) await new Promise(resolve => setTimeout(resolve, 20))
    await store.close()
    const reopened = await openStore(path, privateKey)
    assert.equal(reopened.stats().chunks.federation, 20)
    await reopened.close()
  })
})

/** Mounts a tmpfs of `size` at a new folder; undefined where this process may not mount */
function mountTmpfs (size: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined
  const path = join(tmpdir(), `overmind-full-${process.pid}-${Date.now()}`)
  try {
    execFileSync('mkdir', ['-p', path])
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'ignore' })
    return path
  } catch {
    return undefined
  }
}

const tmpfs = mountTmpfs('16m')
// needs root on Linux to mount a small tmpfs
describe.skipIf(tmpfs == null)('a store on a disk that fills up', () => {
  afterAll(() => {
    if (tmpfs == null) return
    execFileSync('umount', [tmpfs])
    execFileSync('rmdir', [tmpfs])
  })

  it('refuses what it cannot write, writes again once space is freed, and a restart returns every acknowledged write with no seq taken twice', async () => {
    const path = join(tmpfs as string, 'memory')
    const privateKey = await generateKeyPair('Ed25519')
    const store = await openStore(path, privateKey)
    const acknowledged: number[] = []
    const text = (label: string, i: number): string => `${label} ${i} ${'z'.repeat(300)}`
    for (let i = 0; i < 200; i++) acknowledged.push((await store.put({ text: text('before', i) })).seq)
    // the disk fills up
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${join(tmpfs as string, 'filler')}`, 'bs=64k'], { stdio: 'ignore' })
    } catch {}
    let refused = 0
    for (let i = 0; i < 20; i++) {
      try {
        acknowledged.push((await store.put({ text: text('full', i) })).seq)
      } catch (err: any) {
        assert.ok(err instanceof StorageError, err.message)
        assert.equal(err.problem, 'full')
        refused++
      }
    }
    assert.equal(refused, 20, 'no write is acknowledged on a full disk')
    assert.equal(store.stats().failure?.problem, 'full')
    await rm(join(tmpfs as string, 'filler'))
    await recovered(store)
    for (let i = 0; i < 5; i++) acknowledged.push((await store.put({ text: text('after', i) })).seq)
    await store.close()

    const reopened = await openStore(path, privateKey)
    const seqs = await seqsOf(reopened)
    await reopened.close()
    for (const seq of acknowledged) assert.ok(seqs.includes(seq), `acknowledged seq ${seq} is held`)
    assert.equal(new Set(acknowledged).size, acknowledged.length, 'no seq acknowledged twice')
    assert.deepEqual(seqs, Array.from({ length: 205 }, (_, i) => i + 1))
  })
})
