/**
 * Federated memory benchmarks. Prints tables and charts; asserts nothing.
 * Every figure sits beside a floor measured in the same run:
 *
 * - ingest: chunks/s a store takes durably (signed, embedded, indexed,
 *   searchable, synced), and a running node (which also publishes each
 *   chunk to a peer), against raw LevelDB batches of the same keys and bytes
 *   with the same sync policy (several rounds, interleaved, median); the
 *   sentence encoder against its own rate on every core
 * - replication: a fresh node pulls N chunks by anti-entropy, against OrbitDB
 *   replicating the same N texts between two peers in the same process
 * - search: p50/p99 at each size, unfiltered and with filters, while an
 *   import runs, right after it and once the graph has caught up; the
 *   graph's vector recall@10 against a brute-force scan; the store's exact
 *   scan against a plain loop
 *
 *   node memory.js [--quick] [--ingest N] [--replicate N] [--search N,N…] [--only ingest,replicate,search]
 */
import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { HashingEmbedder, MemoryStore, SentenceEmbedder } from '@overmind/memory'
import { meshStreamMuxer } from '@overmind/node'
import { multiaddr } from '@multiformats/multiaddr'
import { random as seededRandom } from '@overmind/sim'
import { Level } from 'level'
import { NodeProcess, overmind, setConfig } from '../src/cli.js'
import { meshKey, recordingMuxer, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import { orbitdbReplication } from './orbitdb.js'
import { chart, cpuMs, fmt, percentile, table } from './report.js'
import type { Embedder, PutInput, SearchQuery, ZoneName } from '@overmind/memory'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    ingest: { type: 'string' },
    replicate: { type: 'string' },
    search: { type: 'string' },
    only: { type: 'string' }
  }
})
/** `--only search` (or `ingest`, `replicate`, comma-separated) runs those parts alone */
const parts = new Set((args.only ?? 'ingest,replicate,search').split(','))
const quick = args.quick === true
const INGEST = Number(args.ingest ?? (quick ? 2_000 : 20_000))
const REPLICATE = Number(args.replicate ?? (quick ? 500 : 10_000))
/** The sentence encoder takes ~7 ms a text per core: a sample is enough for its rate */
const SENTENCE_SAMPLE = quick ? 64 : 2_000
const SEARCH_SIZES = (args.search ?? (quick ? '3000' : '10000,100000')).split(',').map(Number)
const QUERIES = quick ? 40 : 200
/** Queries timed per search case, QUERIES or more: a p99 of 200 would be the second slowest, moved by any one pause */
const TIMED_QUERIES = quick ? 40 : 1_000
const BATCH = 500
const FLOOR_ROUNDS = quick ? 2 : 3

// ---------------------------------------------------------------- corpus

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'shi', 'den', 'bar', 'qu', 'zel', 'pra', 'tor', 'gin', 'fe', 'lum', 'ox', 'cy', 'win']
const random = seededRandom(42)
const VOCABULARY = Array.from({ length: 3_000 }, () => Array.from({ length: 2 + Math.floor(random() * 2) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(''))
const TOPICS = 300
const AGENTS = 10

/** Chunk `i`: words drawn mostly from its topic's part of the vocabulary, so related chunks share words */
function chunkText (i: number): string {
  const r = seededRandom(i + 1)
  const topic = i % TOPICS
  const words: string[] = []
  for (let w = 0; w < 14; w++) {
    words.push(r() < 0.7 ? VOCABULARY[(topic * 10 + Math.floor(r() * 40)) % VOCABULARY.length] : VOCABULARY[Math.floor(r() * VOCABULARY.length)])
  }
  return `${words.join(' ')} (note ${i})`
}

/** Chunks with a topic tag (1 in 300), half in the shared zone, ten agents (1 in 10 each) */
function inputs (from: number, count: number): PutInput[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j
    return { text: chunkText(i), tags: [`topic-${i % TOPICS}`], zone: (i % 2 === 0 ? 'federation' : 'shared') as ZoneName, agent: `agent-${i % AGENTS}` }
  })
}

const SUBJECTS = ['the build server', 'the payroll database', 'the DNS resolver', 'the message queue', 'the login service', 'the backup job', 'the GPU cluster', 'the web frontend']
const EVENTS = ['ran out of disk space', 'restarted after a failover', 'timed out under load', 'was upgraded to a new version', 'lost its connection to the cache', 'rejected expired certificates']
const FIXES = ['clearing the old logs fixed it', 'raising the memory limit helped', 'a retry with backoff solved it', 'rolling back the change fixed it', 'nobody has found the cause yet']

