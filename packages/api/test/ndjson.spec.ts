import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryStore } from '@overmind/memory'
import { exportChunks, importLines } from '../src/memory-api.js'
import { offlinePort } from '../src/offline.js'
import { operation, parseParams } from '../src/operations.js'
import { splitLines } from '../src/ndjson.js'
import type { ImportProgress } from '../src/memory-api.js'

async function * pieces (bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

describe('splitLines', () => {
  it('decodes characters split across chunks and keeps a last line without newline', async () => {
    const text = 'größe ✓ 日本\nzweite 🚀 zeile\nletzte'
    const bytes = new TextEncoder().encode(text)
    for (const size of [1, 2, 3, 5]) {
      assert.deepEqual(await collect(splitLines(pieces(bytes, size))), text.split('\n'), `chunks of ${size} bytes`)
    }
  })

  it('throws PayloadTooLargeError naming the line that grows over the limit', async () => {
    const bytes = new TextEncoder().encode(`short\n${'x'.repeat(100)}\n`)
    await assert.rejects(collect(splitLines(pieces(bytes, 10), { maxLength: 50 })), { name: 'PayloadTooLargeError', message: /line 2 is longer than 50 bytes/ })
  })
})

describe('importLines', () => {
  it('acknowledges durable batches, stores multi-byte text intact, and stops at a bad line once every line before it is stored', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-import-'))
    const privateKey = await generateKeyPair('Ed25519')
    const store = await MemoryStore.open({ path: dir, privateKey, peerId: peerIdFromPrivateKey(privateKey) })
    try {
      const lines = Array.from({ length: 1_200 }, (_, i) => JSON.stringify({ text: `Notiz ${i}: Größe ✓`, tags: ['t'] }))
      const bytes = new TextEncoder().encode([...lines, 'not json', JSON.stringify({ text: 'after the bad line' })].join('\n'))
      const port = offlinePort(store, { peerId: store.peerId.toString(), mesh: 'test' })
      const progress: ImportProgress[] = await collect(importLines(port, pieces(bytes, 7)))
      // batches start at 16 lines and grow with the rate; each acknowledgement covers a prefix of the file
      const acks = progress.slice(0, -1).map(p => p.acknowledged)
      assert.equal(acks[0], 16)
      assert.ok(acks.every((n, i) => i === 0 || n > acks[i - 1]), `acknowledgements grow: ${acks.join(', ')}`)
      const last = progress[progress.length - 1] as any
      assert.equal(last.line, 1_201)
      assert.equal(last.error.name, 'BadRequestError')
      assert.match(last.error.message, /line 1201 is not JSON/)
      // every line before the bad one is stored and acknowledged, nothing after it
      assert.equal(last.acknowledged, 1_200)
      assert.equal(acks[acks.length - 1], 1_200)
      const texts = new Set((await collect(store.chunks())).map(c => c.text))
      assert.equal(texts.size, 1_200)
      assert.ok(texts.has('Notiz 1199: Größe ✓'))
      assert.ok(!texts.has('after the bad line'))
      // an export pages through memory.list: every chunk once, in log order, over more than one page
      const exported = await collect(exportChunks(port, {}))
      assert.ok(exported.length > 500, `${exported.length} chunks`)
      assert.deepEqual(exported.map(c => c.id), (await collect(store.chunks({ zone: 'federation' }))).map(c => c.id))
      // and what it wrote imports again: an export's other keys are ignored
      const again = new TextEncoder().encode(exported.slice(0, 20).map(c => JSON.stringify(c)).join('\n'))
      const reimported = await collect(importLines(port, pieces(again, 100)))
      assert.deepEqual(reimported[reimported.length - 1], { done: true, acknowledged: 20 })
    } finally {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('checks each line against memory.store\'s params and names the line and the key at fault', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-import-'))
    const privateKey = await generateKeyPair('Ed25519')
    const store = await MemoryStore.open({ path: dir, privateKey, peerId: peerIdFromPrivateKey(privateKey) })
    const port = offlinePort(store, { peerId: store.peerId.toString(), mesh: 'test' })
    try {
      for (const [line, problem] of [
        [{ text: 'a tag too long', tags: ['x'.repeat(65)] }, /line 3: tags\.0: at most 64 bytes/],
        [{ text: 'ü'.repeat(16_385) }, /line 3: text: at most 32768 bytes/],
        [{ text: 'no such zone', zone: 'public' }, /line 3: zone:/],
        [{ note: 'no text' }, /line 3: text:/]
      ] as const) {
        const bytes = new TextEncoder().encode([{ text: 'one' }, { text: 'two' }, line].map(l => JSON.stringify(l)).join('\n'))
        const progress = await collect(importLines(port, pieces(bytes, 64)))
        const last = progress[progress.length - 1] as any
        assert.equal(last.error?.name, 'BadRequestError', JSON.stringify(last))
        assert.match(last.error.message, problem)
        assert.equal(last.acknowledged, 2)
      }
      assert.equal((await collect(store.chunks())).length, 8)
    } finally {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('memory.list', () => {
  it('reads on from its cursor zone by zone, and refuses a cursor of a zone it does not list', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-list-'))
    const privateKey = await generateKeyPair('Ed25519')
    const store = await MemoryStore.open({ path: dir, privateKey, peerId: peerIdFromPrivateKey(privateKey) })
    const port = offlinePort(store, { peerId: store.peerId.toString(), mesh: 'test' })
    const list = operation('memory.list')!
    try {
      await store.putMany([
        ...Array.from({ length: 5 }, (_, i) => ({ text: `fed ${i}`, zone: 'federation' as const })),
        ...Array.from({ length: 4 }, (_, i) => ({ text: `shared ${i}`, zone: 'shared' as const })),
        { text: 'mine', zone: 'private' as const, agent: 'ana' }
      ])
      const texts: string[][] = []
      let cursor: string | undefined
      do {
        const page = await list.run(port, parseParams(list, { limit: 3, cursor }), {}) as { chunks: Array<{ text: string }>, nextCursor?: string }
        texts.push(page.chunks.map(c => c.text))
        cursor = page.nextCursor
      } while (cursor != null)
      assert.deepEqual(texts, [['fed 0', 'fed 1', 'fed 2'], ['fed 3', 'fed 4', 'shared 0'], ['shared 1', 'shared 2', 'shared 3']])
      // the private zone is listed when asked for, to its agent only
      const own = await list.run(port, parseParams(list, { zones: ['private'], agent: 'ana' }), {}) as { chunks: Array<{ text: string }> }
      assert.deepEqual(own.chunks.map(c => c.text), ['mine'])
      const other = await list.run(port, parseParams(list, { zones: ['private'], agent: 'bob' }), {}) as { chunks: unknown[] }
      assert.equal(other.chunks.length, 0)
      const first = await list.run(port, parseParams(list, { limit: 2 }), {}) as { nextCursor: string }
      await assert.rejects(list.run(port, parseParams(list, { cursor: first.nextCursor, zones: ['shared'] }), {}), { name: 'InvalidParamsError', message: /zone federation/ })
      assert.throws(() => parseParams(list, { cursor: 'o200' }), { name: 'InvalidParamsError', message: /cursor/ })
    } finally {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
