import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { parseDuration } from '@overmind/config'
import { floorReport } from './floor.js'
import { isLinkFault } from './links.js'
import { runProcesses } from './processes.js'
import { schedule } from './schedule.js'
import { ShardHost, WorkerShard } from './shard.js'
import { TimelineRecorder, latencyHistogram, noResources } from './timeline.js'
import { linkReport } from './topology.js'
import { SimWorkload, percentile, workloadFigure } from './workload.js'
import type { RunsReport, SearchesReport, RemoteNode } from './workload.js'
import type { FloorReport } from './floor.js'
import type { Scenario } from './scenario.js'
import type { Shard, ShardInit } from './shard.js'
import type { AppliedFault, LatencyBucket, SimResources, TimelineSample } from './timeline.js'
import type { LinkReport, OpenConnection } from './topology.js'
import type { PrivateKey } from '@libp2p/interface'
import type { MessagePort } from 'node:worker_threads'

/** What a scenario did and how the mesh took it */
export interface SimReport {
  scenario: string
  seed: number
  mode: Scenario['mode']
  /** How the nodes reach each other: loopback TCP, or (in-process) libp2p's in-memory transport */
  transport: Scenario['transport']
  /** in-process: the worker threads the nodes were spread over (1: all in the simulator's own thread) */
  threads: number
  nodes: number
  topology: Scenario['topology']
  durationMs: number
  /** ms from the last node's start until every node's peer table listed every other as connected or alive (null: not within 60 s); the workload starts then */
  formationMs: number | null
  /** ms to start every node */
  startMs: number
  /** The digest of the workload and fault schedule: the same seed and scenario give the same one */
  schedule: { digest: string, writes: number, faults: number, runs: number, searches: number }
  writes: { done: number, failed: number, skipped: number }
  /**
   * Every write acknowledged, to every other node up at the end: the share
   * that holds it, and the ms from acknowledgement to stored on a peer
   */
  delivery: { expected: number, delivered: number, ratio: number, p50: number | null, p99: number | null, max: number | null }
  /** The latencies of every delivery (an entry stored on a peer, ms after its acknowledgement), counted in buckets */
  deliveryHistogram: LatencyBucket[]
  /** After each heal or restart: ms until every node up held every write acknowledged before it (null: not within `settle`) */
  convergence: Array<{ at: number, fault: string, ms: number | null }>
  /** The slowest of them */
  convergenceMax: number | null
  /** At the end: whether every node up has the same memory digest, and how many different ones there are */
  final: { converged: boolean, digests: number }
  /** Resident memory of the process per node, MB */
  memoryPerNodeMb: number
  /** Entries from peers the honest nodes rejected on the knowledge topic, by reason */
  rejected: Record<string, number>
  /** Forged entries hostile members published, and how many of them any honest node holds */
  hostile: { published: number, stored: number, rejected: number }
  /** Writes acknowledged in each memory zone, and how many times a private or shared one was found on another node (the zones that do not replicate must not) */
  zones: { federation: number, shared: number, private: number, leaked: number }
  /** At the end: each node's role, and the links of the mesh, direct or through a circuit relay */
  links: LinkReport
  /** Once a second while the workload runs: nodes up, faults, writes, deliveries, CPU, memory, event-loop delay */
  timeline: TimelineSample[]
  /** Each fault as applied, ms after the workload started */
  faultsApplied: AppliedFault[]
  /** CPU, memory and event-loop delay over the workload; in-process, per node is the process's divided by the nodes up */
  resources: SimResources
  /** Bare gossipsub delivery of the same texts on the same nodes, when `workload.writes.floor` asks for it */
  floor: FloorReport | null
  /** Runs of the scenario's agent, routed by the node they start from: how they ended, by cause, and how long those that succeeded took */
  runs: RunsReport
  /** Searches for the text of earlier writes: the share that found it */
  searches: SearchesReport
  expectations: Array<{ key: string, expected: string, actual: number | null, ok: boolean }>
  ok: boolean
}

export interface SimProgress {
  elapsed: number
  duration: number
  up: number
  nodes: number
  faults: number
  writes: number
  runs: number
}

export interface RunScenarioOptions {
  onProgress?(progress: SimProgress): void
  /** mode: processes and netns: the overmind CLI's bin.js, run with this Node to start each node (default: this process's script) */
  cli?: string
}

interface SimNode {
  index: number
  memoryPath: string
}

