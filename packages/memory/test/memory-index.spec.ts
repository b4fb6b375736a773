import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EventKind, Zone } from '@overmind/protocols'
import { HashingEmbedder } from '../src/embedder.js'
import { signEvent } from '../src/entry.js'
import { LexicalIndex } from '../src/lexical-index.js'
import { MemoryIndex } from '../src/memory-index.js'
import type { ChunkFilter } from '../src/memory-index.js'
import { GRAPH_BACKLOG, GRAPH_BACKLOG_SEARCHED, SEARCHING_MS } from '../src/graph-protocol.js'
import { VectorIndex } from '../src/vector-index.js'
import type { Chunk } from '@overmind/protocols'

const SELF = '12D3KooWPUctyKhcmpJqp9A91yeJdhxCmXJRpkSYq5kh6iBkU4U9'
const OTHER = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'
const embedder = new HashingEmbedder()

function body (text: string, fields: Partial<Chunk> = {}): Chunk {
  return { author: new Uint8Array(), agent: 'ops', zone: Zone.FEDERATION, text, tags: [], hlcWallTime: 1_000n, hlcLogical: 0, seq: 1n, ...fields }
}

/** A unit vector that differs for every seed */
function unitVector (seed: number, dimensions: number): Float32Array {
  const v = Float32Array.from({ length: dimensions }, (_, i) => Math.sin(seed * 3.7 + i * 0.9) + Math.cos(seed * i))
  const norm = Math.hypot(...v)
  return v.map(x => x / norm)
}

async function index (chunks: Array<[string, string, Chunk]>): Promise<MemoryIndex> {
  const idx = new MemoryIndex({ model: embedder.model, dimensions: embedder.dimensions, self: SELF, replicatedZones: [Zone.FEDERATION] })
  let ordinal = 1
  for (const [id, author, chunk] of chunks) idx.addChunk(ordinal++, id, author, chunk, embedder.embedOne(chunk.text))
  return idx
}

async function ids (idx: MemoryIndex, text: string, filter: Partial<Parameters<MemoryIndex['search']>[0]['filter']> = {}): Promise<string[]> {
  const hits = await idx.search({ text, vector: embedder.embedOne(text), k: 10, filter: { reader: 'ops', ...filter } })
  return hits.map(h => idx.id(h.ordinal)).sort()
}