/** English notes, for the sentence encoder (its cost depends on how text splits into word pieces) */
function englishTexts (from: number, count: number): string[] {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j
    return `${SUBJECTS[i % SUBJECTS.length]} ${EVENTS[i % EVENTS.length]} in region ${i % 13}; ${FIXES[i % FIXES.length]} (note ${i})`
  })
}

// ---------------------------------------------------------------- helpers

function progress (label: string, done: number, total: number): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${label}: ${Math.min(done, total).toLocaleString('en-US')} / ${total.toLocaleString('en-US')}   `)
}

function progressDone (label: string, message: string): void {
  process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}${label}: ${message}${' '.repeat(20)}\n`)
}

const dirs: string[] = []
async function temp (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'overmind-bench-'))
  dirs.push(dir)
  return dir
}

async function openStore (embedder?: Embedder): Promise<MemoryStore> {
  const privateKey = await generateKeyPair('Ed25519')
  return await MemoryStore.open({ path: await temp(), privateKey, peerId: peerIdFromPrivateKey(privateKey), embedder })
}

async function collect<T> (source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}

function median (values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
}

const rate = (n: number, ms: number): number => n / ms * 1000
const pct = (part: number, whole: number): string => `${(part / whole * 100).toFixed(1)}%`

/** A node process on the hashing embedder in the mesh of `psk`, bootstrapped from `bootstrap` */
async function peerProcess (psk: Uint8Array, bootstrap?: string): Promise<NodeProcess> {
  const dir = await temp()
  await writeFile(join(dir, 'mesh.key'), psk)
  const res = await overmind(['init', '--data-dir', join(dir, 'node'), '--mesh', 'test', '--mesh-key-file', join(dir, 'mesh.key')])
  if (res.code !== 0) throw new Error(res.stderr)
  await setConfig(join(dir, 'node'), { 'memory.embedder': 'hash' })
  return await NodeProcess.start(join(dir, 'node'), ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', ...(bootstrap != null ? ['--bootstrap', bootstrap] : [])])
}

// ---------------------------------------------------------------- ingest

/** CPU time another process has used so far, ms, where /proc tells (Linux) */
function processCpuMs (pid: number | undefined): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // utime and stime, the 14th and 15th fields, in clock ticks (100 a second on Linux)
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/**
 * Writes every chunk of `all` in batches of BATCH, as an import does: the
 * next batch is under way while the one before it is written; returns ms
 */
async function putAll (store: MemoryStore, all: PutInput[], label: string): Promise<number> {
  const started = performance.now()
  let previous: Promise<unknown> = Promise.resolve()
  for (let i = 0; i < all.length; i += BATCH) {
    const current = store.putMany(all.slice(i, i + BATCH))
    await previous
    previous = current
    progress(label, i, all.length)
  }
  await previous
  return performance.now() - started
}

/**
 * The floor: what the store writes for these chunks (the signed entry under
 * its chunk key, and its log position) as raw LevelDB batches of BATCH
 * chunks, each synced, as the store syncs each batch
 */
async function floorMs (entries: Uint8Array[]): Promise<number> {
  const db = new Level<string, Uint8Array>(await temp(), { valueEncoding: 'view' })
  await db.open()
  const chunkKey = (i: number): string => `!chunks!${i.toString(16).padStart(12, '0')}!bafkrei${i.toString(36).padStart(52, 'a')}`
  const logKey = (i: number): string => `!log!3!12D3KooWPUctyKhcmpJqp9A91yeJdhxCmXJRpkSYq5kh6iBkU4U9!${i.toString(16).padStart(16, '0')}`
  const started = performance.now()
  for (let i = 0; i < entries.length; i += BATCH) {
    const ops = entries.slice(i, i + BATCH).flatMap((value, j) => [
      { type: 'put' as const, key: chunkKey(i + j), value },
      { type: 'put' as const, key: logKey(i + j), value: new TextEncoder().encode(`c${chunkKey(i + j)}`) }
    ])
    await db.batch(ops, { sync: true })
  }
  const ms = performance.now() - started
  await db.close()
  return ms
}

async function benchIngest (n: number): Promise<void> {
  const label = `ingest ${n.toLocaleString('en-US')}`
  const all = inputs(0, n)

  // a round that is not timed: compiled code and started threads, as in a node that has run for a while
  const warm = await openStore()
  await putAll(warm, inputs(n, Math.min(n, 4_000)), `${label} (warming up)`)
  await warm.close()

  // the store alone and the floor, in interleaved rounds
  const storeRuns: number[] = []
  const storeCpu: number[] = []
  const floorRuns: number[] = []
  let graphMs = 0
  let entries: Uint8Array[] = []
  for (let round = 0; round < FLOOR_ROUNDS; round++) {
    const store = await openStore()
    const cpu = process.cpuUsage()
    storeRuns.push(await putAll(store, all, `${label} (store, round ${round + 1})`))
    storeCpu.push(cpuMs(cpu))
    const caughtUp = performance.now()
    await store.flushIndex()
    graphMs = performance.now() - caughtUp
    if (round === 0) entries = (await collect(store.missing([])))
    await store.close()
    floorRuns.push(await floorMs(entries))
  }

  // a running node: the same writes, plus publishing each chunk to a peer (a node process of its own)
  const psk = meshKey()
  const node = await startTestNode({ psk, memory: true })
  const peer = await peerProcess(psk, tcpAddress(node))
  let nodeMs: number
  let nodeCpu: number
  let peerCpu: number | undefined
  let published: number
  try {
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(node.libp2p.services.knowledge!.topic).length > 0, { message: 'the peer to subscribe' })
    const cpu = process.cpuUsage()
    const peerBefore = processCpuMs(peer.child.pid)
    nodeMs = await putAll(node.memory!, all, `${label} (running node)`)
    nodeCpu = cpuMs(cpu)
    const peerAfter = processCpuMs(peer.child.pid)
    peerCpu = peerBefore != null && peerAfter != null ? peerAfter - peerBefore : undefined
    // the federation half is published; the shared zone stays on the node
    const federation = all.filter(input => input.zone === 'federation').length
    await waitFor(() => node.libp2p.services.knowledge!.getStats().published >= federation, { timeout: 30_000 }).catch(() => {})
    published = node.libp2p.services.knowledge!.getStats().published
  } finally {
    await peer.kill()
    await node.stop()
  }

  // the sentence encoder: alone on every core, then through a store
  const texts = englishTexts(0, SENTENCE_SAMPLE)
  const encoder = new SentenceEmbedder()
  await encoder.embed(englishTexts(1_000_000, 32))
  const started = performance.now()
  await Promise.all(Array.from({ length: Math.ceil(texts.length / BATCH) }, async (_, b) => await encoder.embed(texts.slice(b * BATCH, (b + 1) * BATCH))))
  const encoderMs = performance.now() - started
  const sentence = await openStore(new SentenceEmbedder())
  await sentence.put({ text: 'warm up' })
  const sentenceMs = await putAll(sentence, texts.map(text => ({ text })), `${label} (sentence encoder)`)
  await sentence.close()
  progressDone(label, 'done')

  const storeMs = median(storeRuns)
  const floor = rate(n, median(floorRuns))
  table(`Ingest: ${n.toLocaleString('en-US')} chunks in batches of ${BATCH}, each batch synced to disk (hashing embedder); medians of ${FLOOR_ROUNDS} interleaved rounds after one untimed round; CPU of this process, all its threads`,
    ['path', 'chunks/s', 'per chunk µs', 'CPU per chunk µs', 'of the floor', 'rounds (chunks/s)'],
    [
      ['raw LevelDB: the same keys and bytes, synced per batch (floor)', fmt(floor), fmt(median(floorRuns) / n * 1000), '', '100%', floorRuns.map(ms => fmt(rate(n, ms))).join(' / ')],
      ['store: signed, embedded, indexed, searchable, synced', fmt(rate(n, storeMs)), fmt(storeMs / n * 1000), fmt(median(storeCpu) / n * 1000), pct(rate(n, storeMs), floor), storeRuns.map(ms => fmt(rate(n, ms))).join(' / ')],
      [`running node: the same, and the federation half published to a peer (${published.toLocaleString('en-US')})`, fmt(rate(n, nodeMs)), fmt(nodeMs / n * 1000), fmt(nodeCpu / n * 1000), pct(rate(n, nodeMs), floor), ''],
      ['  the peer, a process on the same cores, receiving the published half meanwhile', '', '', peerCpu != null ? fmt(peerCpu / n * 1000) : 'n/a', '', '']
    ])
  table('Goal: ≥ 10,000 chunks/s with the hashing embedder', ['figure', 'value'], [
    ['store', `${fmt(rate(n, storeMs))} chunks/s`],
    ['running node (its peer receiving on the same machine)', `${fmt(rate(n, nodeMs))} chunks/s`],
    ['the graph caught up after the last write (searches scan what it lacks meanwhile)', `${fmt(graphMs)} ms`]
  ])
  const encoderRate = rate(texts.length, encoderMs)
  const sentenceRate = rate(texts.length, sentenceMs)
  table(`Sentence encoder: ${texts.length.toLocaleString('en-US')} English notes, batches of ${BATCH} (goal: the store at ≥ 90% of the encoder's own rate on every core)`,
    ['path', 'texts/s', 'of the encoder'],
    [
      ['the encoder alone, on every core (floor)', fmt(encoderRate), '100%'],
      ['store: signed, indexed, synced', fmt(sentenceRate), pct(sentenceRate, encoderRate)]
    ])
  chart('Chunks per second', [['LevelDB floor', floor], ['store', rate(n, storeMs)], ['running node', rate(n, nodeMs)], ['sentence encoder', encoderRate], ['store, sentence', sentenceRate]], 'chunks/s')
}

