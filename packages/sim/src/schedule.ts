import { createHash } from 'node:crypto'
import { meshTopology } from './topology.js'
import type { Fault, Scenario } from './scenario.js'
import type { MeshTopology, NodeRole } from './topology.js'

/** One thing the simulator does at a time from the start, in ms */
export type SimEvent =
  | { at: number, kind: 'write', node: number, text: string }
  | { at: number, kind: 'fault', fault: Fault }

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
 * Everything a scenario does, decided before it starts: writes at the times
 * of a Poisson process of the scenario's rate, each from a node chosen at
 * random, and the faults at their times; and the links of the topology
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
  }
  // faults first at equal times: a write at the moment of a partition sees it
  events.sort((a, b) => a.at - b.at || (a.kind === b.kind ? 0 : a.kind === 'fault' ? -1 : 1))
  const hash = createHash('sha256').update(JSON.stringify(events))
  if (topology.edges != null) hash.update(JSON.stringify(topology.edges))
  return { events, topology, digest: hash.digest('hex') }
}

/** The nodes a workload's writes come from: the ones listed, the ones with a role, or all */
function writerNodes (from: NonNullable<Scenario['workload']['writes']>['from'], roles: NodeRole[]): number[] {
  if (Array.isArray(from)) return from
  return roles.flatMap((role, index) => from == null || role === from ? [index] : [])
}
