import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { generateKey, preSharedKey } from '@libp2p/pnet'
import { defaultConfig, parseDuration } from '@overmind/config'
import { OvermindNode, connectionKind } from '@overmind/node'
import { entryId } from '@overmind/memory'
import { Chunk, EntryKind, KnowledgeBatch, SignedEntry, Zone } from '@overmind/protocols'
import { MemoryDatastore } from 'datastore-core'
import { mockAgents } from './agents.js'
import { BareGossipFloor } from './floor.js'
import { LinkShaper, isLinkFault, shapedProtector, shapesLinks } from './links.js'
import { runProcesses } from './processes.js'
import { random, schedule } from './schedule.js'
import { TimelineRecorder, latencyHistogram, noResources } from './timeline.js'
import { applyRole, linkReport, topologyGater } from './topology.js'
import { SimWorkload, percentile, workloadFigure } from './workload.js'
import type { RunsReport, SearchesReport } from './workload.js'
import type { FloorReport } from './floor.js'
import type { Scenario } from './scenario.js'
import type { AppliedFault, LatencyBucket, SimResources, TimelineSample } from './timeline.js'
import type { LinkReport } from './topology.js'
import type { PrivateKey } from '@libp2p/interface'
import type { StoredEntryEvent } from '@overmind/memory'

/** What a scenario did and how the mesh took it */
export interface SimReport {
  scenario: string
  seed: number
  mode: Scenario['mode']
  /** How the nodes reach each other: loopback TCP, or (in-process) libp2p's in-memory transport */
  transport: Scenario['transport']
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
  key: PrivateKey
  memoryPath: string
  node?: OvermindNode
  /** A relay listens where it did before a restart: homes know it by that address, as they would a real relay */
  listen?: string
}

