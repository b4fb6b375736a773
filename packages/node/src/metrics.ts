import { zoneName } from '@overmind/memory'
import { linkKind } from '@overmind/protocols'
import { Counter, Gauge, Histogram } from 'prom-client'
import type { OvermindServices } from './create-node.js'
import type { EventLoopMonitor } from './event-loop.js'
import type { Connection, Libp2p, Metrics } from '@libp2p/interface'
import type { RunAnsweredEvent, RunRecord } from '@overmind/agents'
import type { HeartbeatRejection, PeerStatus } from '@overmind/heartbeat'
import type { MemoryStore, StoredEntryEvent } from '@overmind/memory'
import type { LinkKind } from '@overmind/protocols'
import type { EntryRejection } from '@overmind/replication'
import type { GaugeConfiguration, Registry } from 'prom-client'

/** What the metrics of a node read: its libp2p peer and its memory */
export interface MeteredNode {
  readonly libp2p: Libp2p<OvermindServices>
  readonly memory?: MemoryStore
  readonly peerId: string
  readonly eventLoop: EventLoopMonitor
}

/** How a connection reaches its peer: direct, hole-punched (WebRTC) or through a circuit relay */
export const connectionKind: (connection: Connection) => LinkKind = linkKind

const PEER_STATUSES: PeerStatus[] = ['connected', 'alive', 'stale', 'gone']

/** From 50 ms to a day: gossip delivers in well under a second, anti-entropy after a node was away */
const LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400]

/** From an echo to an agent that works for an hour */
const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600]

let libp2pMetricsInstances = 0

/**
 * libp2p's own metrics (connections, streams, dials, DHT, gossipsub, the
 * process) for one node, registered in `registry`.
 *
 * `@libp2p/prometheus-metrics` keeps the metrics it created in a map at
 * module level and hands an existing one to whoever registers the same name
 * next, whatever its registry: two nodes of one process would share, or
 * miss, series. Each node therefore loads its own instance of that module;
 * the modules it imports (prom-client) stay shared. `statfsLocation` is the
 * folder whose file system `nodejs_fs_usage_bytes` reports (the working
 * directory when omitted).
 */
export async function libp2pMetrics (registry: Registry, init: { statfsLocation?: string } = {}): Promise<(components: any) => Metrics> {
  const url = `${import.meta.resolve('@libp2p/prometheus-metrics')}?instance=${++libp2pMetricsInstances}`
  const { prometheusMetrics } = await import(url) as typeof import('@libp2p/prometheus-metrics')
  // preserveExistingMetrics: never clear prom-client's global registry, which other code may use
  return prometheusMetrics({ registry, preserveExistingMetrics: true, statfsLocation: init.statfsLocation })
}

/**
 * The gauges of a node, read from it when the registry is scraped. The
 * registry alone holds them and calls their `collect()`.
 */
