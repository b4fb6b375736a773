/**
 * The floor of the simulator's scale benchmark: N bare js-libp2p nodes in
 * one process and one thread, nothing of Overmind in them. Each node has
 * the layers a mesh node has below its services (libp2p's in-memory
 * transport, the mesh's pre-shared key, noise, yamux, identify, gossipsub
 * with strict signing and duplicates dropped by signature before they are
 * verified again, as the node does) and dials `degree` random others. Once
 * every node has a gossipsub mesh, random nodes publish `rate` messages a
 * second of `size` bytes for `duration`, and each node publishes a beat of
 * BEAT_SIZE bytes once every `beatEvery` on a second topic, as heartbeats
 * of a large mesh come. Prints delivery and its latency, the CPU the
 * process used and its event-loop delay; asserts nothing. With --json, the
 * figures as JSON (what sim-scale reads).
 *
 *   node bare-mesh.js [--nodes N] [--duration D] [--degree K] [--rate R] [--size B] [--beat-every D] [--json]
 *     (defaults: 200 nodes, 60s, 8, 2/s, 1400 bytes, 60s)
 */
import { randomBytes } from 'node:crypto'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { memory } from '@libp2p/memory'
import { noise } from '@libp2p/noise'
import { generateKey, preSharedKey } from '@libp2p/pnet'
import { yamux } from '@libp2p/yamux'
import { parseDuration } from '@overmind/config'
import { createLibp2p } from 'libp2p'
import { fmt, percentile, table } from './report.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p } from '@libp2p/interface'

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '200' },
    duration: { type: 'string', default: '60s' },
    degree: { type: 'string', default: '8' },
    rate: { type: 'string', default: '2' },
    size: { type: 'string', default: '1400' },
    'beat-every': { type: 'string', default: '60s' },
    json: { type: 'boolean', default: false }
  }
})
const N = Number(args.nodes)
const DURATION = parseDuration(args.duration)
const DEGREE = Math.min(Number(args.degree), N - 1)
const RATE = Number(args.rate)
const SIZE = Math.max(16, Number(args.size))
const BEAT_EVERY = parseDuration(args['beat-every'])
const BEAT_SIZE = 1500
const TOPIC = 'bare/knowledge'
const BEAT_TOPIC = 'bare/beats'
/** The least mesh peers (gossipsub's D_lo) every node has before publishing starts (all others, in a smaller mesh) */
const MESH_MIN = 4
const MESH_TIMEOUT = 60_000
const DIALS_AT_ONCE = 8
/** How long deliveries may still come once publishing ends */
const STRAGGLERS = 30_000

export interface BareMeshReport {
  nodes: number
  startMs: number
  dialMs: number
  meshMs: number | null
  messages: number
  ratio: number
  p50: number | null
  p99: number | null
  beatsRatio: number
  beatsP99: number | null
  cpuCores: number
  eventLoopDelayP99Ms: number
  rssMbPerNode: number
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const note = (line: string): void => { if (!args.json) process.stderr.write(`${line}\n`) }
/** A message: its number (or its sender's index) and when it was sent, then filler */
function stamped (size: number, n: number): Uint8Array {
  const data = randomBytes(size)
  const view = new DataView(data.buffer, data.byteOffset, 12)
  view.setUint32(0, n)
  view.setFloat64(4, performance.now())
  return data
}

const psk = new Uint8Array(95)
generateKey(psk)
const started = performance.now()
/** gossipsub's class has the mesh of a topic; its interface does not say so */
type Pubsub = GossipSub & { getMeshPeers(topic: string): string[] }
const nodes: Array<Libp2p<{ identify: unknown, pubsub: Pubsub }>> = []
for (let i = 0; i < N; i++) {
  nodes.push(await createLibp2p<{ identify: unknown, pubsub: Pubsub }>({
    addresses: { listen: [`/memory/bare-${process.pid}-${i}`] },
    transports: [memory()],
    connectionProtector: preSharedKey({ psk }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        // as the node: a copy already seen is dropped before its signature is checked again
        fastMsgIdFn: msg => Buffer.from(msg.signature ?? msg.seqno ?? new Uint8Array(0)).toString('base64')
      }) as (components: any) => Pubsub
    }
  }))
}
const startMs = performance.now() - started

const latencies: number[] = []
const beatLatencies: number[] = []
/** First deliveries only: a copy that comes after gossipsub's seen-cache forgot the message is not a second one */
const got = new Set<number>()
/** Who published each message: a copy that comes back to its publisher is not a delivery */
const publisherOf: number[] = []
const heard = new Uint8Array(N * N)
let beatsSent = 0
let collecting = false
nodes.forEach((node, receiver) => {
  node.services.pubsub.addEventListener('message', evt => {
    const { topic, data } = evt.detail
    if (!collecting || data.byteLength < 12) return
    const view = new DataView(data.buffer, data.byteOffset, 12)
    const n = view.getUint32(0)
    const latency = performance.now() - view.getFloat64(4)
    if (topic === TOPIC) {
      if (publisherOf[n] === receiver || got.has(n * N + receiver)) return
      got.add(n * N + receiver)
      latencies.push(latency)
    } else if (topic === BEAT_TOPIC && n !== receiver && heard[receiver * N + n] === 0) {
      heard[receiver * N + n] = 1
      beatLatencies.push(latency)
    }
  })
  node.services.pubsub.subscribe(TOPIC)
  node.services.pubsub.subscribe(BEAT_TOPIC)
})

