import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'vitest'
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
      // batches start at 16 lines and grow with the rate; each acknowledgement covers a prefix of the file
      const acks = progress.slice(0, -1).map(p => p.acknowledged)
      assert.equal(acks[0], 16)
      assert.ok(acks.every((n, i) => i === 0 || n > acks[i - 1]), `acknowledgements grow: ${acks.join(', ')}`)
      const last = progress[progress.length - 1] as any
      assert.equal(last.line, 1_201)
      assert.equal(last.error.name, 'BadRequestError')
      assert.match(last.error.message, /line 1201 is not JSON/)
      // what was acknowledged is stored, the lines of the batch not yet started when the bad line came are not
      const stored = last.acknowledged
      assert.equal(stored, acks[acks.length - 1])
      const texts = new Set((await collect(store.chunks())).map(c => c.text))
      assert.equal(texts.size, stored)
      assert.ok(texts.has(`Notiz ${stored - 1}: Größe ✓`))
      assert.ok(!texts.has(`Notiz ${stored}: Größe ✓`))
    } finally {
      await store.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