function registerGauges (node: MeteredNode, registry: Registry): void {
  const gauge = <L extends string>(config: GaugeConfiguration<L>): Gauge<L> => {
    const metric = new Gauge({ ...config, registers: [] })
    registry.registerMetric(metric)
    return metric
  }
  const services = (): OvermindServices => node.libp2p.services
  gauge({
    name: 'overmind_memory_chunks',
    help: 'Chunks held in the memory store, forgotten ones left out, by zone',
    labelNames: ['zone'],
    collect () {
      // one walk of the store's counts serves both series
      const stats = node.memory?.stats()
      if (stats == null) return
      for (const [zone, count] of Object.entries(stats.chunks)) this.set({ zone }, count)
      events.set(stats.events)
    }
  })
  // registered after the chunks, whose collect sets it, so a scrape reads this one's new value
  const events = gauge({
    name: 'overmind_memory_events',
    help: 'Chunk events (links, forget, confidence) held in the memory store'
  })
  gauge({
    name: 'overmind_memory_signals',
    help: 'Convergence signals held: knowledge several agents on several nodes reached on their own (the same on every node)',
    collect () { this.set(node.memory?.stats().signals ?? 0) }
  })
  gauge({
    name: 'overmind_memory_backlog',
    help: 'Work behind the memory store\'s writes: entries waiting to be written, vectors waiting for the graph or for an embedder',
    labelNames: ['stage'],
    collect () {
      const backlog = node.memory?.stats().backlog
      if (backlog == null) return
      this.set({ stage: 'writes' }, backlog.writes)
      this.set({ stage: 'graph' }, backlog.graph)
      this.set({ stage: 'embedding' }, backlog.embedding)
    }
  })
  gauge({
    name: 'overmind_memory_write_failure',
    help: 'Whether the memory store acknowledges no write (1) because a write failed, by what happened (full, corrupt, missing, locked, io), until it has reopened its files',
    labelNames: ['problem'],
    collect () {
      const failure = node.memory?.stats().failure
      this.reset()
      if (node.memory != null) this.set({ problem: failure?.problem ?? 'none' }, failure != null ? 1 : 0)
    }
  })
  gauge({
    name: 'overmind_memory_equivocating_authors',
    help: 'Authors caught signing two different memory entries with the same seq (their second entries are kept as evidence, never folded)',
    collect () { this.set(node.memory?.stats().equivocations.authors.length ?? 0) }
  })
  gauge({
    name: 'overmind_memory_dropped_entries',
    help: 'Valid entries from peers dropped because the queue of writes was full (anti-entropy fetches them later)',
    collect () { this.set(node.memory?.stats().backlog.dropped ?? 0) }
  })
  // as prom-client names the process's own lag: one gauge per figure
  for (const [figure, pick] of [['p50', 'p50'], ['p99', 'p99'], ['max', 'max']] as const) {
    gauge({
      name: `overmind_event_loop_delay_${figure}_seconds`,
      help: `How long the event loop made due work wait, ${figure === 'max' ? 'the longest stall' : `${figure}`}: over the last 10 s (window="recent") and since the node started (window="start")`,
      labelNames: ['window'],
      collect () {
        const { recent, sinceStart } = node.eventLoop.report()
        this.set({ window: 'recent' }, recent[pick] / 1000)
        this.set({ window: 'start' }, sinceStart[pick] / 1000)
      }
    })
  }
  gauge({
    name: 'overmind_run_queue_depth',
    help: 'Runs admitted by this node that wait for a free slot of their agent',
    collect () { this.set(services().runAgent.host.queueDepth) }
  })
  gauge({
    name: 'overmind_runs_active',
    help: 'Runs of this node\'s agents holding a slot now',
    collect () { this.set(services().runAgent.host.active) }
  })
  gauge({
    name: 'overmind_agent_free_slots',
    help: 'Runs of each agent hosted here that could start now',
    labelNames: ['agent'],
    collect () {
      this.reset()
      const { host } = services().runAgent
      for (const agent of host.list()) this.set({ agent: agent.name }, host.freeSlots(agent.name))
    }
  })
  gauge({
    name: 'overmind_peers',
    help: 'Peers known from heartbeats, by status',
    labelNames: ['status'],
    collect () {
      const counts = Object.fromEntries(PEER_STATUSES.map(status => [status, 0])) as Record<PeerStatus, number>
      for (const peer of services().heartbeat.peers()) counts[peer.status]++
      for (const status of PEER_STATUSES) this.set({ status }, counts[status])
    }
  })
  gauge({
    name: 'overmind_connections',
    help: 'Open connections, by kind (direct, hole-punched, relayed) and direction',
    labelNames: ['kind', 'direction'],
    collect () {
      this.reset()
      for (const kind of ['direct', 'hole-punched', 'relayed']) {
        for (const direction of ['inbound', 'outbound']) this.set({ kind, direction }, 0)
      }
      for (const connection of node.libp2p.getConnections()) {
        this.inc({ kind: connectionKind(connection), direction: connection.direction })
      }
    }
  })
}

/**
 * The `overmind_` series of one node. Gauges are read from the node when
 * the registry is scraped; counters and histograms follow the events of the
 * memory store and services between `start()` and `stop()`.
 */
