import { createHash } from 'node:crypto'
import { meshTopology } from './topology.js'
import { CHURN_DOWN } from './scenario.js'
import type { Fault, Scenario } from './scenario.js'
import type { MeshTopology, NodeRole } from './topology.js'

/** One thing the simulator does at a time from the start, in ms */
export type SimEvent =
  | WriteEvent
  | { at: number, kind: 'fault', fault: Fault }
  | RunEvent
  | SearchEvent

/** A write of `text` on `node`, in the federation zone unless `zone` says */
export interface WriteEvent { at: number, kind: 'write', node: number, text: string, zone?: 'shared' | 'private' }

/** A run of the workload's agent from `node`; `index` numbers the runs from 0 and is the run's input */
export interface RunEvent { at: number, kind: 'run', node: number, index: number }

/** A search from `node` for the text of the `write`th write of the schedule (from 0) */
export interface SearchEvent { at: number, kind: 'search', node: number, write: number, federated: boolean }

export interface Schedule {
  events: SimEvent[]
  /** Which nodes may connect, and each node's role */
  topology: MeshTopology
  /** sha256 of the events and of the links a graph topology drew: two runs with the same digest did the same things at the same times on the same graph */
  digest: string
}

/**
 * Mixed into the seed of the generator the topology draws from: a stream
 * apart from the workload's, so changing the topology leaves the writes as
 * they were
 */
const TOPOLOGY_STREAM = 0x9e3779b9
/** The stream churn draws from, apart from the others for the same reason */
const CHURN_STREAM = 0x85ebca6b

/**
 * A small, fast generator (mulberry32) seeded by the scenario: the same
 * seed gives the same sequence on every machine
 */
