import { MAX_QUERY_TEXT_LENGTH } from '@overmind/protocols'
import { operation, parseParams } from '@overmind/node'
import { mockOutput, runInput } from './agents.js'
import { RUN_CAUSES, runCause } from './causes.js'
import type { RunCause } from './causes.js'
import type { Scenario } from './scenario.js'
import type { RunEvent, Schedule, SearchEvent, SimEvent } from './schedule.js'
import type { Attempt } from '@overmind/agents'
import type { Operation, OvermindNode } from '@overmind/node'

/** The runs of a scenario: how many, how they ended, how long those that succeeded took */
export interface RunsReport {
  /** Runs started: scheduled on a node that was up */
  requested: number
  succeeded: number
  failed: number
  /** Scheduled on a node that was down */
  skipped: number
  /** Failed runs by cause: the error the node's router raised (`busy`: AllHostsBusyError, `deadline`, `agent-failed`, `no-host`…) */
  byCause: Partial<Record<RunCause, number>>
  /** Runs that succeeded on a host tried after another answered busy, refused or failed */
  retried: number
  /** Runs that succeeded, by the index of the node that ran them */
  hosts: Record<string, number>
  /** succeeded / requested (null: none requested) */
  successRate: number | null
  /** ms from start to result of the runs that succeeded */
  p50: number | null
  p99: number | null
  max: number | null
}

/** The searches of a scenario, each for the text of a write acknowledged earlier */
export interface SearchesReport {
  /** Searches made: `local` on the node's own memory, `federated` asking its peers too */
  done: number
  local: number
  federated: number
  /** Searches whose results held the write searched for */
  found: number
  /** Searches that threw (they count as not finding it) */
  failed: number
  /** Scheduled on a node that was down, or for a write that was not acknowledged */
  skipped: number
  /** found / done (null: none done) */
  completeness: number | null
  /** ms per search */
  p50: number | null
  p99: number | null
}

export interface WorkloadDeps {
  /** ms since the simulation started */
  now(): number
  /** The index of the node of a peer id */
  indexOf(peerId: string): number | undefined
}

/** A node in a process of its own: its operations over its local API (JSON-RPC) */
export interface RemoteNode {
  rpc(method: string, params: Record<string, unknown>): Promise<unknown>
}

/**
 * The runs and searches of a scenario on its nodes. A run is the
 * `agent.run` operation, and a search `memory.search`, of the node the
 * schedule names: what `overmind run` and the local API call, so a run is
 * routed by the node's real router (its own slots first, then hosts known
 * from heartbeats or the DHT, busy hosts and failures retried elsewhere).
 */
export class SimWorkload {
  private readonly scenario: Scenario
  private readonly deps: WorkloadDeps
  private readonly run: Operation<any>
  private readonly search: Operation<any>
  private readonly writes: SimEvent[]
  private readonly writeIndex: Map<SimEvent, number>
  /** Bytes of output of the runs' agent */
  private readonly outputSize: number
  /** Chunk ids of the writes acknowledged, by write index */
  private readonly acks = new Map<number, string>()
  private readonly pending = new Set<Promise<void>>()
  private readonly runLatencies: number[] = []
  private readonly searchLatencies: number[] = []
  private readonly runs: RunsReport = { requested: 0, succeeded: 0, failed: 0, skipped: 0, byCause: {}, retried: 0, hosts: {}, successRate: null, p50: null, p99: null, max: null }
  private readonly searches: SearchesReport = { done: 0, local: 0, federated: 0, found: 0, failed: 0, skipped: 0, completeness: null, p50: null, p99: null }

  constructor (scenario: Scenario, plan: Schedule, deps: WorkloadDeps) {
    this.scenario = scenario
    this.deps = deps
    this.writes = plan.events.filter(e => e.kind === 'write')
    this.writeIndex = new Map(this.writes.map((write, i) => [write, i]))
    this.outputSize = scenario.agents.find(a => a.name === scenario.workload.runs?.agent)?.outputSize ?? 0
    const op = (method: string): Operation<any> => {
      const found = operation(method)
      if (found == null) throw new Error(`the node has no ${method} operation`)
      return found
    }
    this.run = op('agent.run')
    this.search = op('memory.search')
  }

  /** Runs started so far */
  get started (): number {
    return this.runs.requested
  }

  /** Notes that a write of the schedule was acknowledged as chunk `id` */
  acked (write: SimEvent, id: string): void {
    const index = this.writeIndex.get(write)
    if (index != null) this.acks.set(index, id)
  }

  /** Starts a run or a search on `node` (undefined: the node is down) */
  start (event: RunEvent | SearchEvent, node: OvermindNode | RemoteNode | undefined): void {
    const done = event.kind === 'run' ? this.startRun(event, node) : this.startSearch(event, node)
    this.pending.add(done)
    void done.finally(() => this.pending.delete(done))
  }