export class NodeMetrics {
  private readonly node: MeteredNode
  private readonly replicationLag: Histogram<'zone'>
  private readonly runDuration: Histogram<'agent' | 'role' | 'outcome'>
  private readonly runRequests: Counter<'status'>
  private readonly rejected: Counter<'kind' | 'reason' | 'via'>
  private readonly detach: Array<() => void> = []

  constructor (node: MeteredNode, registry: Registry) {
    this.node = node
    registerGauges(node, registry)
    const registers = [registry]
    this.replicationLag = new Histogram({
      name: 'overmind_replication_lag_seconds',
      help: 'Seconds from the moment another node wrote an entry (its HLC wall time) to the moment this node stored it, by zone',
      labelNames: ['zone'],
      buckets: LAG_BUCKETS,
      registers
    })
    this.runDuration = new Histogram({
      name: 'overmind_run_duration_seconds',
      help: 'Seconds from asking for a run to its end, by agent, role of this node (caller or host) and outcome (ok, failed, cancelled, deadline, busy, refused: a cancelled or timed-out run is not a failure)',
      labelNames: ['agent', 'role', 'outcome'],
      buckets: RUN_BUCKETS,
      registers
    })
    this.runRequests = new Counter({
      name: 'overmind_run_requests_total',
      help: 'Run requests from other nodes, by the answer of this host (accepted, busy, refused)',
      labelNames: ['status'],
      registers
    })
    this.rejected = new Counter({
      name: 'overmind_rejected_messages_total',
      help: 'Messages from peers refused by a check, by kind (heartbeat, entry), reason and how they came (gossip, sync)',
      labelNames: ['kind', 'reason', 'via'],
      registers
    })
  }

  /** Follows the events of the memory store and the services */
  start (): void {
    const { heartbeat, runAgent, knowledge, memorySync } = this.node.libp2p.services
    const memory = this.node.memory
    if (memory != null) {
      this.listen(memory, 'entry', (evt: CustomEvent<StoredEntryEvent>) => { this.onEntry(evt.detail) })
    }
    this.listen(runAgent, 'run:end', (evt: CustomEvent<RunRecord>) => { this.onRunEnd(evt.detail) })
    this.listen(runAgent, 'run:answered', (evt: CustomEvent<RunAnsweredEvent>) => { this.runRequests.inc({ status: evt.detail.status }) })
    this.listen(heartbeat, 'heartbeat:rejected', (evt: CustomEvent<HeartbeatRejection>) => {
      this.rejected.inc({ kind: 'heartbeat', reason: evt.detail.reason, via: 'gossip' })
    })
    const onEntryRejected = (evt: CustomEvent<EntryRejection>): void => {
      this.rejected.inc({ kind: 'entry', reason: evt.detail.reason, via: evt.detail.via })
    }
    if (knowledge != null) this.listen(knowledge, 'entry:rejected', onEntryRejected)
    if (memorySync != null) this.listen(memorySync, 'entry:rejected', onEntryRejected)
  }

  /** Removes every listener `start()` added */
  stop (): void {
    for (const undo of this.detach.splice(0)) undo()
  }

  private listen (target: EventTarget, type: string, fn: (evt: any) => void): void {
    target.addEventListener(type, fn)
    this.detach.push(() => { target.removeEventListener(type, fn) })
  }

  private onEntry ({ entry, origin }: StoredEntryEvent): void {
    // imports of this node's own entries say nothing about replication
    if (origin !== 'remote' || entry.author.toString() === this.node.peerId) return
    const lag = (Date.now() - Number(entry.body.hlcWallTime)) / 1000
    // an author's clock may run a little ahead of ours
    this.replicationLag.observe({ zone: zoneName(entry.body.zone) }, Math.max(0, lag))
  }

  private onRunEnd (record: RunRecord): void {
    const seconds = ((record.endedAt ?? Date.now()) - record.startedAt) / 1000
    this.runDuration.observe({ agent: record.agent, role: record.role, outcome: record.state }, seconds)
  }
}
