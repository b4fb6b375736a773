import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { STOPWORDS } from '../src/embedder.js'
import { HashingEmbedder, HttpEmbedder, MemoryStore, SentenceEmbedder, tokenize } from '../src/index.js'
import { textWindows } from '../src/windows.js'
import type { Embedder } from '../src/index.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

interface QualitySet {
  chunks: Array<{ key: string, text: string, tags: string[] }>
  queries: Array<{ query: string, expected: string }>
}

const fixture = new URL('../../test/fixtures/search-quality.json', import.meta.url)

function dot (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i]
  return sum
}

describe('HashingEmbedder', () => {
  it('gives the same unit vector for the same text and closer vectors for related texts', async () => {
    const embedder = new HashingEmbedder()
    const [a, again, related, unrelated] = await embedder.embed([
      'restart the postgres replica after a failover',
      'restart the postgres replica after a failover',
      'the postgres replica needs a restart once failover completes',
      'knead the dough for ten minutes before proofing'
    ])
    assert.deepEqual(a, again)
    assert.ok(Math.abs(dot(a, a) - 1) < 1e-5)
    assert.ok(dot(a, related) > dot(a, unrelated) + 0.2, `related ${dot(a, related)} unrelated ${dot(a, unrelated)}`)
    assert.equal(embedder.model, 'overmind-hash-v1-256')
  })

  it('computes the model overmind-hash-v1 exactly, two features with one hash included', () => {
    const embedder = new HashingEmbedder()
    const { chunks, queries } = JSON.parse(readFileSync(fixture, 'utf8')) as QualitySet
    const texts = [
      ...chunks.map(c => c.text),
      ...queries.map(q => q.query),
      // `w:rvkjggp` and `w:zrrkjtz` have the same FNV-1a hash
      'rvkjggp zrrkjtz rvkjggp',
      'Ünïcödé Straße naïve café, 東京 タワー 123 4567 ab abc abcd',
      'the the the a an',
      '',
      'running jumped classes passes buses ox axe',
      // thousands of features: the table grows several times
      Array.from({ length: 3000 }, (_, i) => `term${i.toString(36)}`).join(' ')
    ]
    for (const text of texts) assert.deepEqual(embedder.embedOne(text), referenceHash(text, 256), text)
    assert.deepEqual(new HashingEmbedder({ dimensions: 64 }).embedOne(texts[0]), referenceHash(texts[0], 64))
  })

  it('puts the expected chunk in the top 5 for most queries of the labelled set', async () => {
    const { top5, n } = await searchQuality(new HashingEmbedder())
    assert.ok(top5 / n > 0.5, `top-5 hit rate ${pct(top5, n)} is not a majority`)
  })
})

describe('SentenceEmbedder', () => {
  it('places texts by meaning: a paraphrase with no word in common lands closer than an unrelated text', async () => {
    const embedder = new SentenceEmbedder()
    const [a, paraphrase, unrelated, empty] = await embedder.embed([
      'the resolver caches negative answers for an hour',
      'DNS negative caching lasts sixty minutes',
      'my grandmother bakes apple pie on sundays',
      ''
    ])
    assert.equal(a.length, 512)
    assert.ok(Math.abs(dot(a, a) - 1) < 1e-4)
    assert.ok(dot(a, paraphrase) > dot(a, unrelated) + 0.3, `paraphrase ${dot(a, paraphrase)} unrelated ${dot(a, unrelated)}`)
    assert.equal(dot(empty, empty), 0, 'an empty text gets the zero vector')
    assert.equal(embedder.model, 'use-lite-en-512')
  })

  it('puts the expected chunk in the top 5 for most queries of the labelled set', async () => {
    const { top5, n } = await searchQuality(new SentenceEmbedder())
    assert.ok(top5 / n > 0.5, `top-5 hit rate ${pct(top5, n)} is not a majority`)
  })

  it('embeds a 60,000-byte text in bounded windows on worker threads, and serves a query while it runs', async () => {
    const embedder = new SentenceEmbedder()
    const sentences = ['the replica fell behind during the nightly backup', 'disk latency rose on the storage nodes', 'the scheduler moved jobs to the spare cluster', 'alerts fired for the payment gateway timeouts']
    let long = ''
    for (let i = 0; Buffer.byteLength(long) < 60_000; i++) long += `${sentences[i % sentences.length]} (entry ${i}). `
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 10)
    const started = performance.now()
    const order: string[] = []
    const [longVector, query] = await Promise.all([
      embedder.embed([long]).then(([v]) => { order.push('long'); return v }),
      embedder.embed(['why did the replica fall behind?'], { priority: 'query' }).then(([v]) => { order.push('query'); return v })
    ])
    const ms = performance.now() - started
    clearInterval(timer)
    process.stdout.write(`# a 60,000-byte text: ${Math.round(ms)} ms on the embedding threads; the calling thread's 10 ms timer ran ${ticks} times meanwhile\n`)
    assert.deepEqual(order, ['query', 'long'], 'the query did not wait for the long text')
    assert.ok(ticks > 0, 'the calling thread kept running')
    assert.ok(Math.abs(dot(longVector, longVector) - 1) < 1e-4)
    const [first] = await embedder.embed([sentences[0]])
    assert.ok(dot(longVector, first) > 0.3, `the long text's vector stays close to what it is about (${dot(longVector, first)})`)
    assert.ok(dot(query, first) > dot(query, (await embedder.embed(['my grandmother bakes apple pie']))[0]))
  })
})