// ---------------------------------------------------------------- replication

async function benchReplicate (n: number): Promise<void> {
  const label = `replicate ${n.toLocaleString('en-US')}`
  const psk = meshKey()
  const sent = { a: 0, b: 0 }
  const a = await startTestNode({ psk, memory: true, libp2p: { streamMuxers: [recordingMuxer(meshStreamMuxer(), d => { sent.a += d.byteLength })] } })
  let b: Awaited<ReturnType<typeof startTestNode>> | undefined
  const texts = inputs(0, n).map(i => i.text)
  let ms: number
  let processMs: number
  const processRounds: number[] = []
  /** CPU-ms each process used in each round: the fresh node's, and this one's (A's, the sender) */
  const processCpu: Array<{ fresh: number, sender: number }> = []
  /** What A sent B while B was in this process */
  let wire: number
  let stats: ReturnType<NonNullable<Awaited<ReturnType<typeof startTestNode>>['libp2p']['services']['memorySync']>['getStats']>
  try {
    for (let i = 0; i < n; i += BATCH) {
      await a.memory!.putMany(texts.slice(i, i + BATCH).map(text => ({ text })))
      progress(`${label} (writing on A)`, i + BATCH, n)
    }
    const target = await a.memory!.digest()
    const started = performance.now()
    b = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(a)], libp2p: { streamMuxers: [recordingMuxer(meshStreamMuxer(), d => { sent.b += d.byteLength })] } })
    const node = b
    await waitFor(async () => {
      const have = node.memory!.stats().chunks.federation
      progress(`${label} (B pulling)`, have, n)
      return have >= n && (await node.memory!.digest()).digest === target.digest
    }, { timeout: 600_000, interval: 20 })
    ms = performance.now() - started
    stats = node.libp2p.services.memorySync!.getStats()
    wire = sent.a
    await b.stop()
    b = undefined

    // as deployed: the fresh node is a process of its own, which A dials once it is up;
    // one pull varies by a fifth from run to run on a shared machine: the median of a few
    for (let round = 0; round < FLOOR_ROUNDS; round++) {
      const fresh = await peerProcess(psk)
      try {
        const address = (await fresh.status()).addresses.find(addr => addr.includes('/tcp/')) as string
        const dialed = performance.now()
        const cpuFresh = processCpuMs(fresh.child.pid)
        const cpuHere = process.cpuUsage()
        await a.libp2p.dial(multiaddr(address))
        await waitFor(async () => {
          const memory = (await fresh.status()).memory
          progress(`${label} (node process ${round + 1} of ${FLOOR_ROUNDS} pulling)`, memory?.chunks.federation ?? 0, n)
          return memory != null && memory.chunks.federation >= n && memory.backlog.writes === 0
        }, { timeout: 600_000, interval: 50 })
        processRounds.push(performance.now() - dialed)
        const here = process.cpuUsage(cpuHere)
        processCpu.push({ fresh: (processCpuMs(fresh.child.pid) ?? NaN) - (cpuFresh ?? NaN), sender: (here.user + here.system) / 1000 })
        await a.libp2p.hangUp(multiaddr(address))
      } finally {
        await fresh.stop()
      }
    }
    processMs = median(processRounds)
  } finally {
    await b?.stop()
    await a.stop()
  }
  const orbit = await orbitdbReplication(texts, { onProgress: have => { progress(`${label} (OrbitDB)`, have, n) } })
  progressDone(label, 'done')
  table(`Replication: a fresh node joins one that holds ${n.toLocaleString('en-US')} chunks over loopback TCP, both in one process and as two processes, and OrbitDB 4 with the same texts (both peers in one process)`,
    ['figure', 'Overmind anti-entropy', 'OrbitDB (helia)'],
    [
      ['time to identical state, both nodes in one process', `${fmt(ms)} ms`, `${fmt(orbit.replicateMs)} ms`],
      ['entries per second, both nodes in one process', fmt(rate(n, ms)), fmt(orbit.perSecond)],
      ['Overmind over OrbitDB (both in one process)', `${(rate(n, ms) / orbit.perSecond).toFixed(1)}×`, ''],
      [`time to identical state, the fresh node a process of its own (median of ${FLOOR_ROUNDS})`, `${fmt(processMs)} ms`, ''],
      ['entries per second, the fresh node a process of its own (goal ≥ 5,000)', fmt(rate(n, processMs)), ''],
      ['  each fresh node process (entries/s)', processRounds.map(ms => fmt(rate(n, ms))).join(' / '), ''],
      ['  CPU-ms of each round: the fresh node / the sender (2 cores)', processCpu.map(c => `${fmt(c.fresh)} / ${fmt(c.sender)}`).join(', '), ''],
      ['sync exchanges / pages', `${stats.exchanges} / ${stats.pages}`, ''],
      ['entry bytes received', `${fmt(stats.bytes / 1024)} KiB`, ''],
      ['bytes on the wire, A → B in one process (muxed, before encryption)', `${fmt(wire / 1024)} KiB`, ''],
      ['wire overhead over entry bytes', pct(wire - stats.bytes, Math.max(1, stats.bytes)), '']
    ])
  chart('Replication, entries per second', [['Overmind, one process', rate(n, ms)], ['Overmind, two processes', rate(n, processMs)], ['OrbitDB, one process', orbit.perSecond]], 'entries/s')
}

