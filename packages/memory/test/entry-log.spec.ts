import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EntryKind, EventKind, SignedEntry, Zone } from '@overmind/protocols'
import { ClassicLevel } from 'classic-level'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { EntryLog } from '../src/entry-log.js'
import { entryId, signEvent } from '../src/entry.js'
import { chunk } from './fixtures/entries.js'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
})

async function tempPath (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'overmind-log-'))
  dirs.push(dir)
  return dir
}

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

describe('entry ids', () => {
  it('are the CIDv1 (raw, sha2-256) of the body in base32, as multiformats writes them', async () => {
    for (let i = 0; i < 50; i++) {
      const body = randomBytes(i * 37)
      assert.equal(entryId(body), CID.createV1(raw.code, await sha256.digest(body)).toString())
    }
  })
})

describe('EntryLog', () => {
  it('keeps the signed bytes of each entry, its ordinal and id, and every author\'s log across a reopen', async () => {
    const path = await tempPath()
    const key = await generateKeyPair('Ed25519')
    const author = peerIdFromPrivateKey(key).toString()
    let log = await EntryLog.open(path)
    const first = await chunk(key, 1)
    const second = await chunk(key, 2)
    const event = await signEvent({
      author: peerIdFromPrivateKey(key).toMultihash().bytes as Uint8Array<ArrayBuffer>,
      agent: 'a',
      zone: Zone.FEDERATION,
      kind: EventKind.FEEDBACK,
      targets: [first.id],
      success: true,
      relation: '', uses: 0, weight: 0, score: 0, novelty: 0, topic: '',
      hlcWallTime: BigInt(Date.now()),
      hlcLogical: 0,
      seq: 3n
    }, key)
    await log.append([{ entry: first, ordinal: log.takeOrdinal() }, { entry: second, ordinal: log.takeOrdinal() }, { entry: event }])
    await log.close()

    log = await EntryLog.open(path)
    const chunks = await collect(log.storedChunks())
    assert.deepEqual(chunks.map(c => [c.ordinal, c.id]), [[1, first.id], [2, second.id]])
    assert.deepEqual(new Uint8Array(chunks[0].bytes), new Uint8Array(first.bytes), 'the bytes as signed')
    const events = await collect(log.storedEvents())
    assert.deepEqual(events.map(e => e.id), [event.id])
    assert.equal(log.heads.get(Zone.FEDERATION, author)?.contiguous, 3n)
    assert.equal(log.takeOrdinal(), 3, 'ordinals continue after the highest stored')
    const above = await collect(log.entriesAbove([{ zone: Zone.FEDERATION, author, above: 1n }]))
    assert.deepEqual(above.map(b => entryId(SignedEntry.decode(b).body)), [second.id, event.id])
    await log.close()
  })

  it('writes a large batch in one piece, filled a slice of entries per turn of the event loop', async () => {
    const path = await tempPath()
    const key = await generateKeyPair('Ed25519')
    let log = await EntryLog.open(path)
    const entries = await Promise.all(Array.from({ length: 1_000 }, async (_, i) => await chunk(key, i + 1)))
    let longest = 0
    let last = performance.now()
    let counting = true
    const turn = (): void => {
      if (!counting) return
      longest = Math.max(longest, performance.now() - last)
      last = performance.now()
      setImmediate(turn)
    }
    setImmediate(turn)
    await log.append(entries.map(entry => ({ entry, ordinal: log.takeOrdinal() })))
    counting = false
    process.stdout.write(`# longest turn of the event loop while 1,000 entries were written: ${longest.toFixed(1)} ms\n`)
    await log.close()
    log = await EntryLog.open(path)
    const stored = await collect(log.storedChunks())
    assert.deepEqual(stored.map(c => c.id), entries.map(e => e.id))
    assert.equal(log.heads.get(Zone.FEDERATION, peerIdFromPrivateKey(key).toString())?.contiguous, 1_000n)
    await log.close()
  })

  it('reads a gap in an author\'s log from disk on open, and closes it when the missing entry arrives', async () => {
    const path = await tempPath()
    let log = await EntryLog.open(path)
    const key = await generateKeyPair('Ed25519')
    const author = peerIdFromPrivateKey(key).toString()
    await log.append([{ entry: await chunk(key, 1), ordinal: log.takeOrdinal() }, { entry: await chunk(key, 3), ordinal: log.takeOrdinal() }])
    await log.close()
    log = await EntryLog.open(path)
    assert.deepEqual([log.heads.get(Zone.FEDERATION, author)?.contiguous, log.heads.get(Zone.FEDERATION, author)?.max], [1n, 3n])
    log.heads.add(Zone.FEDERATION, author, 2n)
    assert.equal(log.heads.get(Zone.FEDERATION, author)?.contiguous, 3n)
    await log.close()
  })

  it('moves a store of the first layout (chunks keyed by ordinal alone) to keys that hold the id', async () => {
    const path = await tempPath()
    const key = await generateKeyPair('Ed25519')
    const author = peerIdFromPrivateKey(key).toString()
    const entry = await chunk(key, 1)
    // the first layout, written as that version did
    const db = new ClassicLevel<string, Uint8Array>(path, { keyEncoding: 'utf8', valueEncoding: 'view' })
    const sub = (name: string): any => db.sublevel(name, { keyEncoding: 'utf8', valueEncoding: 'view' })
    await db.batch([
      { type: 'put', sublevel: sub('chunks'), key: '000000000001', value: entry.bytes },
      { type: 'put', sublevel: sub('log'), key: `3!${author}!${(1).toString(16).padStart(16, '0')}`, value: new TextEncoder().encode('c000000000001') }
    ] as any)
    await db.close()

    const log = await EntryLog.open(path)
    const chunks = await collect(log.storedChunks())
    assert.deepEqual(chunks.map(c => [c.ordinal, c.id]), [[1, entry.id]])
    const positions = await collect(log.positions({ zone: Zone.FEDERATION }))
    assert.deepEqual(positions.map(p => p.ref), [{ kind: 'chunk', ordinal: 1, id: entry.id }])
    assert.deepEqual(new Uint8Array((await log.readChunks([{ ordinal: 1, id: entry.id }]))[0] ?? []), new Uint8Array(entry.bytes))
    assert.equal(entry.kind, EntryKind.CHUNK)
    await log.close()
  })
})
