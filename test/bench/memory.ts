/**
 * Federated memory benchmarks. Prints tables and a chart; asserts nothing.
 *
 * - ingest: chunks/s written on one node (signed, indexed, durable) and
 *   entries/s taken in from a peer (verified, indexed, durable), against a
 *   raw LevelDB batch put of the same bytes with the same sync policy; the
 *   hashing embedder throughout, and the sentence encoder on a sample
 * - replication: one node pulls N chunks from another by anti-entropy (time,
 *   bytes on the wire)
 * - search: latency p50/p99 of the graph search and of an exact scan, and
 *   recall@10 of the graph search against the exact scan
 *
 *   node memory.js [--quick] [--ingest N] [--replicate N] [--search N,N…]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { yamux } from '@libp2p/yamux'
import { MemoryStore, SentenceEmbedder } from '@overmind/memory'
import { Level } from 'level'
import { meshKey, recordingMuxer, startTestNode, tcpAddress } from '../src/in-process.js'
import { chart, fmt, percentile, table } from './report.js'
import type { Embedder, PutInput } from '@overmind/memory'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    ingest: { type: 'string' },
    replicate: { type: 'string' },
    search: { type: 'string' }
  }
})
const quick = args.quick === true
const INGEST = Number(args.ingest ?? (quick ? 2_000 : 20_000))
const REPLICATE = Number(args.replicate ?? (quick ? 1_000 : 10_000))
/** The sentence encoder takes ~5 ms a text: a sample is enough for its rate */
const SENTENCE_SAMPLE = Math.min(INGEST, quick ? 200 : 2_000)
const SEARCH_SIZES = (args.search ?? (quick ? '2000' : '10000,100000')).split(',').map(Number)
const QUERIES = quick ? 50 : 200
const BATCH = 500

// ---------------------------------------------------------------- corpus

/** A small deterministic PRNG, so every run measures the same corpus */
function prng (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'shi', 'den', 'bar', 'qu', 'zel', 'pra', 'tor', 'gin', 'fe', 'lum', 'ox', 'cy', 'win']
const random = prng(42)
const VOCABULARY = Array.from({ length: 3_000 }, () => Array.from({ length: 2 + Math.floor(random() * 2) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(''))
const TOPICS = 300

/** Chunk `i`: words drawn mostly from its topic's part of the vocabulary, so related chunks share words */
function chunkText (i: number): string {
  const r = prng(i + 1)
  const topic = i % TOPICS
  const words: string[] = []
  for (let w = 0; w < 14; w++) {
    words.push(r() < 0.7 ? VOCABULARY[(topic * 10 + Math.floor(r() * 40)) % VOCABULARY.length] : VOCABULARY[Math.floor(r() * VOCABULARY.length)])
  }
  return `${words.join(' ')} (note ${i})`
}

const SUBJECTS = ['the build server', 'the payroll database', 'the DNS resolver', 'the message queue', 'the login service', 'the backup job', 'the GPU cluster', 'the web frontend']
const EVENTS = ['ran out of disk space', 'restarted after a failover', 'timed out under load', 'was upgraded to a new version', 'lost its connection to the cache', 'rejected expired certificates']
const FIXES = ['clearing the old logs fixed it', 'raising the memory limit helped', 'a retry with backoff solved it', 'rolling back the change fixed it', 'nobody has found the cause yet']

/** English notes, for the sentence encoder (its cost depends on how text splits into word pieces) */
function englishInputs (from: number, count: number): PutInput[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j
    return { text: `${SUBJECTS[i % SUBJECTS.length]} ${EVENTS[i % EVENTS.length]} in region ${i % 13}; ${FIXES[i % FIXES.length]} (note ${i})` }
  })
}

function inputs (from: number, count: number): PutInput[] {
  return Array.from({ length: count }, (_, j) => ({ text: chunkText(from + j), tags: [`topic-${(from + j) % TOPICS}`] }))
}

// ---------------------------------------------------------------- output

function progress (label: string, done: number, total: number): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}   `)
}

function progressDone (label: string, message: string): void {
  process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}${label}: ${message}${' '.repeat(20)}\n`)
}

// ---------------------------------------------------------------- helpers

async function temp (): Promise<string> {
  return await mkdtemp(join(tmpdir(), 'overmind-bench-'))
}