const POLL_MS = 250
/** The stream link jitter and loss draw from, apart from the schedule's */
const LINK_STREAM = 0x6c696e6b
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
  const arrivals = new Map<string, number[]>()
  let deliveries = 0
  const started = performance.now()
  const now = (): number => performance.now() - started
  const agents = mockAgents(scenario)
  const floor = scenario.workload.writes?.floor === true ? new BareGossipFloor(now) : undefined
  const workload = new SimWorkload(scenario, plan, { now, indexOf: peer => byPeer.get(peer) })
  const shaper = new LinkShaper(scenario.network)
  const shaping = scenario.transport === 'memory' && shapesLinks(scenario)
  const linkRandom = random(scenario.seed ^ LINK_STREAM)

  const start = async (sim: SimNode, bootstrap: string[]): Promise<void> => {
    const config = defaultConfig()
    config.mesh.name = `sim-${scenario.name.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`.slice(0, 63)
    config.listen = [sim.listen ?? (scenario.transport === 'memory' ? `/memory/overmind-sim-${process.pid}-${sim.index}` : '/ip4/127.0.0.1/tcp/0')]
    config.bootstrap = bootstrap
    config.heartbeat.interval = scenario.nodes.heartbeat
    config.discovery.rejoinInterval = 2_000
    config.memory.embedder = scenario.nodes.embedder
    config.memory.syncInterval = scenario.nodes.syncInterval
    config.agents = agents.config(sim.index)
    applyRole(config, roles[sim.index], live().filter(n => roles[n.index] === 'relay').flatMap(address))
    const node = await OvermindNode.create({
      config,
      privateKey: sim.key,
      psk,
      datastore: new MemoryDatastore(),
      memoryPath: sim.memoryPath,
      agentFunctions: agents.functions,
      libp2p: {
        connectionGater: topologyGater(sim.index, roles, peer => byPeer.get(peer), reachable),
        ...(scenario.transport === 'memory' ? { transports: [memory(), circuitRelayTransport()] } : {}),
        // below the private network, each write waits for its link's latency, jitter and loss
        ...(shaping ? { connectionProtector: shapedProtector(preSharedKey({ psk }), peer => shaper.shape(sim.index, byPeer.get(peer ?? ''), now()), linkRandom, scenario.network.bandwidth) } : {})
      }
    })
    node.memory?.addEventListener('entry', (evt: CustomEvent<StoredEntryEvent>) => {
      if (evt.detail.origin !== 'remote') return
      const times = arrivals.get(evt.detail.entry.id) ?? []
      times.push(now())
      deliveries++
      arrivals.set(evt.detail.entry.id, times)
    })
    await node.start()
    floor?.attach(node)
    sim.node = node
    if (roles[sim.index] === 'relay') sim.listen ??= node.libp2p.getMultiaddrs().find(ma => !ma.toString().includes('/p2p-circuit'))?.decapsulateCode(421).toString()
  }
  const live = (): SimNode[] => nodes.filter(n => n.node != null)
  const address = (sim: SimNode): string[] => (sim.node?.addresses() ?? []).filter(a => !a.includes('/p2p-circuit')).slice(0, 1)
  /** The first node up it may reach (a relay, with nat-homes) and the two started last: no node is every newcomer's first contact */
  const bootstrapFor = (index: number): string[] => {
    const candidates = live().filter(n => n.index !== index && reachable(index, n.index) && dialable(index, n.index))
    return [...new Set([...candidates.slice(0, 1), ...candidates.slice(-2)])].flatMap(address)
  }

  const report: SimReport = {
    scenario: scenario.name,
    seed: scenario.seed,
    mode: scenario.mode,
    transport: scenario.transport,
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

  /** Resolves with the ms until every node up holds every id, or null after `settle` */
  const converge = async (ids: string[], from: number): Promise<number | null> => {
    while (now() - from < scenario.settle) {
      if (live().every(n => ids.every(id => n.node?.memory?.holds(id) === true))) return now() - from
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
  try {
    for (let i = 0; i < count; i++) {
      const key = await generateKeyPair('Ed25519')
      const sim: SimNode = { index: i, key, memoryPath: join(dir, `node-${i}`) }
      await mkdir(sim.memoryPath)
      nodes.push(sim)
      byPeer.set(key.publicKey.toString(), i)
    }
    // relays and the first nodes one by one, so later ones find them; the
    // rest a few at a time, each told of nodes already up
    const begun = now()
    const first = nodes.filter(sim => roles[sim.index] === 'relay' || sim.index < START_ONE_BY_ONE)
    for (const sim of first) await start(sim, bootstrapFor(sim.index))
    const rest = nodes.filter(sim => !first.includes(sim))
    for (let i = 0; i < rest.length; i += START_BATCH) {
      const batch = rest.slice(i, i + START_BATCH)
      const bootstraps = batch.map(sim => bootstrapFor(sim.index))
      await Promise.all(batch.map(async (sim, j) => { await start(sim, bootstraps[j]) }))
    }
    report.startMs = Math.round(now() - begun)
    // the workload starts once the mesh has formed (or FORMATION_MS have passed)
    const formed = now()
    while (now() - formed < FORMATION_MS) {
      const full = live().every(sim => (sim.node?.libp2p.services.heartbeat.peers() ?? []).filter(p => p.status === 'connected' || p.status === 'alive').length >= count - 1)
      if (full) {
        report.formationMs = Math.round(now() - formed)
        break
      }
      await sleep(POLL_MS)
    }

    const writes: Array<Promise<void>> = []
    const hostile = new Set<number>()
    const hostileTimers: Array<ReturnType<typeof setInterval>> = []
    const forged: string[] = []
    const convergences: Array<Promise<void>> = []
    let faults = 0
    const clock = performance.now()
    const timeline = new TimelineRecorder()
    const progress = setInterval(() => {
      timeline.sample({ up: live().length, faults, writes: report.writes.done, deliveries })
      options.onProgress?.({ elapsed: Math.min(performance.now() - clock, scenario.duration), duration: scenario.duration, up: live().length, nodes: count, faults, writes: report.writes.done, runs: workload.started })
    }, 1_000)
    progress.unref()
    try {
      for (const event of plan.events) {
        const wait = event.at - (performance.now() - clock)
        if (wait > 0) await sleep(wait)
        if (event.kind === 'run' || event.kind === 'search') {
          workload.start(event, nodes[event.node].node)
          continue
        }
        if (event.kind === 'write') {
          const sim = nodes[event.node]
          const memory = sim.node?.memory
          if (memory == null) {
            report.writes.skipped++
            continue
          }
          writes.push(memory.put({ text: event.text, zone: event.zone }).then(chunk => {
            report.writes.done++
            report.zones[event.zone ?? 'federation']++
            if (event.zone != null) {
              // a zone that does not replicate: it must stay on its node
              kept.set(chunk.id, sim.index)
              return
            }
            // the floor leaves at the acknowledgement, where knowledge delivery is timed from
            if (floor != null && sim.node != null) floor.publish(sim.node, event.text)
            acked.set(chunk.id, { at: now(), from: sim.index })
            workload.acked(event, chunk.id)
          }, () => { report.writes.failed++ }))
          continue
        }
        const { fault } = event
        faults++
        timeline.fault(fault)
        if (fault.partition != null) {
          groups = new Array(count).fill(-1)
          fault.partition.forEach((group, g) => { for (const index of group) (groups as number[])[index] = g })
          // nodes the partition leaves out are a group of their own each
          groups = groups.map((g, index) => g === -1 ? 1000 + index : g)
          await Promise.all(live().map(async sim => {
            for (const other of live()) {
              if (other.index !== sim.index && !reachable(sim.index, other.index) && other.node != null) await sim.node?.libp2p.hangUp(other.node.libp2p.peerId).catch(() => {})
            }
          }))
        } else if (fault.heal === true || fault.restart != null) {
          if (fault.heal === true) groups = undefined
          if (fault.restart != null && nodes[fault.restart].node == null) await start(nodes[fault.restart], bootstrapFor(fault.restart))
          const at = now()
          const ids = [...acked.keys()]
          const label = fault.heal === true ? 'heal' : `restart ${fault.restart}`
          convergences.push(converge(ids, at).then(ms => { report.convergence.push({ at: Math.round(event.at), fault: label, ms: ms == null ? null : Math.round(ms) }) }))
        } else if (fault.hostile != null) {
          const sim = nodes[fault.hostile]
          hostile.add(sim.index)
          if (sim.node != null) hostileTimers.push(forge(sim.node, sim.key, forged, () => { report.hostile.published++ }))
        } else if (isLinkFault(fault)) {
          shaper.apply(fault, now())
        } else if (fault.kill != null) {
          const sim = nodes[fault.kill]
          const node = sim.node
          sim.node = undefined
          await node?.stop()
        }
      }
      const rest = scenario.duration - (performance.now() - clock)
      if (rest > 0) await sleep(rest)
      await Promise.all(writes)
      await workload.settled()
      await Promise.all(convergences)
    } finally {
      clearInterval(progress)
      Object.assign(report, timeline.stop())
      for (const timer of hostileTimers) clearInterval(timer)
    }

    // the end: every node up is given `settle` to hold every acknowledged write
    await converge([...acked.keys()], now())
    const up = live()
    const honest = up.filter(sim => !hostile.has(sim.index))
    for (const sim of honest) {
      for (const [reason, n] of Object.entries(sim.node?.libp2p.services.knowledge?.getStats().rejected ?? {})) report.rejected[reason] = (report.rejected[reason] ?? 0) + (n ?? 0)
    }
    report.hostile.rejected = report.rejected['bad-signature'] ?? 0
    report.hostile.stored = forged.filter(id => honest.some(sim => sim.node?.memory?.holds(id) === true)).length
    for (const [id, from] of kept) report.zones.leaked += up.filter(sim => sim.index !== from && sim.node?.memory?.holds(id) === true).length
    const latencies: number[] = []
    for (const [id, { at, from }] of acked) {
      for (const sim of up) {
        if (sim.index === from) continue
        report.delivery.expected++
        if (sim.node?.memory?.holds(id) === true) report.delivery.delivered++
      }
      for (const time of arrivals.get(id) ?? []) latencies.push(Math.max(0, time - at))
    }
    latencies.sort((a, b) => a - b)
    report.deliveryHistogram = latencyHistogram(latencies)
    report.delivery.ratio = report.delivery.expected === 0 ? 1 : report.delivery.delivered / report.delivery.expected
    report.delivery.p50 = percentile(latencies, 0.5)
    report.delivery.p99 = percentile(latencies, 0.99)
    report.delivery.max = latencies.length > 0 ? Math.round(latencies[latencies.length - 1]) : null
    report.floor = floor?.report(report.delivery) ?? null
    report.convergence.sort((a, b) => a.at - b.at)
    report.convergenceMax = report.convergence.length === 0 ? null : report.convergence.some(c => c.ms == null) ? null : Math.max(...report.convergence.map(c => c.ms as number))
    const digests = new Set(await Promise.all(up.map(async sim => (await sim.node?.memory?.digest())?.digest)))
    report.final = { converged: digests.size === 1, digests: digests.size }
    report.links = linkReport(roles, nodes.map(sim => sim.node?.libp2p.getConnections().map(c => ({ peer: byPeer.get(c.remotePeer.toString()), relayed: connectionKind(c) === 'relayed' }))))
    Object.assign(report, workload.report())
    report.memoryPerNodeMb = Math.round(process.memoryUsage().rss / count / 1024 / 1024 * 10) / 10
    return judged(report, scenario)
  } finally {
    process.removeListener('SIGINT', interrupted)
    process.removeListener('SIGTERM', interrupted)
    await Promise.all(nodes.map(async sim => { await sim.node?.stop().catch(() => {}) }))
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

/** Signing domain of protocols/memory.md */
const DOMAIN = new TextEncoder().encode('overmind/memory/1\n')
const FORGE_EVERY_MS = 200

/**
 * Makes a node a hostile member: it publishes, as itself, chunks whose
 * signature does not verify on the knowledge topic, past its own validator
 */
function forge (node: OvermindNode, key: PrivateKey, ids: string[], published: () => void): ReturnType<typeof setInterval> {
  const knowledge = node.libp2p.services.knowledge
  if (knowledge == null) throw new Error('a hostile member needs the knowledge topic')
  node.libp2p.services.pubsub.topicValidators.delete(knowledge.topic)
  let seq = 1_000_000n
  const timer = setInterval(() => {
    void (async () => {
      const body = Chunk.encode({ author: node.libp2p.peerId.toMultihash().bytes, agent: 'hostile', zone: Zone.FEDERATION, text: `a forged fact ${seq}`, tags: [], hlcWallTime: BigInt(Date.now()), hlcLogical: 0, seq: seq++ })
      const signature = await key.sign(new Uint8Array([...DOMAIN, ...body]))
      signature[0] ^= 0xff
      ids.push(entryId(body))
      await node.libp2p.services.pubsub.publish(knowledge.topic, KnowledgeBatch.encode({ entries: [SignedEntry.encode({ kind: EntryKind.CHUNK, body, signature: new Uint8Array(signature) })] }))
      published()
    })().catch(() => {})
  }, FORGE_EVERY_MS)
  return timer
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