// ---------------------------------------------------------------- search

interface Case { name: string, query: (text: string) => SearchQuery, pass: (i: number) => boolean }

const CASES: Case[] = [
  { name: 'unfiltered', query: text => ({ text, k: 10 }), pass: () => true },
  { name: 'tag (1 in 300)', query: text => ({ text, k: 10, tags: ['topic-7'] }), pass: i => i % TOPICS === 7 },
  { name: 'zone (1 in 2)', query: text => ({ text, k: 10, zones: ['shared'] }), pass: i => i % 2 === 1 },
  { name: 'agent (1 in 10)', query: text => ({ text, k: 10, agents: ['agent-3'] }), pass: i => i % AGENTS === 3 }
]

/** Brute force: the 10 nearest by cosine over the vectors of the passing chunks, in a plain loop */
function nearest (matrix: Float32Array, dimensions: number, n: number, query: Float32Array, pass: (i: number) => boolean): number[] {
  const best: Array<{ i: number, s: number }> = []
  for (let i = 0; i < n; i++) {
    if (!pass(i)) continue
    let s = 0
    for (let d = 0, base = i * dimensions; d < dimensions; d++) s += query[d] * matrix[base + d]
    if (best.length < 10 || s > best[9].s) {
      best.push({ i, s })
      best.sort((x, y) => y.s - x.s)
      best.length = Math.min(best.length, 10)
    }
  }
  return best.map(b => b.i)
}

