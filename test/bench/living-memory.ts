/**
 * What living memory costs. Prints tables and charts; asserts nothing.
 *
 * - uses: N searches by several agents (100 questions, some asked much more
 *   often than others), their reads written as use events
 *   every interval; the bytes those events take on the wire (the signed
 *   entries a peer is sent) and on disk (the store's folder), per 1,000
 *   searches, against the floor of writing one use event per read (each
 *   search hit its own event), signed and measured in the same run
 * - spread: search p50/p99 with activation spread 1 and 2 hops along links
 *   against the same searches without spread
 *
 *   node living-memory.js [--quick] [--chunks N] [--searches N] [--agents N] [--intervals N]
 */
import { readdir, stat, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EntryKind, Event, EventKind, SignedEntry, Zone } from '@overmind/protocols'
import { MemoryStore, signEvent } from '@overmind/memory'
import { random as seededRandom } from '@overmind/sim'
import { chart, fmt, percentile, table } from './report.js'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    chunks: { type: 'string' },
    searches: { type: 'string' },
    agents: { type: 'string' },
    intervals: { type: 'string' }
  }
})
const quick = args.quick === true
const CHUNKS = Number(args.chunks ?? (quick ? 1_000 : 10_000))
const SEARCHES = Number(args.searches ?? (quick ? 300 : 1_000))
const AGENTS = Number(args.agents ?? 10)
/** Flushes of counted reads during the searches: one per memory.useInterval (10 min) */
const INTERVALS = Number(args.intervals ?? 10)
const K = 10
const TIMED = quick ? 100 : 500

const WORDS = 'disk cache deploy vacuum index replica backup restore latency queue worker build image layer network route proxy certificate token rotate schedule night friday memory leak heap thread lock table timeout retry budget quota alert page metric log trace span shard compaction snapshot'.split(' ')

const next = seededRandom(42)
const sentence = (n: number): string => Array.from({ length: n }, () => WORDS[Math.floor(next() * WORDS.length)]).join(' ')

async function folderBytes (path: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name)
    total += entry.isDirectory() ? await folderBytes(full) : (await stat(full)).size
  }
  return total
}

/** Bytes of the use events a store would send a peer */
async function useEventBytes (store: MemoryStore): Promise<{ events: number, bytes: number }> {
  let events = 0
  let bytes = 0
  for await (const entry of store.missing([])) {
    const signed = SignedEntry.decode(entry)
    if (signed.kind === EntryKind.EVENT && Event.decode(signed.body).kind === EventKind.USE) {
      events++
      bytes += entry.byteLength
    }
  }
  return { events, bytes }
}

async function main (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'overmind-living-'))
  const privateKey = await generateKeyPair('Ed25519')
  const peerId = peerIdFromPrivateKey(privateKey)
  try {
    const path = join(dir, 'memory')
    let store = await MemoryStore.open({ path, privateKey, peerId, useInterval: 0 })
    const ids: string[] = []
    for (let i = 0; i < CHUNKS; i += 500) {
      const batch = await store.putMany(Array.from({ length: Math.min(500, CHUNKS - i) }, () => ({ text: sentence(12) })))
      ids.push(...batch.map(c => c.id))
    }
    // one chunk in five links to the next, at weights from 0.2 to 1
    for (let i = 0; i + 1 < ids.length; i += 5) await store.link(ids[i], ids[i + 1], 'next', { weight: 0.2 + 0.8 * next() })
    await store.flushIndex()
    await store.close()
    store = await MemoryStore.open({ path, privateKey, peerId, useInterval: 0 })
    const diskBefore = await folderBytes(path)

    // ---- uses
    // agents ask about some things much more often than others: 100 questions, skewed
    const pool = Array.from({ length: 100 }, () => sentence(4))
    const queries = Array.from({ length: SEARCHES }, () => pool[Math.floor(next() ** 2 * pool.length)])
    let reads = 0
    for (let i = 0; i < SEARCHES; i++) {
      reads += (await store.search({ text: queries[i], k: K, agent: `agent-${i % AGENTS}` })).length
      if ((i + 1) % Math.ceil(SEARCHES / INTERVALS) === 0) await store.flushUses()
    }
    await store.flushUses()
    const written = await useEventBytes(store)
    await store.close()
    const diskAfter = await folderBytes(path)
    // the floor: one use event per read, each naming its one chunk
    const one = await signEvent({ author: peerId.toMultihash().bytes, agent: 'agent-0', zone: Zone.FEDERATION, kind: EventKind.USE, targets: [ids[0]], success: false, relation: '', hlcWallTime: BigInt(Date.now()), hlcLogical: 0, seq: 123_456n, uses: 1, weight: 0, score: 0, novelty: 0, topic: '' }, privateKey)
    const perRead = one.bytes.byteLength
    const per1000 = (n: number): number => n / SEARCHES * 1000
    const diskPerWireByte = (diskAfter - diskBefore) / Math.max(1, written.bytes)
    table(`use events: ${fmt(SEARCHES)} searches (k ${K}) by ${AGENTS} agents over ${CHUNKS.toLocaleString('en-US')} chunks, written over ${INTERVALS} intervals; ${reads.toLocaleString('en-US')} reads`, ['per 1,000 searches', 'events', 'wire KiB', 'disk KiB'], [
      ['batched use events (this node)', fmt(per1000(written.events)), fmt(per1000(written.bytes) / 1024), fmt(per1000(diskAfter - diskBefore) / 1024)],
      ['floor: one event per read', fmt(per1000(reads)), fmt(per1000(reads * perRead) / 1024), fmt(per1000(reads * perRead * diskPerWireByte) / 1024)]
    ])
    process.stdout.write(`wire bytes: batched / one per read = ${(written.bytes / (reads * perRead)).toFixed(3)}× (${fmt(reads * perRead / Math.max(1, written.bytes))}× less); disk per wire byte ${diskPerWireByte.toFixed(2)} (LevelDB, uncompacted)\n`)
    chart('wire KiB per 1,000 searches', [['batched', per1000(written.bytes) / 1024], ['one per read', per1000(reads * perRead) / 1024]], 'KiB')

    // ---- spread
    store = await MemoryStore.open({ path, privateKey, peerId, useInterval: 0 })
    const timed = queries.slice(0, TIMED)
    const rows: string[][] = []
    const p50s: Array<[string, number]> = []
    let base = 0
    for (const spread of [0, 1, 2]) {
      // one round to warm, one timed
      for (const text of timed.slice(0, 20)) await store.search({ text, k: K, spread })
      const ms: number[] = []
      let throughLinks = 0
      for (const text of timed) {
        const t = performance.now()
        const results = await store.search({ text, k: K, spread })
        ms.push(performance.now() - t)
        throughLinks += results.filter(r => r.via != null).length
      }
      ms.sort((a, b) => a - b)
      const p50 = percentile(ms, 50)
      if (spread === 0) base = p50
      rows.push([spread === 0 ? 'no spread (floor)' : `spread ${spread}`, fmt(p50), fmt(percentile(ms, 99)), `${(p50 / base).toFixed(2)}×`, fmt(throughLinks / timed.length)])
      p50s.push([`spread ${spread}`, p50])
    }
    await store.close()
    table(`search with activation spread, ${TIMED} queries, k ${K}, ${CHUNKS.toLocaleString('en-US')} chunks, one in five linked`, ['search', 'p50 ms', 'p99 ms', 'p50 / floor', 'results via links'], rows)
    chart('search p50', p50s, 'ms')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

main().then(() => { process.exit(0) }, (err) => {
  process.stderr.write(`${err.stack ?? err}\n`)
  process.exit(1)
})