const dialing = performance.now()
const dials: Array<[number, number]> = []
for (let i = 0; i < N; i++) {
  const targets = new Set<number>()
  while (targets.size < DEGREE) {
    const j = Math.floor(Math.random() * N)
    if (j !== i) targets.add(j)
  }
  for (const j of targets) dials.push([i, j])
}
let next = 0
await Promise.all(Array.from({ length: DIALS_AT_ONCE }, async () => {
  while (next < dials.length) {
    const [i, j] = dials[next++]
    await nodes[i].dial(nodes[j].getMultiaddrs()[0], { signal: AbortSignal.timeout(20_000) }).catch(() => {})
  }
}))
const dialMs = performance.now() - dialing
note(`bare-mesh: ${N} nodes started in ${fmt(startMs)} ms, ${dials.length} dials in ${fmt(dialMs)} ms`)

const meshing = performance.now()
let meshMs: number | null = null
while (performance.now() - meshing < MESH_TIMEOUT) {
  if (nodes.every(node => [TOPIC, BEAT_TOPIC].every(topic => node.services.pubsub.getMeshPeers(topic).length >= Math.min(MESH_MIN, N - 1)))) {
    meshMs = performance.now() - meshing
    break
  }
  await sleep(250)
}

// publishing: on schedule, catching up when the event loop was late
const delay = monitorEventLoopDelay({ resolution: 10 })
delay.enable()
collecting = true
const cpu = process.cpuUsage()
const window = performance.now()
const messages = Math.round(DURATION / 1000 * RATE)
let sent = 0
const publish = (): void => {
  const from = Math.floor(Math.random() * N)
  publisherOf[sent] = from
  nodes[from].services.pubsub.publish(TOPIC, stamped(SIZE, sent++)).catch(() => {})
}
const publisher = setInterval(() => {
  const due = Math.min(messages, Math.floor((performance.now() - window) / 1000 * RATE) + 1)
  while (sent < due) publish()
}, Math.max(5, 500 / RATE))
const beaters = nodes.map((node, i) => {
  const beat = (): void => {
    beatsSent++
    node.services.pubsub.publish(BEAT_TOPIC, stamped(BEAT_SIZE, i)).catch(() => {})
  }
  // each beats once in the window, at a random moment of the first interval
  return setTimeout(beat, Math.random() * Math.min(BEAT_EVERY, DURATION))
})
await sleep(DURATION)
clearInterval(publisher)
while (sent < messages) publish()
const expected = messages * (N - 1)
const settled = performance.now()
while (performance.now() - settled < STRAGGLERS && latencies.length < expected) await sleep(250)
const usage = process.cpuUsage(cpu)
const cpuCores = (usage.user + usage.system) / 1000 / (performance.now() - window)
delay.disable()
for (const timer of beaters) clearTimeout(timer)
const rssMbPerNode = process.memoryUsage().rss / 1024 / 1024 / N
collecting = false

latencies.sort((a, b) => a - b)
beatLatencies.sort((a, b) => a - b)
const report: BareMeshReport = {
  nodes: N,
  startMs,
  dialMs,
  meshMs,
  messages,
  ratio: latencies.length / Math.max(1, expected),
  p50: latencies.length > 0 ? percentile(latencies, 50) : null,
  p99: latencies.length > 0 ? percentile(latencies, 99) : null,
  beatsRatio: beatLatencies.length / Math.max(1, beatsSent * (N - 1)),
  beatsP99: beatLatencies.length > 0 ? percentile(beatLatencies, 99) : null,
  cpuCores,
  // the histogram counts its own 10 ms resolution
  eventLoopDelayP99Ms: Math.max(0, delay.percentile(99) / 1e6 - 10),
  rssMbPerNode
}
await Promise.race([Promise.allSettled(nodes.map(async node => { await node.stop() })), sleep(10_000)])

if (args.json) {
  process.stdout.write(`${JSON.stringify(report)}\n`)
} else {
  const ms = (v: number | null): string => v == null ? '–' : fmt(v)
  table(`Bare js-libp2p mesh: ${N} nodes in one process and thread (in-memory transport, pre-shared key, noise, yamux, identify, gossipsub), ${DEGREE} dials each, ${RATE} messages/s of ${SIZE} bytes for ${args.duration}, and one ${BEAT_SIZE}-byte beat from each node`,
    ['nodes', 'mesh formed s', 'delivered', 'p50 ms', 'p99 ms', 'beats delivered', 'beats p99 ms', 'CPU cores', 'loop delay p99 ms', 'MB/node'],
    [[String(N), meshMs == null ? 'never' : fmt(meshMs / 1000), `${(report.ratio * 100).toFixed(2)}%`, ms(report.p50), ms(report.p99), `${(report.beatsRatio * 100).toFixed(2)}%`, ms(report.beatsP99), fmt(cpuCores), fmt(report.eventLoopDelayP99Ms), fmt(rssMbPerNode)]])
}
process.exit(0)