async function timed (store: MemoryStore, queries: SearchQuery[]): Promise<number[]> {
  const times: number[] = []
  for (const query of queries) {
    const t = performance.now()
    await store.search(query)
    times.push(performance.now() - t)
  }
  return times.sort((a, b) => a - b)
}

async function benchSearch (sizes: number[]): Promise<void> {
  const rows: string[][] = []
  const phases: string[][] = []
  const bars: Array<[string, number]> = []
  const embedder = new HashingEmbedder()
  for (const n of sizes) {
    const label = `search ${n.toLocaleString('en-US')}`
    const store = await openStore()
    const r = seededRandom(7)
    const timedTexts = Array.from({ length: TIMED_QUERIES }, () => {
      const words = chunkText(Math.floor(r() * n)).split(' ').slice(0, 14)
      return Array.from({ length: 4 }, () => words[Math.floor(r() * words.length)]).join(' ')
    })
    // recall and the exact scans take the first QUERIES (each needs a brute-force pass)
    const texts = timedTexts.slice(0, QUERIES)
    const queries = texts.map(text => ({ text, k: 10 }))

    // while the last fifth is imported, and right after, before the graph has caught up
    const tail = Math.floor(n * 0.8)
    await putAll(store, inputs(0, tail), `${label} (writing)`)
    let during: number[] = []
    const importing = putAll(store, inputs(tail, n - tail), `${label} (writing, searching)`)
    let importDone = false
    void importing.finally(() => { importDone = true })
    while (!importDone) during.push(...await timed(store, queries.slice(0, 10)))
    await importing
    during = during.sort((a, b) => a - b)
    const backlog = store.stats().backlog.graph
    const after = await timed(store, queries)
    await store.flushIndex()
    for (const query of queries.slice(0, 5)) await store.search(query)

    // every case is timed before the brute-force matrix is built, so its garbage is not collected during them
    const times = new Map<string, number[]>()
    for (const c of CASES) times.set(c.name, await timed(store, timedTexts.map(c.query)))
    const matrix = new Float32Array(n * embedder.dimensions)
    for (let i = 0; i < n; i++) matrix.set(embedder.embedOne(chunkText(i)), i * embedder.dimensions)
    const ordinalText = new Map<string, number>()
    for (let i = 0; i < n; i++) ordinalText.set(chunkText(i), i)
    for (const c of CASES) {
      let overlap = 0
      for (const text of texts) {
        const vector = embedder.embedOne(text)
        const truth = new Set(nearest(matrix, embedder.dimensions, n, vector, c.pass))
        const found = await store.search({ ...c.query(text), vectorOnly: true })
        overlap += found.filter(f => truth.has(ordinalText.get(f.text) ?? -1)).length / Math.max(1, truth.size)
      }
      const caseTimes = times.get(c.name) as number[]
      rows.push([n.toLocaleString('en-US'), c.name, fmt(percentile(caseTimes, 50)), fmt(percentile(caseTimes, 99)), (overlap / texts.length).toFixed(3)])
      if (c.name === 'unfiltered') bars.push([`${n.toLocaleString('en-US')} p50`, percentile(caseTimes, 50)], [`${n.toLocaleString('en-US')} p99`, percentile(caseTimes, 99)])
    }

    // the store's exact scan against a plain loop over the same vectors
    const exact = await timed(store, texts.map(text => ({ text, k: 10, exact: true, vectorOnly: true })))
    const plain: number[] = []
    for (const text of texts) {
      const t = performance.now()
      nearest(matrix, embedder.dimensions, n, embedder.embedOne(text), () => true)
      plain.push(performance.now() - t)
    }
    plain.sort((a, b) => a - b)
    phases.push([n.toLocaleString('en-US'), fmt(percentile(during, 50)), fmt(percentile(during, 99)), fmt(percentile(after, 50)), fmt(percentile(after, 99)), backlog.toLocaleString('en-US'),
      fmt(percentile(exact, 50)), fmt(percentile(plain, 50)), `${(percentile(exact, 50) / percentile(plain, 50)).toFixed(2)}×`])
    await store.close()
    progressDone(label, 'done')
  }
  table(`Search: ${TIMED_QUERIES.toLocaleString('en-US')} queries of 4 words timed per case, k = 10, hybrid ranking (vectors + BM25), graph caught up; recall@10 of the graph's vector search against a brute-force scan of the passing chunks, over the first ${QUERIES} (goal at 100,000: p50 ≤ 2 ms, p99 ≤ 10 ms, recall ≥ 0.95)`,
    ['chunks', 'filter', 'p50 ms', 'p99 ms', 'vector recall@10'], rows)
  table('Search while the last fifth is imported, right after (the graph behind), and the exact scan against a plain loop',
    ['chunks', 'importing p50', 'importing p99', 'just after p50', 'just after p99', 'graph backlog then', 'exact scan p50', 'plain loop p50', 'exact / plain'], phases)
  chart('Search latency, unfiltered (ms)', bars, 'ms')
}

try {
  if (parts.has('ingest')) await benchIngest(INGEST)
  if (parts.has('replicate')) await benchReplicate(REPLICATE)
  if (parts.has('search')) await benchSearch(SEARCH_SIZES)
} finally {
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
}
process.exit(0)