describe('text windows', () => {
  it('cuts on word boundaries within the byte limit, cuts an over-long word, and spreads at most `max` windows over a text', () => {
    const windows = textWindows('alpha beta gamma delta epsilon', 11, 10)
    assert.deepEqual(windows, ['alpha beta', 'gamma delta', 'epsilon'])
    assert.deepEqual(textWindows(`short ${'x'.repeat(25)} end`, 10, 10), ['short', 'xxxxxxxxxx', 'xxxxxxxxxx', 'xxxxx', 'end'])
    const many = textWindows(Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '), 3, 5)
    assert.deepEqual(many, ['w0', 'w25', 'w50', 'w74', 'w99'])
    assert.ok(textWindows('é'.repeat(300), 400, 10).every(w => Buffer.byteLength(w) <= 400))
  })
})

/** Stores the labelled set with `embedder`, runs its queries, prints and returns the hit rates */
async function searchQuality (embedder: Embedder): Promise<{ top1: number, top5: number, n: number }> {
  const set: QualitySet = JSON.parse(readFileSync(fixture, 'utf8'))
  const dir = await mkdtemp(join(tmpdir(), 'overmind-quality-'))
  const privateKey = await generateKeyPair('Ed25519')
  const store = await MemoryStore.open({ path: dir, privateKey, peerId: peerIdFromPrivateKey(privateKey), embedder })
  try {
    const stored = await store.putMany(set.chunks.map(c => ({ text: c.text, tags: c.tags })))
    const keyOf = new Map(stored.map((chunk, i) => [chunk.id, set.chunks[i].key]))
    const chunkVectors = await store.embedder.embed(set.chunks.map(c => c.text))
    let top1 = 0
    let top5 = 0
    let vectorOnly5 = 0
    for (const { query, expected } of set.queries) {
      const results = await store.search({ text: query, k: 5 })
      const keys = results.map(r => keyOf.get(r.id))
      if (keys[0] === expected) top1++
      if (keys.includes(expected)) top5++
      const [q] = await store.embedder.embed([query])
      const byVector = set.chunks.map((c, i) => ({ key: c.key, score: dot(chunkVectors[i], q) }))
      byVector.sort((a, b) => b.score - a.score)
      if (byVector.slice(0, 5).some(c => c.key === expected)) vectorOnly5++
    }
    const n = set.queries.length
    process.stdout.write(`# search quality (${set.chunks.length} chunks, ${n} queries, ${store.embedder.model}): ` +
      `top-1 ${top1}/${n} (${pct(top1, n)}), top-5 ${top5}/${n} (${pct(top5, n)}); vectors alone top-5 ${vectorOnly5}/${n} (${pct(vectorOnly5, n)})\n`)
    return { top1, top5, n }
  } finally {
    await store.close()
    await rm(dir, { recursive: true, force: true })
  }
}

function pct (a: number, n: number): string {
  return `${Math.round(100 * a / n)}%`
}

describe('HttpEmbedder', () => {
  it('embeds through an OpenAI-compatible /v1/embeddings endpoint, in batches, with the key', async () => {
    const requests: Array<{ auth?: string, body: any }> = []
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let data = ''
      req.on('data', chunk => { data += chunk })
      req.on('end', () => {
        const body = JSON.parse(data)
        requests.push({ auth: req.headers.authorization, body })
        if (req.url !== '/v1/embeddings' || body.model !== 'test-embed') {
          res.writeHead(404).end('{"error":"not found"}')
          return
        }
        // a toy model: 3 dimensions from letter counts; answers out of order as some servers do
        const data2 = (body.input as string[]).map((text, index) => ({
          object: 'embedding',
          index,
          embedding: [text.length, (text.match(/a/g) ?? []).length, 1]
        })).reverse()
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: data2, model: body.model }))
      })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const embedder = new HttpEmbedder({ url, model: 'test-embed', apiKey: 'sk-test', batchSize: 2 })
      const vectors = await embedder.embed(['aaa', 'bb', 'abcd'])
      assert.equal(requests.length, 2)
      assert.equal(requests[0].auth, 'Bearer sk-test')
      assert.deepEqual(requests.map(r => r.body.input), [['aaa', 'bb'], ['abcd']])
      assert.equal(embedder.dimensions, 3)
      const expected = [[3, 3, 1], [2, 0, 1], [4, 1, 1]].map(v => { const n = Math.hypot(...v); return v.map(x => x / n) })
      assert.equal(vectors.length, 3)
      vectors.forEach((v, i) => {
        assert.equal(v.length, 3)
        v.forEach((x, j) => { assert.ok(Math.abs(x - expected[i][j]) < 1e-6) })
      })

      const wrong = new HttpEmbedder({ url, model: 'other' })
      await assert.rejects(wrong.embed(['x']), (err: any) => err.name === 'EmbedderError' && /answered 404/.test(err.message))
      const dead = new HttpEmbedder({ url: 'http://127.0.0.1:1', model: 'test-embed' })
      await assert.rejects(dead.embed(['x']), { name: 'EmbedderError' })

      // a store on the HTTP embedder records its model and searches with its vectors
      const dir = await mkdtemp(join(tmpdir(), 'overmind-http-embed-'))
      const privateKey = await generateKeyPair('Ed25519')
      const store = await MemoryStore.open({ path: dir, privateKey, peerId: peerIdFromPrivateKey(privateKey), embedder: new HttpEmbedder({ url, model: 'test-embed' }) })
      const chunk = await store.put({ text: 'banana bread' })
      assert.equal(chunk.model, 'test-embed')
      assert.equal((await store.search({ text: 'banana', k: 1 }))[0].id, chunk.id)
      await store.close()
      await rm(dir, { recursive: true, force: true })
    } finally {
      server.close()
    }
  })
})

