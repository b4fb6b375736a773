import { availableParallelism } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Fault } from './scenario.js'
import type { IntervalHistogram } from 'node:perf_hooks'

/** The state of a run at one moment, sampled once a second while the workload runs */
export interface TimelineSample {
  /** ms since the workload started */
  at: number
  /** Nodes running */
  up: number
  /** Faults applied so far */
  faults: number
  /** Writes acknowledged so far */
  writes: number
  /** Deliveries so far: entries written elsewhere that arrived at a node, counted once per node */
  deliveries: number
  /** CPU (user + system) the process used since the last sample, in cores; in-process, all nodes up share it */
  cpuCores: number
  /** Resident memory of the process divided by the nodes up, MB (in-process, nodes share one heap) */
  rssMbPerNode: number
  /** p99 of the event-loop delay since the last sample, ms: how late the nodes' timers and I/O callbacks ran */
  eventLoopDelayP99Ms: number
}

/** What the run cost this machine over the workload */
export interface SimResources {
  /** CPU (user + system) of the process over the workload, in cores; per node in-process: this divided by the nodes up */
  cpuCoresAvg: number
  /** The busiest second */
  cpuCoresMax: number
  /** The largest resident memory of the process divided by the nodes up, MB */
  rssMbPerNodeMax: number
  /** p99 of the event-loop delay over the whole workload, ms */
  eventLoopDelayP99Ms: number
  /** Cores this machine gives the run (`os.availableParallelism()`) */
  cores: number
  /** mode: processes: each node's own process, over the whole run (every process it ran as, if restarted) */
  perNode?: NodeResources[]
}

/** What one node's processes cost, read from /proc */
export interface NodeResources {
  node: number
  /** CPU (user + system) of its processes, seconds */
  cpuSeconds: number
  /** The largest resident memory of its process, MB */
  rssMbMax: number
  /** Its event loop's delay p99 since its last start, ms, as its status reports it at the end (null: down) */
  eventLoopDelayP99Ms: number | null
}

/** A fault as applied, for the markers of the timeline */
export interface AppliedFault {
  /** ms since the workload started */
  at: number
  /** e.g. "kill 2", "partition 0 1 | 2 3", "heal" */
  fault: string
}

/** A bucket of the histogram of delivery latencies: `count` deliveries took from `fromMs` to less than `toMs` (null: no bound) */
export interface LatencyBucket {
  fromMs: number
  toMs: number | null
  count: number
}

/** What a run counts, read at each sample */
export interface TimelineCounts {
  up: number
  faults: number
  writes: number
  deliveries: number
}

/** Event-loop delay is sampled every RESOLUTION_MS */
export const RESOLUTION_MS = 10
const BUCKET_BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 30_000, 60_000]

export function faultLabel (fault: Fault): string {
  if (fault.partition != null) return `partition ${fault.partition.map(group => group.join(' ')).join(' | ')}`
  if (fault.heal === true) return 'heal'
  if (fault.kill != null) return `kill ${fault.kill}`
  if (fault.restart != null) return `restart ${fault.restart}`
  if (fault.hostile != null) return `hostile ${fault.hostile}`
  if (fault.hang != null) return `hang ${fault.hang} for ${(fault.for ?? 0) / 1000} s`
  if (fault.churn != null) return `churn ${Math.round(fault.churn * 60 * 10) / 10}/min for ${(fault.for ?? 0) / 1000} s`
  if (fault.latency != null || fault.jitter != null || fault.loss != null) {
    const what = [
      fault.latency != null ? `+${fault.latency} ms` : '',
      fault.jitter != null ? `±${fault.jitter} ms` : '',
      fault.loss != null ? `${Math.round(fault.loss * 1000) / 10}% loss` : ''
    ].filter(part => part !== '').join(' ')
    const where = fault.link != null ? `link ${fault.link[0]}-${fault.link[1]}` : fault.on == null || fault.on === 'all' ? 'every link' : `links of ${fault.on.join(' ')}`
    return `${what} on ${where}${fault.for != null ? ` for ${fault.for / 1000} s` : ''}`
  }
  return 'fault'
}