async function openStore (path: string, embedder?: Embedder): Promise<MemoryStore> {
  const privateKey = await generateKeyPair('Ed25519')
  return await MemoryStore.open({ path, privateKey, peerId: peerIdFromPrivateKey(privateKey), embedder })
}

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

// ---------------------------------------------------------------- ingest

async function benchIngest (n: number): Promise<void> {
  const label = `ingest ${n.toLocaleString('en-US')}`
  const dirs = [await temp(), await temp(), await temp(), await temp()]
  try {
    // local writes: sign, embed, index, durable batch
    const local = await openStore(dirs[0])
    let started = performance.now()
    for (let i = 0; i < n; i += BATCH) {
      await local.putMany(inputs(i, Math.min(BATCH, n - i)))
      progress(`${label} (local writes)`, i + BATCH, n)
    }
    const localMs = performance.now() - started
    const entries = await collect(local.missing([]))

    // entries of another node: verify, index, durable batch
    const remote = await openStore(dirs[1])
    started = performance.now()
    for (let i = 0; i < entries.length; i += BATCH) {
      await remote.ingest(entries.slice(i, i + BATCH))
      progress(`${label} (from a peer)`, i + BATCH, n)
    }
    const remoteMs = performance.now() - started
    await remote.close()
    await local.close()

    // the same local writes with the sentence encoder (the node's default), on a sample
    const sentence = await openStore(dirs[3], new SentenceEmbedder())
    await sentence.putMany(englishInputs(0, 1))
    started = performance.now()
    for (let i = 1; i <= SENTENCE_SAMPLE; i += BATCH) {
      await sentence.putMany(englishInputs(i, Math.min(BATCH, SENTENCE_SAMPLE + 1 - i)))
      progress(`${label} (sentence encoder)`, i + BATCH, SENTENCE_SAMPLE)
    }
    const sentenceMs = performance.now() - started
    await sentence.close()

    // the floor: the same bytes in raw LevelDB batches with the same sync policy
    const encoded = entries
    const db = new Level<string, Uint8Array>(dirs[2], { valueEncoding: 'view' })
    await db.open()
    started = performance.now()
    for (let i = 0; i < encoded.length; i += BATCH) {
      await db.batch(encoded.slice(i, i + BATCH).map((value, j) => ({ type: 'put' as const, key: (i + j).toString(16).padStart(12, '0'), value })), { sync: true })
    }
    const floorMs = performance.now() - started
    await db.close()
    progressDone(label, 'done')

    const rate = (ms: number): number => n / ms * 1000
    const floor = rate(floorMs)
    table(`Ingest on one node: ${n.toLocaleString('en-US')} chunks in batches of ${BATCH}, each batch durable (LevelDB sync write)`,
      ['path', 'total ms', 'per chunk µs', 'chunks/s', 'share of floor'],
      [
        ['raw LevelDB batch put (floor)', fmt(floorMs), fmt(floorMs / n * 1000), fmt(floor), '100%'],
        ['local put (sign, embed, index)', fmt(localMs), fmt(localMs / n * 1000), fmt(rate(localMs)), `${(rate(localMs) / floor * 100).toFixed(1)}%`],
        ['from a peer (verify, index)', fmt(remoteMs), fmt(remoteMs / n * 1000), fmt(rate(remoteMs)), `${(rate(remoteMs) / floor * 100).toFixed(1)}%`],
        [`local put, sentence encoder (${SENTENCE_SAMPLE} English notes)`, fmt(sentenceMs), fmt(sentenceMs / SENTENCE_SAMPLE * 1000), fmt(SENTENCE_SAMPLE / sentenceMs * 1000), `${(SENTENCE_SAMPLE / sentenceMs * 1000 / floor * 100).toFixed(1)}%`]
      ])
    chart('Chunks per second', [['LevelDB floor', floor], ['local put', rate(localMs)], ['from a peer', rate(remoteMs)], ['sentence encoder', SENTENCE_SAMPLE / sentenceMs * 1000]], 'chunks/s')
  } finally {
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
}

// ---------------------------------------------------------------- replication

async function benchReplicate (n: number): Promise<void> {
  const label = `replicate ${n.toLocaleString('en-US')}`
  const psk = meshKey()
  const sent = { a: 0, b: 0 }
  const a = await startTestNode({ psk, memory: true, libp2p: { streamMuxers: [recordingMuxer(yamux(), d => { sent.a += d.byteLength })] } })
  let b: Awaited<ReturnType<typeof startTestNode>> | undefined
  try {
    for (let i = 0; i < n; i += BATCH) {
      await a.memory!.putMany(inputs(i, Math.min(BATCH, n - i)))
      progress(`${label} (writing on A)`, i + BATCH, n)
    }
    const target = await a.memory!.digest()
    const started = performance.now()
    b = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(a)], libp2p: { streamMuxers: [recordingMuxer(yamux(), d => { sent.b += d.byteLength })] } })
    const node = b
    while (true) {
      const have = node.memory!.stats().chunks.federation
      progress(`${label} (B pulling)`, have, n)
      if (have >= n && (await node.memory!.digest()).digest === target.digest) break
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const ms = performance.now() - started
    progressDone(label, 'done')
    const stats = node.libp2p.services.memorySync!.getStats()
    table(`Replication by anti-entropy: node B joins node A, which holds ${n.toLocaleString('en-US')} chunks (one process, loopback TCP)`,
      ['figure', 'value'],
      [
        ['time from B starting to identical state', `${fmt(ms)} ms`],
        ['chunks per second', fmt(n / ms * 1000)],
        ['sync exchanges / pages', `${stats.exchanges} / ${stats.pages}`],
        ['entry bytes received (bodies + signatures)', `${fmt(stats.bytes / 1024)} KiB`],
        ['bytes A → B on the wire (muxed, before encryption)', `${fmt(sent.a / 1024)} KiB`],
        ['bytes B → A on the wire', `${fmt(sent.b / 1024)} KiB`],
        ['wire bytes per chunk (A → B)', fmt(sent.a / n)],
        ['wire overhead over entry bytes', `${((sent.a / Math.max(1, stats.bytes) - 1) * 100).toFixed(1)}%`]
      ])
  } finally {
    await b?.stop()
    await a.stop()
  }
}

