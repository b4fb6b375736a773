import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryStore } from '@overmind/memory'
import { importLines } from '../src/memory-api.js'
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
  it('acknowledges durable batches, stores multi-byte text intact, and stops at a bad line keeping what came before', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-import-'))
    const privateKey = await generateKeyPair('Ed25519')
    const store = await MemoryStore.open({ path: dir, privateKey, peerId: peerIdFromPrivateKey(privateKey) })
    try {
      const lines = Array.from({ length: 1_200 }, (_, i) => JSON.stringify({ text: `Notiz ${i}: Größe ✓`, tags: ['t'] }))
      const bytes = new TextEncoder().encode([...lines, 'not json', JSON.stringify({ text: 'after the bad line' })].join('\n'))
      const progress: ImportProgress[] = await collect(importLines(store, pieces(bytes, 7)))
      // the 200 lines after the second batch were not stored yet when the bad line came
      assert.deepEqual(progress, [
        { acknowledged: 500 },
        { acknowledged: 1_000 },
        { error: { name: 'BadRequestError', message: (progress[2] as any)?.error?.message }, line: 1_201, acknowledged: 1_000 }
      ])
      assert.match((progress[2] as any).error.message, /line 1201 is not JSON/)
      const texts = new Set((await collect(store.chunks())).map(c => c.text))
      assert.equal(texts.size, 1_000)
      assert.ok(texts.has('Notiz 999: Größe ✓'))
    } finally {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