export function random (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = ['deploy', 'cache', 'index', 'replica', 'latency', 'build', 'queue', 'retry', 'shard', 'token', 'mesh', 'relay', 'agent', 'memory', 'search', 'vector']

/**
 * Everything a scenario does, decided before it starts: writes, runs and
 * searches at the times of Poisson processes of their rates, each from a
 * node chosen at random, the faults at their times, and the links of the
 * topology. Runs, searches and the topology draw from generators of their
 * own, so adding them leaves the writes of a scenario as they were.
 */
export function schedule (scenario: Scenario): Schedule {
  const next = random(scenario.seed)
  const topology = meshTopology(scenario.topology, scenario.nodes.count, random(scenario.seed ^ TOPOLOGY_STREAM))
  const events: SimEvent[] = scenario.faults.map(fault => ({ at: fault.at, kind: 'fault', fault }))
  const writes = scenario.workload.writes
  if (writes != null && writes.rate > 0) {
    const from = writerNodes(writes.from, topology.roles)
    let at = 0
    let n = 0
    for (;;) {
      at += -Math.log(1 - next()) * 1000 / writes.rate
      if (at >= scenario.duration) break
      const node = from[Math.floor(next() * from.length)]
      const words: string[] = [`write ${n++} from node ${node}:`]
      while (words.join(' ').length < writes.size) words.push(WORDS[Math.floor(next() * WORDS.length)])
      events.push({ at: Math.round(at), kind: 'write', node, text: words.join(' ').slice(0, writes.size) })
    }
    // the zones, from a stream of their own: a scenario without a mix keeps the schedule it had
    if (writes.zones != null) {
      const pick = stream(scenario.seed, 'zones')
      const { shared, private: own } = writes.zones
      for (const event of events) {
        if (event.kind !== 'write') continue
        const draw = pick()
        if (draw < own) event.zone = 'private'
        else if (draw < own + shared) event.zone = 'shared'
      }
    }
  }
  events.push(...runs(scenario), ...searches(scenario, events.filter(e => e.kind === 'write')), ...churn(scenario, topology.roles))
  // faults first at equal times: a write at the moment of a partition sees it
  events.sort((a, b) => a.at - b.at || Number(b.kind === 'fault') - Number(a.kind === 'fault'))
  const hash = createHash('sha256').update(JSON.stringify(events))
  if (topology.edges != null) hash.update(JSON.stringify(topology.edges))
  return { events, topology, digest: hash.digest('hex') }
}

/** The nodes a workload's writes come from: the ones listed, the ones with a role, or all */
function writerNodes (from: NonNullable<Scenario['workload']['writes']>['from'], roles: NodeRole[]): number[] {
  if (Array.isArray(from)) return from
  return roles.flatMap((role, index) => from == null || role === from ? [index] : [])
}

/** A generator of its own for one part of the workload, derived from the scenario's seed */
function stream (seed: number, part: string): () => number {
  return random(createHash('sha256').update(`${seed}/${part}`).digest().readUInt32BE(0))
}

/** Times of a Poisson process of `rate` per second between `from` and `to` ms */
function arrivals (next: () => number, rate: number, from: number, to: number): number[] {
  const times: number[] = []
  if (rate <= 0) return times
  for (let at = from; ;) {
    at += -Math.log(1 - next()) * 1000 / rate
    if (at >= to) return times
    times.push(at)
  }
}

/** The runs: at the workload's rate, and the peak's during the peak, each from a node of `from` */
function runs (scenario: Scenario): RunEvent[] {
  const spec = scenario.workload.runs
  if (spec == null) return []
  const next = stream(scenario.seed, 'runs')
  const { peak } = spec
  const times = peak == null
    ? arrivals(next, spec.rate, 0, scenario.duration)
    : [...arrivals(next, spec.rate, 0, peak.at), ...arrivals(next, peak.rate, peak.at, peak.at + peak.for), ...arrivals(next, spec.rate, peak.at + peak.for, scenario.duration)]
  const from = nodeList(spec.from, scenario.nodes.count)
  return times.map((at, index) => ({ at: Math.round(at), kind: 'run', node: from[Math.floor(next() * from.length)], index }))
}

/** The searches: each for a write scheduled at least `age` before it, from a node chosen at random */
function searches (scenario: Scenario, writes: SimEvent[]): SearchEvent[] {
  const spec = scenario.workload.searches
  if (spec == null) return []
  const next = stream(scenario.seed, 'searches')
  const events: SearchEvent[] = []
  let older = 0
  for (const at of arrivals(next, spec.rate, 0, scenario.duration)) {
    while (older < writes.length && writes[older].at <= at - spec.age) older++
    const node = Math.floor(next() * scenario.nodes.count)
    const write = Math.floor(next() * older)
    const federated = next() < spec.federated
    if (older > 0) events.push({ at: Math.round(at), kind: 'search', node, write, federated })
  }
  return events
}

/** The node indexes of a list or of "all" */
export function nodeList (nodes: 'all' | number[], count: number): number[] {
  return nodes === 'all' ? Array.from({ length: count }, (_, i) => i) : nodes
}

/**
 * The kills and restarts a churn fault stands for: nodes leave at the times
 * of a Poisson process of its rate, each one chosen at random among the
 * nodes churn has not taken away (relays stay), and come back `down` later;
 * a node that came back is left alone for `down` more, so it can rejoin
 */
function churn (scenario: Scenario, roles: NodeRole[]): SimEvent[] {
  const next = random(scenario.seed ^ CHURN_STREAM)
  const events: SimEvent[] = []
  for (const fault of scenario.faults) {
    if (fault.churn == null || fault.for == null || fault.churn <= 0) continue
    const down = fault.down ?? CHURN_DOWN
    const busyUntil = new Map<number, number>()
    let at = fault.at
    for (;;) {
      at += -Math.log(1 - next()) * 1000 / fault.churn
      if (at >= fault.at + fault.for) break
      const t = Math.round(at)
      const free = roles.flatMap((role, index) => role !== 'relay' && (busyUntil.get(index) ?? 0) <= t ? [index] : [])
      if (free.length === 0) continue
      const node = free[Math.floor(next() * free.length)]
      busyUntil.set(node, t + 2 * down)
      events.push({ at: t, kind: 'fault', fault: { at: t, kill: node } }, { at: t + down, kind: 'fault', fault: { at: t + down, restart: node } })
    }
  }
  return events
}