// ---------------------------------------------------------------- search

async function benchSearch (sizes: number[]): Promise<void> {
  const rows: string[][] = []
  const bars: Array<[string, number]> = []
  for (const n of sizes) {
    const label = `search ${n.toLocaleString('en-US')}`
    const dir = await temp()
    try {
      const store = await openStore(dir)
      for (let i = 0; i < n; i += BATCH) {
        await store.putMany(inputs(i, Math.min(BATCH, n - i)))
        progress(`${label} (writing)`, i + BATCH, n)
      }
      await store.flushIndex()
      const r = prng(7)
      const queries = Array.from({ length: QUERIES }, () => {
        const words = chunkText(Math.floor(r() * n)).split(' ').slice(0, 14)
        return Array.from({ length: 4 }, () => words[Math.floor(r() * words.length)]).join(' ')
      })
      // warm up
      for (const text of queries.slice(0, 5)) await store.search({ text, k: 10 })
      const graph: number[] = []
      const exact: number[] = []
      let overlap = 0
      for (const [i, text] of queries.entries()) {
        let t = performance.now()
        const found = await store.search({ text, k: 10 })
        graph.push(performance.now() - t)
        t = performance.now()
        const truth = await store.search({ text, k: 10, exact: true })
        exact.push(performance.now() - t)
        const ids = new Set(found.map(f => f.id))
        overlap += truth.filter(x => ids.has(x.id)).length / Math.max(1, truth.length)
        progress(`${label} (querying)`, i + 1, queries.length)
      }
      await store.close()
      progressDone(label, 'done')
      graph.sort((x, y) => x - y)
      exact.sort((x, y) => x - y)
      const recall = overlap / queries.length
      rows.push([n.toLocaleString('en-US'), fmt(percentile(graph, 50)), fmt(percentile(graph, 99)), fmt(percentile(exact, 50)), fmt(percentile(exact, 99)), `${(percentile(exact, 50) / percentile(graph, 50)).toFixed(1)}×`, recall.toFixed(3)])
      bars.push([`${n.toLocaleString('en-US')} graph p50`, percentile(graph, 50)], [`${n.toLocaleString('en-US')} exact p50`, percentile(exact, 50)])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }
  table(`Search: ${QUERIES} queries of 4 words, k = 10, hybrid ranking (vectors + BM25)`,
    ['chunks', 'graph p50 ms', 'graph p99 ms', 'exact p50 ms', 'exact p99 ms', 'speed-up', 'recall@10 vs exact'], rows)
  chart('Search latency p50 (ms)', bars, 'ms')
}

await benchIngest(INGEST)
await benchReplicate(REPLICATE)
await benchSearch(SEARCH_SIZES)
