/**
 * Gossip delivery benchmark. Prints tables and a chart; asserts nothing.
 *
 * N nodes in one process (production timers, hashing embedder) form a mesh.
 * Each round, a node picked by a seeded PRNG writes a chunk with
 * `memory.put()`: the knowledge service publishes it, and every other node
 * checks it in its topic validator and stores it. Then the same node
 * publishes the same bytes on a bare gossipsub topic with no validator, on
 * the same gossipsub instances. Latency is measured per (message, receiver)
 * pair on one clock: to the receiver's store 'entry' event (remote origin:
 * checked, indexed and searchable there, its write queued) for knowledge, to
 * its pubsub 'message' event for bare; the knowledge message's own 'message'
 * event splits its gossip leg off, and the store's 'written' event shows
 * when the receiver's disk has it.
 *
 *   node gossip.js [--quick] [--nodes N] [--messages M]
 */
import { availableParallelism, loadavg } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { defaultConfig } from '@overmind/config'
import { random as seededRandom } from '@overmind/sim'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import { chart, cpuMs, fmt, percentile, table } from './report.js'
import type { OvermindConfig } from '@overmind/config'
import type { OvermindNode } from '@overmind/node'

const { values: args } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, nodes: { type: 'string' }, messages: { type: 'string' } }
})
const quick = args.quick === true
const NODES = Number(args.nodes ?? (quick ? 8 : 30))
// the p99 of 200 rounds (5,800 pairs at 30 nodes) is set by its two slowest rounds: one
// stall of the shared event loop decides it for whichever path was in flight. 1,000 rounds
// put ten rounds behind it
const MESSAGES = Number(args.messages ?? (quick ? 40 : 1_000))
const GAP = 50
const DELIVERY_TIMEOUT = 10_000
const IDLE_WINDOW = 5_000
const RUN_DEADLINE = performance.now() + 10 * 60_000
const BARE_TOPIC = '/bench/bare/1'