  /** Resolves when every run and search started has ended */
  async settled (): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending])
  }

  report (): { runs: RunsReport, searches: SearchesReport } {
    const runs = this.runs
    const latencies = [...this.runLatencies].sort((a, b) => a - b)
    const times = [...this.searchLatencies].sort((a, b) => a - b)
    return {
      runs: {
        ...runs,
        byCause: { ...runs.byCause },
        hosts: { ...runs.hosts },
        successRate: runs.requested === 0 ? null : runs.succeeded / runs.requested,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        max: latencies.length === 0 ? null : Math.round(latencies[latencies.length - 1])
      },
      searches: {
        ...this.searches,
        completeness: this.searches.done === 0 ? null : this.searches.found / this.searches.done,
        p50: percentile(times, 0.5),
        p99: percentile(times, 0.99)
      }
    }
  }

  private async startRun (event: RunEvent, node: OvermindNode | RemoteNode | undefined): Promise<void> {
    const spec = this.scenario.workload.runs
    if (spec == null) return
    if (node == null) {
      this.runs.skipped++
      return
    }
    this.runs.requested++
    const started = this.deps.now()
    try {
      const params = parseParams(this.run, { agent: spec.agent, input: runInput(event.index), deadline: spec.deadline == null ? undefined : Math.max(1, Math.round(spec.deadline)) })
      const result = await call(this.run, node, params) as { output: string, host: string, attempts: Attempt[] }
      if (result.output !== mockOutput(event.index, this.outputSize)) {
        this.fail('wrong-output')
        return
      }
      this.runs.succeeded++
      if (result.attempts.length > 1) this.runs.retried++
      this.runLatencies.push(this.deps.now() - started)
      const host = String(this.deps.indexOf(result.host) ?? result.host)
      this.runs.hosts[host] = (this.runs.hosts[host] ?? 0) + 1
    } catch (err) {
      this.fail(runCause(err))
    }
  }

  private fail (cause: RunCause): void {
    this.runs.failed++
    this.runs.byCause[cause] = (this.runs.byCause[cause] ?? 0) + 1
  }

  private async startSearch (event: SearchEvent, node: OvermindNode | RemoteNode | undefined): Promise<void> {
    const spec = this.scenario.workload.searches
    const id = this.acks.get(event.write)
    const write = this.writes[event.write]
    if (spec == null || node == null || id == null || write?.kind !== 'write') {
      this.searches.skipped++
      return
    }
    // a search of a node's own memory for a write that has not reached it yet says nothing of
    // search (delivery measures replication): it is skipped, as one for a write not acknowledged
    if (!event.federated && !await holds(node, id)) {
      this.searches.skipped++
      return
    }
    this.searches.done++
    this.searches[event.federated ? 'federated' : 'local']++
    const started = this.deps.now()
    try {
      const params = parseParams(this.search, { query: write.text.slice(0, MAX_QUERY_TEXT_LENGTH), k: spec.k, federated: event.federated })
      const { results } = await call(this.search, node, params) as { results: Array<{ id: string }> }
      this.searchLatencies.push(this.deps.now() - started)
      if (results.some(r => r.id === id)) this.searches.found++
    } catch {
      this.searches.failed++
    }
  }
}

/** Whether a node's memory holds an entry: its store in this process, or its API */
async function holds (node: OvermindNode | RemoteNode, id: string): Promise<boolean> {
  if (!('rpc' in node)) return node.memory?.holds(id) ?? false
  try {
    await node.rpc('memory.get', { id })
    return true
  } catch {
    return false
  }
}

/** An operation of a node in this process, or over the API of one in its own */
async function call (op: Operation<any>, node: OvermindNode | RemoteNode, params: Record<string, unknown>): Promise<unknown> {
  return 'rpc' in node ? await node.rpc(op.method, params) : await op.run(node, params as any, {})
}

/** A figure of the runs or searches by its `expect:` key, or undefined for a key of another part of the report */
export function workloadFigure (report: { runs: RunsReport, searches: SearchesReport }, key: string): number | null | undefined {
  const { runs, searches } = report
  const cause = key.startsWith('runs.byCause.') ? key.slice('runs.byCause.'.length) : undefined
  if (cause != null && (RUN_CAUSES as readonly string[]).includes(cause)) return runs.byCause[cause as RunCause] ?? 0
  switch (key) {
    case 'runs.requested': return runs.requested
    case 'runs.succeeded': return runs.succeeded
    case 'runs.failed': return runs.failed
    case 'runs.successRate': return runs.successRate
    case 'runs.p50': return runs.p50
    case 'runs.p99': return runs.p99
    case 'runs.max': return runs.max
    case 'searches.done': return searches.done
    case 'searches.completeness': return searches.completeness
    case 'searches.p50': return searches.p50
    case 'searches.p99': return searches.p99
    default: return undefined
  }
}

export function percentile (sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))])
}