describe('MemoryIndex', () => {
  it('filters by zone, tags, agents, authors and time, and hides other agents\' private chunks', async () => {
    const idx = await index([
      ['a', SELF, body('disk full on the build server', { tags: ['disk', 'ci'], hlcWallTime: 1_000n })],
      ['b', OTHER, body('disk full on the mail server', { tags: ['disk'], agent: 'mail', hlcWallTime: 2_000n })],
      ['c', SELF, body('disk quota for the build server', { zone: Zone.SHARED, hlcWallTime: 3_000n })],
      ['d', SELF, body('disk keys of the build server', { zone: Zone.PRIVATE, agent: 'alice' })],
      ['e', OTHER, body('disk keys of the other node', { zone: Zone.PRIVATE, agent: 'ops' })]
    ])
    assert.deepEqual(await ids(idx, 'disk server'), ['a', 'b', 'c'], 'private chunks of another agent, or of another node, stay hidden')
    assert.deepEqual(await ids(idx, 'disk server', { reader: 'alice' }), ['a', 'b', 'c', 'd'])
    assert.deepEqual(await ids(idx, 'disk server', { tags: ['disk'] }), ['a', 'b'])
    assert.deepEqual(await ids(idx, 'disk server', { tags: ['disk', 'ci'] }), ['a'])
    assert.deepEqual(await ids(idx, 'disk server', { tags: ['nowhere'] }), [])
    assert.deepEqual(await ids(idx, 'disk server', { agents: ['mail'] }), ['b'])
    assert.deepEqual(await ids(idx, 'disk server', { authors: [OTHER] }), ['b'])
    assert.deepEqual(await ids(idx, 'disk server', { zones: [Zone.SHARED] }), ['c'])
    assert.deepEqual(await ids(idx, 'disk server', { since: 1_500, until: 2_500 }), ['b'])
    assert.deepEqual(await ids(idx, 'disk server', { replicatedOnly: true }), ['a', 'b'])
  })

  it('finds an agent\'s nearest chunks by a scan of its partition, and widens the scan when other conditions pass few', async () => {
    const idx = new MemoryIndex({ model: embedder.model, dimensions: embedder.dimensions, self: SELF, replicatedZones: [Zone.FEDERATION] })
    const dir = await mkdtemp(join(tmpdir(), 'overmind-partitions-'))
    const texts: string[] = []
    try {
      await idx.vectors.open(join(dir, 'vectors.usearch'))
      const words = ['disk', 'network', 'cache', 'kernel', 'backup', 'deploy', 'queue', 'login', 'certificate', 'memory', 'cluster', 'build']
      for (let ordinal = 1; ordinal <= 6_000; ordinal++) {
        const text = `${words[ordinal % 12]} ${words[(ordinal * 7) % 11]} ${words[(ordinal * 5) % 12]} incident ${ordinal}`
        texts[ordinal] = text
        // agents a, b and c hold 2,000 chunks each (more than are scanned on the event loop); 1 in 100 of b's is shared
        const agent = ['a', 'b', 'c'][ordinal % 3]
        const zone = agent === 'b' && ordinal % 100 === 1 ? Zone.SHARED : Zone.FEDERATION
        idx.addChunk(ordinal, `id-${ordinal}`, SELF, body(text, { agent, zone }), embedder.embedOne(text))
      }
      await idx.vectors.flushGraph()
      const cases: Array<[string, Partial<ChunkFilter>]> = [['kernel backup', { agents: ['b'] }], ['certificate cluster deploy', { agents: ['a', 'c'] }], ['disk cache', { agents: ['b'], zones: [Zone.SHARED] }]]
      for (const [query, filter] of cases) {
        const vector = embedder.embedOne(query)
        const { test } = idx.compile({ reader: 'ops', ...filter })
        const truth = idx.vectors.exact(vector, 10, test).map(h => h.ordinal).sort((a, b) => a - b)
        const hits = await idx.search({ text: query, vector, k: 10, filter: { reader: 'ops', ...filter }, vectorOnly: true })
        assert.equal(hits.length, 10)
        assert.ok(hits.every(h => test(h.ordinal)), `every hit passes ${JSON.stringify(filter)}`)
        // the 8-bit scan only chooses candidates: they are scored exactly, so the best are the exact best
        assert.deepEqual(hits.map(h => h.ordinal).sort((a, b) => a - b), truth, `the exact nearest for ${JSON.stringify(filter)}`)
      }
    } finally {
      await idx.vectors.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('forgets a chunk only on a tombstone of its own author, whichever comes first', async () => {
    const key = await generateKeyPair('Ed25519')
    const author = peerIdFromPrivateKey(key)
    const tombstone = async (target: string): Promise<any> => await signEvent({
      author: author.toMultihash().bytes as Uint8Array<ArrayBuffer>,
      agent: 'ops',
      zone: Zone.FEDERATION,
      kind: EventKind.TOMBSTONE,
      targets: [target],
      success: false,
      relation: '', uses: 0, weight: 0, score: 0, novelty: 0, topic: '',
      hlcWallTime: 1n,
      hlcLogical: 0,
      seq: 9n
    }, key)
    const target = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'
    const other = 'bafkreidiekdfapqkkcvcxaeqvxy4tvqtgl6qwsgq3muo7w2g3rbhhikkhm'
    const idx = await index([[other, OTHER, body('a chunk of another author')]])
    idx.addEvent(await tombstone(target))
    idx.addEvent(await tombstone(other))
    idx.addChunk(2, target, author.toString(), body('the tombstone came first'))
    assert.equal(idx.isForgotten(2), true, 'a tombstone that arrived before its chunk still counts')
    assert.equal(idx.isForgotten(1), false, 'a tombstone of another author does not')
    assert.deepEqual(idx.stats().chunks, { private: 0, shared: 0, federation: 1 })
    assert.equal(idx.stats().forgotten, 1)
  })
})

describe('VectorIndex', () => {
  it('scans exactly: the k most similar vectors, best first, over all, a filter or a list', () => {
    const vectors = new VectorIndex('test', 8)
    const random = (seed: number): Float32Array => {
      const v = Float32Array.from({ length: 8 }, (_, i) => Math.sin(seed * 7.1 + i * 1.3))
      const norm = Math.hypot(...v)
      return v.map(x => x / norm)
    }
    for (let ordinal = 1; ordinal <= 10_000; ordinal++) vectors.add(ordinal, random(ordinal))
    const query = random(0.5)
    const truth = (pass: (o: number) => boolean): number[] => Array.from({ length: 10_000 }, (_, i) => i + 1).filter(pass)
      .map(o => ({ o, s: vectors.similarity(query, o) })).sort((a, b) => b.s - a.s).slice(0, 7).map(x => x.o)
    assert.deepEqual(vectors.exact(query, 7).map(h => h.ordinal), truth(() => true))
    // the filter is asked only of rows that score into the best so far, not of all 10,000
    let asked = 0
    assert.deepEqual(vectors.exact(query, 7, o => { asked++; return o % 3 === 0 }).map(h => h.ordinal), truth(o => o % 3 === 0))
    assert.ok(asked > 0 && asked < 2_000, `the filter was asked of ${asked} rows`)
    assert.deepEqual(vectors.exact(query, 7, o => o % 1000 === 1).map(h => h.ordinal), truth(o => o % 1000 === 1))
    const list = truth(() => true).slice(2)
    assert.deepEqual(vectors.exact(query, 3, undefined, [...list].reverse()).map(h => h.ordinal), list.slice(0, 3))
    void vectors.close()
  })

  it('finds vectors the graph does not hold yet, and after it holds them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-vectors-'))
    const vectors = new VectorIndex('test', 32)
    try {
      await vectors.open(join(dir, 'vectors.usearch'))
      const unit = (seed: number): Float32Array => unitVector(seed, 32)
      for (let ordinal = 1; ordinal <= 5_000; ordinal++) vectors.add(ordinal, unit(ordinal))
      await new Promise(resolve => setImmediate(resolve))
      assert.ok(vectors.backlog > 0, 'searched while the graph is behind')
      for (const ordinal of [3, 1_234, 4_999]) {
        assert.equal((await vectors.approximate(unit(ordinal), 5))[0].ordinal, ordinal)
      }
      await vectors.flushGraph()
      assert.equal(vectors.backlog, 0)
      for (const ordinal of [3, 1_234, 4_999]) {
        assert.equal((await vectors.approximate(unit(ordinal), 5))[0].ordinal, ordinal)
      }
    } finally {
      await vectors.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
  it('searches what the graph holds back while vectors come in bulk, and inserts all of it once they stop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-vectors-'))
    const vectors = new VectorIndex('test', 16)
    try {
      await vectors.open(join(dir, 'vectors.usearch'))
      const unit = (seed: number): Float32Array => unitVector(seed, 16)
      // 100 at a time, every 10 ms, for 300 ms: an import's pace
      let ordinal = 1
      for (let round = 0; round < 30; round++) {
        for (let i = 0; i < 100; i++, ordinal++) vectors.add(ordinal, unit(ordinal))
        await new Promise(resolve => setTimeout(resolve, 10))
      }
      // the graph holds bulk inserts back (how many is the benchmarks' business); what waits is searched all the same
      process.stdout.write(`# waiting for the graph when the writes stopped: ${vectors.backlog} of 3000\n`)
      assert.equal((await vectors.approximate(unit(1_500), 3))[0].ordinal, 1_500)
      await vectors.flushGraph()
      assert.equal(vectors.backlog, 0)
    } finally {
      await vectors.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('counts vectors that come in many small messages without a pause as bulk, as a sync page indexed slice by slice', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-vectors-'))
    const vectors = new VectorIndex('test', 16)
    try {
      await vectors.open(join(dir, 'vectors.usearch'))
      // the searches of the tests before no longer count as searches that come
      await new Promise(resolve => setTimeout(resolve, SEARCHING_MS))
      // 40 at a time, every 2 ms, for at least 300 ms: each group is a message of its own
      let ordinal = 1
      for (let round = 0; round < 150; round++) {
        for (let i = 0; i < 40; i++, ordinal++) vectors.add(ordinal, unitVector(ordinal, 16))
        await new Promise(resolve => setTimeout(resolve, 2))
      }
      // no message is bulk, but 6,000 with no pause are: the graph holds them
      // back, where it would have inserted a good part of them as they came
      process.stdout.write(`# waiting for the graph when the small writes stopped: ${vectors.backlog} of 6000\n`)
      assert.ok(vectors.backlog > 4_800, `${vectors.backlog} of 6,000 wait for the graph`)
      assert.equal((await vectors.approximate(unitVector(2_000, 16), 3))[0].ordinal, 2_000)
      await vectors.flushGraph()
      assert.equal(vectors.backlog, 0)
    } finally {
      await vectors.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('lets less wait for the graph while searches come, and more once they stop', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-vectors-'))
    const vectors = new VectorIndex('test', 16)
    try {
      await vectors.open(join(dir, 'vectors.usearch'))
      await new Promise(resolve => setTimeout(resolve, SEARCHING_MS))
      assert.equal(vectors.backlogLimit, GRAPH_BACKLOG)
      // the same small writes as above, with a search every 20 ms
      let ordinal = 1
      let searched = 0
      for (let round = 0; round < 150; round++) {
        for (let i = 0; i < 40; i++, ordinal++) vectors.add(ordinal, unitVector(ordinal, 16))
        if (round % 10 === 0) {
          assert.equal((await vectors.approximate(unitVector(ordinal - 1, 16), 1))[0].ordinal, ordinal - 1)
          searched++
        }
        await new Promise(resolve => setTimeout(resolve, 2))
      }
      // writes pause earlier, and the graph inserts from a lower count on, so what a search scans stays small
      process.stdout.write(`# waiting for the graph when the small writes stopped, searched ${searched} times: ${vectors.backlog} of 6000\n`)
      assert.equal(vectors.backlogLimit, GRAPH_BACKLOG_SEARCHED)
      // (without searches, more than 4,800 wait: see the test above)
      assert.ok(vectors.backlog < 4_800, `${vectors.backlog} of 6,000 wait for the graph`)
      await new Promise(resolve => setTimeout(resolve, SEARCHING_MS))
      assert.equal(vectors.backlogLimit, GRAPH_BACKLOG)
    } finally {
      await vectors.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('saves when idle only once searches pause, and a save asked for now settles the waiting one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-vectors-'))
    const path = join(dir, 'vectors.usearch')
    const vectors = new VectorIndex('test', 8)
    try {
      await vectors.open(path)
      for (let ordinal = 1; ordinal <= 200; ordinal++) vectors.add(ordinal, Float32Array.from({ length: 8 }, (_, i) => Math.cos(ordinal + i)))
      await vectors.flushGraph()
      let saved = false
      const idle = vectors.save(path, { whenIdle: true }).then(() => { saved = true })
      // a search every 100 ms for 1.5 s: never idle
      for (let i = 0; i < 15; i++) {
        await vectors.approximate(Float32Array.from({ length: 8 }, (_, j) => Math.sin(i + j)), 3)
        await new Promise(resolve => setTimeout(resolve, 100))
      }
      assert.equal(saved, false, 'saved while searches kept coming')
      assert.equal(await stat(path).then(() => true, () => false), false)
      await vectors.save(path)
      await idle
      assert.equal(saved, true)
      assert.ok((await stat(path)).size > 0)
      // and with no search, an idle save comes by itself
      await vectors.save(path, { whenIdle: true })
    } finally {
      await vectors.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
  it('records beside the graph file the size and digest of the last save, with several saves in flight', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-vectors-'))
    const path = join(dir, 'vectors.usearch')
    const vectors = new VectorIndex('test', 8)
    try {
      await vectors.open(path)
      let ordinal = 0
      for (let round = 0; round < 10; round++) {
        const saves: Array<Promise<void>> = []
        for (let i = 0; i < 4; i++) {
          for (let j = 0; j < 50; j++) vectors.add(++ordinal, Float32Array.from({ length: 8 }, (_, k) => Math.cos(ordinal + k)))
          await vectors.flushGraph()
          saves.push(vectors.save(path, { whenIdle: i % 2 === 0 }), vectors.save(path))
        }
        await Promise.all(saves)
        const bytes = await readFile(path)
        const record = JSON.parse(await readFile(`${path}.json`, 'utf8'))
        assert.equal(record.size, bytes.byteLength, `round ${round}`)
        assert.equal(record.sha256, createHash('sha256').update(bytes).digest('hex'), `round ${round}`)
      }
    } finally {
      await vectors.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('LexicalIndex', () => {
  it('ranks by BM25 and scores a word found in most documents on candidates only', async () => {
    const lexical = new LexicalIndex()
    for (let i = 0; i < 3_000; i++) lexical.add(i, `service restarted after update ${i % 7 === 0 ? 'kernel panic' : 'routine'}`)
    lexical.add(5_000, 'zebra service')
    const rare = lexical.search('zebra', 5)
    assert.deepEqual(rare.map(h => h.ordinal), [5_000])
    // "service" is in every document: without candidates it finds nothing by itself
    assert.deepEqual(lexical.search('service', 5), [])
    const scored = lexical.search('service kernel', 1_000, undefined, [1, 7])
    const rank = (ordinal: number): number => scored.findIndex(h => h.ordinal === ordinal)
    assert.ok(rank(1) >= 0, 'a candidate without the rare word is scored on the common one')
    assert.ok(rank(7) < rank(1), 'the candidate with the rare word ranks above it')
    assert.ok(scored.every(h => h.score > 0 && h.score <= 1))
    const filtered = lexical.search('kernel panic', 10, ordinal => ordinal < 100)
    assert.ok(filtered.length > 0 && filtered.every(h => h.ordinal < 100 && h.ordinal % 7 === 0))
  })
})