/** The model overmind-hash-v1 as first defined: features built as strings, counted in a map */
function referenceHash (text: string, dimensions: number): Float32Array {
  const counts = new Map<string, number>()
  const add = (feature: string, weight: number): void => { counts.set(feature, (counts.get(feature) ?? 0) + weight) }
  const words = tokenize(text)
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    if (STOPWORDS.has(word)) continue
    add(`w:${word}`, 1)
    if (i + 1 < words.length && !STOPWORDS.has(words[i + 1])) add(`b:${word} ${words[i + 1]}`, 0.5)
    const padded = `<${word}>`
    if (padded.length > 4) {
      const grams = padded.length - 2
      for (let j = 0; j < grams; j++) add(`g:${padded.slice(j, j + 3)}`, 1 / Math.sqrt(grams))
    }
  }
  const vector = new Float32Array(dimensions)
  for (const [feature, count] of counts) {
    let hash = 0x811c9dc5
    for (let i = 0; i < feature.length; i++) hash = Math.imul(hash ^ feature.charCodeAt(i), 0x01000193)
    hash >>>= 0
    vector[hash % dimensions] += ((hash & 0x80000000) !== 0 ? -1 : 1) * (1 + Math.log(count))
  }
  let norm = 0
  for (let i = 0; i < dimensions; i++) norm += vector[i] * vector[i]
  norm = Math.sqrt(norm)
  if (norm > 0) for (let i = 0; i < dimensions; i++) vector[i] /= norm
  return vector
}