const POLL_MS = 250
/** Meshes from this size spread over one thread per core when `threads: auto` */
const AUTO_THREADS_FROM = 100
/** How long the mesh is given to form before the workload starts regardless */
const FORMATION_MS = 60_000
/** Nodes started one by one before the others start in batches */
const START_ONE_BY_ONE = 4
const START_BATCH = 8

/**
 * Runs a scenario in this process: real nodes (libp2p over loopback TCP,
 * LevelDB memory on disk) with the production protocols, a connection
 * gater for the topology and partitions, and the workload and faults of
 * the scenario's schedule; then measures delivery and convergence.
 */
export async function runScenario (scenario: Scenario, options: RunScenarioOptions = {}): Promise<SimReport> {
  const plan = schedule(scenario)
  const psk = new Uint8Array(95)
  generateKey(psk)
  const count = scenario.nodes.count
  const nodes: SimNode[] = []
  const byPeer = new Map<string, number>()
  let groups: number[] | undefined
  const { roles, linked, dialable } = plan.topology
  const reachable = (a: number, b: number): boolean => linked(a, b) && (groups == null || groups[a] === groups[b])
  const acked = new Map<string, { at: number, from: number }>()
  /** Writes in a zone that does not replicate, by the node that made them */
  const kept = new Map<string, number>()
  const started = performance.now()
  const now = (): number => performance.now() - started
  const workload = new SimWorkload(scenario, plan, { now, indexOf: peer => byPeer.get(peer) })

  const report: SimReport = {
    scenario: scenario.name,
    seed: scenario.seed,
    mode: scenario.mode,
    transport: scenario.transport,
    threads: 1,
    nodes: count,
    topology: scenario.topology,
    durationMs: scenario.duration,
    formationMs: null,
    startMs: 0,
    schedule: { digest: plan.digest, writes: plan.events.filter(e => e.kind === 'write').length, faults: plan.events.filter(e => e.kind === 'fault').length, runs: plan.events.filter(e => e.kind === 'run').length, searches: plan.events.filter(e => e.kind === 'search').length },
    writes: { done: 0, failed: 0, skipped: 0 },
    delivery: { expected: 0, delivered: 0, ratio: 0, p50: null, p99: null, max: null },
    deliveryHistogram: [],
    convergence: [],
    convergenceMax: null,
    final: { converged: false, digests: 0 },
    memoryPerNodeMb: 0,
    rejected: {},
    hostile: { published: 0, stored: 0, rejected: 0 },
    zones: { federation: 0, shared: 0, private: 0, leaked: 0 },
    floor: null,
    links: linkReport(roles, []),
    timeline: [],
    faultsApplied: [],
    resources: noResources(),
    ...workload.report(),
    expectations: [],
    ok: false
  }
  if (scenario.mode !== 'in-process') return judged(await runProcesses(scenario, plan, report, options), scenario)

  const threads = scenario.threads === 'auto' ? (count >= AUTO_THREADS_FROM ? availableParallelism() : 1) : Math.min(scenario.threads, count)
  report.threads = threads
  const shardOf = (index: number): number => index % threads
  /** Whether each node is up, and the addresses it listens on */
  const up: boolean[] = new Array(count).fill(false)
  const addresses: string[][] = new Array(count).fill([])
  const live = (): number[] => nodes.filter(sim => up[sim.index]).map(sim => sim.index)
  const floorSent = new Map<string, number>()

  /** Resolves with the ms until every node up holds every id, or null after `settle` */
  const converge = async (ids: string[], from: number): Promise<number | null> => {
    while (now() - from < scenario.settle) {
      if ((await Promise.all(shards.map(async shard => await shard.holdsAll(ids)))).every(Boolean)) return now() - from
      await sleep(POLL_MS)
    }
    return null
  }

  // every node's memory in one temp dir, which Ctrl-C removes too; then the signal does what it would have done
  const dir = await mkdtemp(join(tmpdir(), 'overmind-sim-'))
  const interrupted = (signal: NodeJS.Signals): void => {
    process.removeListener('SIGINT', interrupted)
    process.removeListener('SIGTERM', interrupted)
    rmSync(dir, { recursive: true, force: true })
    process.kill(process.pid, signal)
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  const shards: Shard[] = []
  try {
    const keys: PrivateKey[] = []
    for (let i = 0; i < count; i++) {
      const key = await generateKeyPair('Ed25519')
      keys.push(key)
      const sim: SimNode = { index: i, memoryPath: join(dir, `node-${i}`) }
      await mkdir(sim.memoryPath)
      nodes.push(sim)
      byPeer.set(key.publicKey.toString(), i)
    }
    const init = (shard: number): ShardInit => ({
      shard,
      shards: threads,
      scenario,
      psk,
      keys: keys.map((key, index) => shardOf(index) === shard ? privateKeyToProtobuf(key) : null),
      peers: keys.map(key => key.publicKey.toString()),
      memoryPaths: nodes.map(sim => sim.memoryPath),
      origin: performance.timeOrigin + started,
      pid: process.pid
    })
    if (threads === 1) {
      shards.push(new ShardHost(init(0)))
    } else {
      // a port between every two threads, for the in-memory transport's dials
      const ports = Array.from({ length: threads }, () => new Map<number, MessagePort>())
      for (let a = 0; a < threads; a++) {
        for (let b = a + 1; b < threads; b++) {
          const { port1, port2 } = new MessageChannel()
          ports[a].set(b, port1)
          ports[b].set(a, port2)
        }
      }
      for (let shard = 0; shard < threads; shard++) shards.push(new WorkerShard(init(shard), ports[shard]))
    }
    const shardFor = (index: number): Shard => shards[shardOf(index)]
    const address = (index: number): string[] => addresses[index].slice(0, 1)
    /** The first node up it may reach (a relay, with nat-homes) and the two started last: no node is every newcomer's first contact */
    const bootstrapFor = (index: number): string[] => {
      const candidates = live().filter(n => n !== index && reachable(index, n) && dialable(index, n))
      return [...new Set([...candidates.slice(0, 1), ...candidates.slice(-2)])].flatMap(address)
    }
    const start = async (index: number, bootstrap: string[]): Promise<void> => {
      const relays = live().filter(n => roles[n] === 'relay').flatMap(address)
      addresses[index] = await shardFor(index).start(index, bootstrap, relays)
      up[index] = true
    }
    // relays and the first nodes one by one, so later ones find them; the
    // rest a few at a time, each told of nodes already up
    const begun = now()
    const first = nodes.filter(sim => roles[sim.index] === 'relay' || sim.index < START_ONE_BY_ONE)
    for (const sim of first) await start(sim.index, bootstrapFor(sim.index))
    const rest = nodes.filter(sim => !first.includes(sim))
    const batchSize = START_BATCH * threads
    for (let i = 0; i < rest.length; i += batchSize) {
      const batch = rest.slice(i, i + batchSize)
      const bootstraps = batch.map(sim => bootstrapFor(sim.index))
      await Promise.all(batch.map(async (sim, j) => { await start(sim.index, bootstraps[j]) }))
    }
    report.startMs = Math.round(now() - begun)
    // the workload starts once the mesh has formed (or FORMATION_MS have passed)
    const formed = now()
    while (now() - formed < FORMATION_MS) {
      if ((await Promise.all(shards.map(async shard => await shard.tablesFull(count - 1)))).every(Boolean)) {
        report.formationMs = Math.round(now() - formed)
        break
      }
      await sleep(POLL_MS)
    }

    const writes: Array<Promise<void>> = []
    const hostile = new Set<number>()
    const convergences: Array<Promise<void>> = []
    let faults = 0
    let deliveries = 0
    let delays: number[] = []
    const clock = performance.now()
    const timeline = new TimelineRecorder()
    const progress = setInterval(() => {
      void Promise.all(shards.map(async shard => await shard.progress())).then(all => {
        deliveries = all.reduce((sum, p) => sum + p.deliveries, 0)
        delays = all.map(p => p.eventLoopDelayP99Ms)
      }, () => {})
      timeline.sample({ up: live().length, faults, writes: report.writes.done, deliveries }, threads > 1 ? delays : undefined)
      options.onProgress?.({ elapsed: Math.min(performance.now() - clock, scenario.duration), duration: scenario.duration, up: live().length, nodes: count, faults, writes: report.writes.done, runs: workload.started })
    }, 1_000)
    progress.unref()
    const remote = (index: number): RemoteNode | undefined => up[index] ? { rpc: async (method, params) => await shardFor(index).rpc(index, method, params) } : undefined
    try {
      for (const event of plan.events) {
        const wait = event.at - (performance.now() - clock)
        if (wait > 0) await sleep(wait)
        if (event.kind === 'run' || event.kind === 'search') {
          workload.start(event, remote(event.node))
          continue
        }
        if (event.kind === 'write') {
          if (!up[event.node]) {
            report.writes.skipped++
            continue
          }
          const from = event.node
          writes.push(shardFor(from).write(from, event.text, event.zone).then(({ id, at }) => {
            report.writes.done++
            report.zones[event.zone ?? 'federation']++
            if (event.zone != null) {
              // a zone that does not replicate: it must stay on its node
              kept.set(id, from)
              return
            }
            floorSent.set(event.text, at)
            acked.set(id, { at, from })
            workload.acked(event, id)
          }, () => { report.writes.failed++ }))
          continue
        }
        const { fault } = event
        faults++
        timeline.fault(fault)
        if (fault.partition != null) {
          const assigned: number[] = new Array(count).fill(-1)
          fault.partition.forEach((group, g) => { for (const index of group) assigned[index] = g })
          // nodes the partition leaves out are a group of their own each
          groups = assigned.map((g, index) => g === -1 ? 1000 + index : g)
          await Promise.all(shards.map(async shard => { await shard.setGroups(groups) }))
        } else if (fault.heal === true || fault.restart != null) {
          if (fault.heal === true) {
            groups = undefined
            await Promise.all(shards.map(async shard => { await shard.setGroups(undefined) }))
          }
          if (fault.restart != null && !up[fault.restart]) await start(fault.restart, bootstrapFor(fault.restart))
          const at = now()
          const ids = [...acked.keys()]
          const label = fault.heal === true ? 'heal' : `restart ${fault.restart}`
          convergences.push(converge(ids, at).then(ms => { report.convergence.push({ at: Math.round(event.at), fault: label, ms: ms == null ? null : Math.round(ms) }) }))
        } else if (fault.hostile != null) {
          hostile.add(fault.hostile)
          if (up[fault.hostile]) await shardFor(fault.hostile).forge(fault.hostile)
        } else if (isLinkFault(fault)) {
          const at = now()
          await Promise.all(shards.map(async shard => { await shard.shapeLinks(fault, at) }))
        } else if (fault.kill != null) {
          up[fault.kill] = false
          await shardFor(fault.kill).stop(fault.kill)
        }
      }
      const remaining = scenario.duration - (performance.now() - clock)
      if (remaining > 0) await sleep(remaining)
      await Promise.all(writes)
      await workload.settled()
      await Promise.all(convergences)
    } finally {
      clearInterval(progress)
      Object.assign(report, timeline.stop())
    }

    // the end: every node up is given `settle` to hold every acknowledged write
    await converge([...acked.keys()], now())
    const figures = await Promise.all(shards.map(async shard => await shard.figures()))
    if (threads > 1) report.resources.eventLoopDelayP99Ms = Math.max(report.resources.eventLoopDelayP99Ms, ...figures.map(f => f.eventLoopDelayP99Ms))
    const honest = live().filter(index => !hostile.has(index))
    for (const sums of await Promise.all(shards.map(async shard => await shard.rejected([...hostile])))) {
      for (const [reason, n] of Object.entries(sums)) report.rejected[reason] = (report.rejected[reason] ?? 0) + n
    }
    report.hostile.rejected = report.rejected['bad-signature'] ?? 0
    report.hostile.published = (await Promise.all(shards.map(async shard => await shard.published()))).reduce((a, b) => a + b, 0)
    /** For each id, every node up that holds it */
    const holding = async (ids: string[]): Promise<number[][]> => {
      const all = await Promise.all(shards.map(async shard => await shard.holders(ids)))
      return ids.map((_, i) => all.flatMap(shard => shard[i]))
    }
    const forged = figures.flatMap(f => f.forged)
    report.hostile.stored = (await holding(forged)).filter(holders => holders.some(index => honest.includes(index))).length
    const keptIds = [...kept.keys()]
    ;(await holding(keptIds)).forEach((holders, i) => { report.zones.leaked += holders.filter(index => index !== kept.get(keptIds[i])).length })
    const arrivals = new Map<string, number[]>()
    for (const f of figures) for (const [id, times] of f.arrivals) arrivals.set(id, [...(arrivals.get(id) ?? []), ...times])
    const ackedIds = [...acked.keys()]
    const upCount = live().length
    const latencies: number[] = []
    ;(await holding(ackedIds)).forEach((holders, i) => {
      const { at, from } = acked.get(ackedIds[i]) as { at: number, from: number }
      report.delivery.expected += upCount - (up[from] ? 1 : 0)
      report.delivery.delivered += holders.filter(index => index !== from).length
      for (const time of arrivals.get(ackedIds[i]) ?? []) latencies.push(Math.max(0, time - at))
    })
    latencies.sort((a, b) => a - b)
    report.deliveryHistogram = latencyHistogram(latencies)
    report.delivery.ratio = report.delivery.expected === 0 ? 1 : report.delivery.delivered / report.delivery.expected
    report.delivery.p50 = percentile(latencies, 0.5)
    report.delivery.p99 = percentile(latencies, 0.99)
    report.delivery.max = latencies.length > 0 ? Math.round(latencies[latencies.length - 1]) : null
    if (scenario.workload.writes?.floor === true) report.floor = floorReport(floorSent, figures.flatMap(f => f.floorArrivals), report.delivery)
    report.convergence.sort((a, b) => a.at - b.at)
    report.convergenceMax = report.convergence.length === 0 ? null : report.convergence.some(c => c.ms == null) ? null : Math.max(...report.convergence.map(c => c.ms as number))
    const digests = new Set((await Promise.all(shards.map(async shard => await shard.digests()))).flat())
    report.final = { converged: digests.size === 1, digests: digests.size }
    const connections: Array<OpenConnection[] | undefined> = new Array(count).fill(undefined)
    for (const links of await Promise.all(shards.map(async shard => await shard.links()))) {
      for (const [index, open] of links) connections[index] = up[index] ? open : undefined
    }
    report.links = linkReport(roles, connections)
    Object.assign(report, workload.report())
    report.memoryPerNodeMb = Math.round(process.memoryUsage().rss / count / 1024 / 1024 * 10) / 10
    return judged(report, scenario)
  } finally {
    process.removeListener('SIGINT', interrupted)
    process.removeListener('SIGTERM', interrupted)
    await Promise.all(shards.map(async shard => { await shard.close().catch(() => {}) }))
    await rm(dir, { recursive: true, force: true })
  }
}

/** The report with the scenario's expectations checked against it */
function judged (report: SimReport, scenario: Scenario): SimReport {
  report.expectations = Object.entries(scenario.expect).map(([key, expected]) => {
    const actual = figure(report, key)
    return { key, expected, actual, ok: actual != null && holds(actual, expected) }
  })
  report.ok = report.expectations.every(e => e.ok)
  return report
}

function figure (report: SimReport, key: string): number | null {
  switch (key) {
    case 'delivery.ratio': return report.delivery.ratio
    case 'delivery.p50': return report.delivery.p50
    case 'delivery.p99': return report.delivery.p99
    case 'floor.ratioP50': return report.floor?.ratioP50 ?? null
    case 'floor.ratioP99': return report.floor?.ratioP99 ?? null
    case 'convergence.max': return report.convergenceMax
    case 'writes.failed': return report.writes.failed
    case 'hostile.stored': return report.hostile.stored
    case 'hostile.rejected': return report.hostile.rejected
    case 'links.direct': return report.links.direct
    case 'links.relayed': return report.links.relayed
    case 'links.directBetweenHomes': return report.links.directBetweenHomes
    case 'zones.leaked': return report.zones.leaked
    case 'resources.cpuCoresAvg': return report.resources.cpuCoresAvg
    case 'resources.rssMbPerNodeMax': return report.resources.rssMbPerNodeMax
    case 'resources.eventLoopDelayP99Ms': return report.resources.eventLoopDelayP99Ms
    default: return workloadFigure(report, key) ?? null
  }
}

/** Whether `actual` satisfies a comparison such as ">= 0.99" or "< 10s" (durations in ms) */
export function holds (actual: number, comparison: string): boolean {
  const match = /^\s*(<=|>=|<|>|==)\s*(\S+)\s*$/.exec(comparison)
  if (match == null) return false
  const target = /^-?\d+(?:\.\d+)?$/.test(match[2]) ? Number(match[2]) : parseDuration(match[2])
  switch (match[1]) {
    case '<': return actual < target
    case '<=': return actual <= target
    case '>': return actual > target
    case '>=': return actual >= target
    default: return actual === target
  }
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