function progress (label: string, done: number, total: number): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${label}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}   `)
}
function progressDone (label: string, message: string): void {
  process.stderr.write(`${process.stderr.isTTY ? '\r' : ''}${label}: ${message}${' '.repeat(20)}\n`)
}

/** A path's latency per (message, receiver) pair (Infinity: not delivered in time), CPU and wall time of its phases */
interface PathFigures { latencies: number[], cpu: number, wall: number }
const bare: PathFigures = { latencies: [], cpu: 0, wall: 0 }
const knowledge: PathFigures = { latencies: [], cpu: 0, wall: 0 }
/** Knowledge latency measured from the put() call instead of the publish */
const fromPut: number[] = []
/** Knowledge latency to the receiver's pubsub 'message' event: the gossip leg, before the store's write queue */
const gossipLeg: number[] = []
/** Knowledge latency to the receiver's write of the entry (LevelDB, not synced: it came from a peer) */
const writtenLeg: number[] = []

// ---------------------------------------------------------------- the mesh

// production timers (a node makes its first DHT self-query after a second
// whatever the interval, then one every querySelfInterval), as mesh-worker.ts
const config = (c: OvermindConfig): void => {
  const defaults = defaultConfig()
  c.heartbeat.interval = defaults.heartbeat.interval
  c.discovery.rejoinInterval = defaults.discovery.rejoinInterval
  c.memory.syncInterval = defaults.memory.syncInterval
  c.dht.querySelfInterval = defaults.dht.querySelfInterval
}
const label = `gossip ${NODES} nodes`
const psk = meshKey()
let started = performance.now()
const nodes: OvermindNode[] = [await startTestNode({ psk, memory: true, config })]
nodes.push(...await Promise.all(Array.from({ length: NODES - 1 }, async () => startTestNode({ psk, memory: true, config, bootstrap: [tcpAddress(nodes[0])] }))))
const startMs = performance.now() - started
progressDone(label, `started in ${fmt(startMs)} ms`)

// if anything below hangs, print what there is (nothing before the rounds start) and leave
setTimeout(() => {
  try { report('the run deadline passed') } catch {}
  process.exit(1)
}, RUN_DEADLINE - performance.now() + 60_000).unref()

const pubsubs = nodes.map(n => n.libp2p.services.pubsub as typeof n.libp2p.services.pubsub & { getMeshPeers(topic: string): string[] })
const KNOWLEDGE_TOPIC = nodes[0].libp2p.services.knowledge!.topic
for (const p of pubsubs) p.subscribe(BARE_TOPIC)

/** The data of the last knowledge message any node received: the bytes gossipsub carried (a round
 *  whose message reached no one reuses the previous round's, of the same size within a few bytes) */
let knowledgeBytes: Uint8Array | undefined
const carried = (): Uint8Array | undefined => knowledgeBytes
/** Delivery times by entry id (knowledge) or round (bare), by receiver index */
const publishedAt = new Map<string, number>()
const stored = new Map<string, Map<number, number>>()
const written = new Map<string, Map<number, number>>()
const received = new Map<number, Map<number, number>>()
const gossiped = new Map<number, Map<number, number>>()
/** The round whose knowledge message is out, and its text, which its message carries verbatim */
let inFlight: { round: number, text: Buffer } | undefined
function arrive<K> (map: Map<K, Map<number, number>>, key: K, node: number, at: number): void {
  if (map.get(key)?.has(node) !== true) map.set(key, (map.get(key) ?? new Map<number, number>()).set(node, at))
}
nodes.forEach((node, i) => {
  node.memory!.addEventListener('entry', evt => {
    const now = performance.now()
    const { entry, origin } = evt.detail
    if (origin === 'local') publishedAt.set(entry.id, now)
    else arrive(stored, entry.id, i, now)
  })
  node.memory!.addEventListener('written', evt => {
    const now = performance.now()
    for (const id of evt.detail.ids) arrive(written, id, i, now)
  })
  pubsubs[i].addEventListener('message', evt => {
    const now = performance.now()
    const { topic, data } = evt.detail
    if (topic === KNOWLEDGE_TOPIC) {
      knowledgeBytes = data
      if (inFlight != null && Buffer.from(data.buffer, data.byteOffset, data.byteLength).includes(inFlight.text)) arrive(gossiped, inFlight.round, i, now)
    } else if (topic === BARE_TOPIC && data.byteLength >= 4) {
      arrive(received, new DataView(data.buffer, data.byteOffset).getUint32(0), i, now)
    }
  })
})

const want = Math.min(NODES - 1, 4)
const meshSize = (topic: string): number => Math.min(...pubsubs.map(p => p.getMeshPeers(topic).length))
const subscribers = (): number => Math.min(...pubsubs.map(p => p.getSubscribers(KNOWLEDGE_TOPIC).length))
let formationMs: number | undefined
try {
  await waitFor(() => meshSize(KNOWLEDGE_TOPIC) >= want && meshSize(BARE_TOPIC) >= want, { timeout: 120_000, interval: 100 })
  formationMs = performance.now() - started
  await waitFor(() => subscribers() >= NODES - 1, { timeout: 15_000, interval: 100 }).catch(() => {})
} catch {}
await delay(3_000)
progressDone(label, formationMs == null ? `mesh not formed (smallest mesh ${meshSize(KNOWLEDGE_TOPIC)})` : `mesh formed in ${fmt(formationMs)} ms`)

let cpu = cpuMs()
started = performance.now()
await delay(IDLE_WINDOW)
const idleCores = (cpuMs() - cpu) / (performance.now() - started)
const syncStored = (): number => nodes.reduce((sum, n) => sum + n.libp2p.services.memorySync!.getStats().stored, 0)
const syncBefore = syncStored()

// ---------------------------------------------------------------- rounds

/** Waits until `arrivals` holds every receiver or the delivery timeout passes; then the CPU and wall time go to `path` */
async function settle (path: PathFigures, arrivals: () => Map<number, number> | undefined, cpuFrom: number, from: number): Promise<Map<number, number>> {
  await waitFor(() => (arrivals()?.size ?? 0) >= NODES - 1, { timeout: DELIVERY_TIMEOUT, interval: 5 }).catch(() => {})
  path.cpu += cpuMs() - cpuFrom
  path.wall += performance.now() - from
  return arrivals() ?? new Map()
}

function record (latencies: number[], arrivals: Map<number, number>, publisher: number, from: number): void {
  for (let i = 0; i < NODES; i++) if (i !== publisher) latencies.push((arrivals.get(i) ?? Infinity) - from)
}

const loadBefore = loadavg()[0]
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
loopDelay.enable()
// the same publishers every run
const random = seededRandom(42)
let bytes = 0
let errors = 0
let rounds = 0
for (; rounds < MESSAGES && performance.now() < RUN_DEADLINE; rounds++) {
  const p = Math.floor(random() * NODES)
  const store = nodes[p].memory!

  // knowledge: the publish moment is the publisher's local 'entry' event
  // (the knowledge service publishes from its own listener on that event)
  const text = `gossip benchmark note ${rounds} from node ${p}: ${random().toString(36).slice(2)}`
  inFlight = { round: rounds, text: Buffer.from(text) }
  cpu = cpuMs()
  const putAt = performance.now()
  let id: string
  try {
    id = (await store.put({ text })).id
  } catch (err: any) {
    errors++
    process.stderr.write(`\nput failed: ${err.message}\n`)
    continue
  }
  const arrivals = await settle(knowledge, () => stored.get(id), cpu, putAt)
  record(knowledge.latencies, arrivals, p, publishedAt.get(id) ?? putAt)
  record(fromPut, arrivals, p, putAt)
  record(gossipLeg, gossiped.get(rounds) ?? new Map(), p, publishedAt.get(id) ?? putAt)
  await waitFor(() => (written.get(id)?.size ?? 0) >= NODES, { timeout: DELIVERY_TIMEOUT, interval: 5 }).catch(() => {})
  const disk = new Map(written.get(id) ?? [])
  disk.delete(p)
  record(writtenLeg, disk, p, publishedAt.get(id) ?? putAt)
  inFlight = undefined
  await delay(GAP)

  // bare: the bytes the knowledge message carried, sent once that message
  // has settled so the two never compete for the event loop. The first four
  // bytes carry the round: gossipsub's message id is a hash of author and
  // data, so an unchanged copy from the same publisher would be a duplicate
  const data = carried()?.slice()
  if (data == null) continue
  new DataView(data.buffer, data.byteOffset).setUint32(0, rounds)
  bytes += data.byteLength
  cpu = cpuMs()
  const sentAt = performance.now()
  try {
    await pubsubs[p].publish(BARE_TOPIC, data)
  } catch (err: any) {
    errors++
    process.stderr.write(`\nbare publish failed: ${err.message}\n`)
  }
  record(bare.latencies, await settle(bare, () => received.get(rounds), cpu, sentAt), p, sentAt)
  await delay(GAP)
  progress(`${label} (rounds)`, rounds + 1, MESSAGES)
}
loopDelay.disable()
progressDone(label, `${rounds} rounds done`)

// ---------------------------------------------------------------- report

function report (note?: string): void {
  const ms = (v: number | undefined): string => v == null ? '-' : Number.isFinite(v) ? fmt(v) : `>${fmt(DELIVERY_TIMEOUT)}`
  const row = (name: string, latencies: number[], path?: PathFigures): string[] => {
    const sorted = [...latencies].sort((a, b) => a - b)
    const delivered = sorted.filter(Number.isFinite).length
    const perDelivery = (cpu?: number): string => delivered > 0 && cpu != null ? fmt(cpu / delivered) : '-'
    return [name, sorted.length.toLocaleString('en-US'), `${(delivered / Math.max(1, sorted.length) * 100).toFixed(2)}%`,
      ms(percentile(sorted, 50)), ms(percentile(sorted, 99)), ms(sorted[sorted.length - 1]),
      perDelivery(path?.cpu), perDelivery(path == null ? undefined : path.cpu - idleCores * path.wall)]
  }
  const p = (latencies: number[], q: number): number => percentile([...latencies].sort((a, b) => a - b), q)
  table(`Gossip delivery: ${NODES} nodes in one process, ${rounds} rounds of one knowledge chunk and its bare twin (avg ${fmt(bytes / Math.max(1, rounds))} bytes)${note != null ? ` — ${note}` : ''}`,
    ['path', 'pairs', 'in 10 s', 'p50 ms', 'p99 ms', 'max ms', 'CPU ms/delivery', 'net of idle'],
    [
      row('bare gossipsub (no validator)', bare.latencies, bare),
      row('knowledge, from publish', knowledge.latencies, knowledge),
      row('knowledge, from put() call', fromPut, knowledge),
      row('knowledge, to the message event', gossipLeg),
      row('knowledge, to written on disk', writtenLeg)
    ])
  const ratio = (q: number): string => {
    const [k, b] = [p(knowledge.latencies, q), p(bare.latencies, q)]
    return Number.isFinite(k) && Number.isFinite(b) ? `${(k / b).toFixed(2)}×` : `${ms(k)} ms / ${ms(b)} ms`
  }
  table('Knowledge over bare (goal ≤ 1.5×)', ['figure', 'value'], [
    ['p50 ratio', ratio(50)],
    ['p99 ratio', ratio(99)],
    ['start / mesh formed', `${fmt(startMs)} ms / ${formationMs == null ? 'not formed' : `${fmt(formationMs)} ms`}`],
    ['smallest mesh (knowledge / bare) / fewest subscribers', `${meshSize(KNOWLEDGE_TOPIC)} / ${meshSize(BARE_TOPIC)} / ${subscribers()} of ${NODES - 1}`],
    ['idle CPU of the process', `${idleCores.toFixed(2)} cores`],
    ['event-loop delay while publishing p50 / p99 / max', `${fmt(loopDelay.percentile(50) / 1e6)} / ${fmt(loopDelay.percentile(99) / 1e6)} / ${fmt(loopDelay.max / 1e6)} ms`],
    ['machine: cores / load average before / after', `${availableParallelism()} / ${loadBefore.toFixed(1)} / ${loadavg()[0].toFixed(1)}`],
    ['entries stored by anti-entropy during the run', String(syncStored() - syncBefore)],
    ['publish errors', String(errors)]
  ])
  const bar = (v: number): number => Math.min(v, DELIVERY_TIMEOUT)
  chart('Delivery latency (ms)', [
    ['bare p50', bar(p(bare.latencies, 50))], ['knowledge p50', bar(p(knowledge.latencies, 50))],
    ['bare p99', bar(p(bare.latencies, 99))], ['knowledge p99', bar(p(knowledge.latencies, 99))]
  ], 'ms')
}

report(rounds < MESSAGES ? 'stopped at the run deadline' : undefined)
await Promise.race([Promise.all(nodes.map(async n => n.stop())), delay(30_000)])
process.exit(0)