/** Counts delivery latencies (ms) into fixed buckets: 0–1, 1–2, 2–5, 5–10 … 60 s, over 60 s */
export function latencyHistogram (latencies: number[]): LatencyBucket[] {
  const buckets: LatencyBucket[] = BUCKET_BOUNDS_MS.map((toMs, i) => ({ fromMs: i === 0 ? 0 : BUCKET_BOUNDS_MS[i - 1], toMs, count: 0 }))
  buckets.push({ fromMs: BUCKET_BOUNDS_MS[BUCKET_BOUNDS_MS.length - 1], toMs: null, count: 0 })
  for (const latency of latencies) {
    const i = BUCKET_BOUNDS_MS.findIndex(bound => latency < bound)
    buckets[i === -1 ? buckets.length - 1 : i].count++
  }
  return buckets
}

/**
 * Samples the process while a scenario's workload runs: call `sample()`
 * once a second and `fault()` as each fault is applied, then `stop()`.
 * In-process, every node shares the process, so CPU and memory are the
 * process's, and "per node" is divided by the nodes up.
 */
export class TimelineRecorder {
  private readonly started = performance.now()
  private readonly cpuStarted = process.cpuUsage()
  private last = { at: this.started, cpu: this.cpuStarted }
  private readonly samples: TimelineSample[] = []
  private readonly faults: AppliedFault[] = []
  /** Reset at each sample */
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  /** Over the whole workload */
  private readonly delayWhole: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })

  constructor () {
    this.delay.enable()
    this.delayWhole.enable()
  }

  /**
   * @param threads - the event-loop delay p99 of each worker thread since the last sample, when nodes run in workers
   */
  sample (counts: TimelineCounts, threads?: number[]): TimelineSample {
    const at = performance.now()
    const cpu = process.cpuUsage()
    const sample: TimelineSample = {
      at: Math.round(at - this.started),
      ...counts,
      cpuCores: round(cores(cpu, this.last.cpu, at - this.last.at), 100),
      rssMbPerNode: round(process.memoryUsage.rss() / Math.max(1, counts.up) / 1024 / 1024, 10),
      eventLoopDelayP99Ms: Math.max(p99Ms(this.delay), ...(threads ?? []))
    }
    this.delay.reset()
    this.last = { at, cpu }
    this.samples.push(sample)
    return sample
  }

  fault (fault: Fault): void {
    this.faults.push({ at: Math.round(performance.now() - this.started), fault: faultLabel(fault) })
  }

  /** Stops sampling; the samples, faults and resources of the workload */
  stop (): { timeline: TimelineSample[], faultsApplied: AppliedFault[], resources: SimResources } {
    this.delay.disable()
    this.delayWhole.disable()
    const resources: SimResources = {
      cpuCoresAvg: round(cores(process.cpuUsage(), this.cpuStarted, performance.now() - this.started), 100),
      cpuCoresMax: Math.max(0, ...this.samples.map(s => s.cpuCores)),
      rssMbPerNodeMax: Math.max(0, ...this.samples.map(s => s.rssMbPerNode)),
      eventLoopDelayP99Ms: p99Ms(this.delayWhole),
      cores: availableParallelism()
    }
    return { timeline: this.samples, faultsApplied: this.faults, resources }
  }
}

/** Resources before a workload has run */
export function noResources (): SimResources {
  return { cpuCoresAvg: 0, cpuCoresMax: 0, rssMbPerNodeMax: 0, eventLoopDelayP99Ms: 0, cores: availableParallelism() }
}

function cores (now: NodeJS.CpuUsage, before: NodeJS.CpuUsage, wallMs: number): number {
  if (wallMs <= 0) return 0
  return (now.user - before.user + now.system - before.system) / 1000 / wallMs
}

/** The p99 of an event-loop delay histogram, in ms */
export function p99Ms (histogram: IntervalHistogram): number {
  return histogram.count === 0 ? 0 : round(histogram.percentile(99) / 1e6, 10)
}

function round (value: number, per: number): number {
  return Math.round(value * per) / per
}
