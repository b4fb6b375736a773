import { execFile, execFileSync, spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { updateConfigFile } from '@overmind/config'
import { API_STATE_FILE, ApiClient, CONFIG_FILE, openDataDir, openMemoryStore } from '@overmind/node'
import { LinkShaper, isLinkFault } from './links.js'
import { NetnsNetwork, netemUnavailable, netnsUnavailable } from './netns.js'
import { TimelineRecorder, latencyHistogram } from './timeline.js'
import { linkReport } from './topology.js'
import { SimWorkload, percentile } from './workload.js'
import type { RunScenarioOptions, SimReport } from './run.js'
import type { Scenario } from './scenario.js'
import type { Schedule } from './schedule.js'
import type { NodeResources } from './timeline.js'
import type { OpenConnection } from './topology.js'
import type { NetnsNode } from './netns.js'
import type { RemoteNode } from './workload.js'
import type { NodeStatus, PeerReport, RpcResponse } from '@overmind/node'
import type { ChildProcess } from 'node:child_process'

/** How often the simulator asks the nodes which writes they hold: the resolution of delivery latencies */
export const DELIVERY_POLL_MS = 250
/** How long the mesh is given to form before the workload starts regardless */
const FORMATION_MS = 60_000
/** How long a node process is given to answer on its API after its spawn */
const START_MS = 30_000
/** How long a node is given to exit on SIGTERM before SIGKILL */
const STOP_MS = 15_000
/** Most requests in one JSON-RPC batch of the local API */
const RPC_BATCH = 100
/** How much of a node's stderr is kept, for the error when it fails to start */
const STDERR_TAIL = 4_096
/** The bootstrap peers a node is given: the first ones up */
const BOOTSTRAP_PEERS = 3

const run = promisify(execFile)

/**
 * One node of the mesh as an operator runs it: a data dir made by
 * `overmind init`, an `overmind start` process on it, driven through its
 * local API
 */
export class NodeProcess implements RemoteNode {
  readonly index: number
  readonly dataDir: string
  private readonly cli: string
  child?: ChildProcess
  api?: ApiClient
  peerId?: string
  /** Its TCP address, as its status gave it at its last start */
  address?: string
  /** Paused with SIGSTOP: its API does not answer */
  hung = false
  stderr = ''
  private exited?: Promise<void>
  /** mode: netns: the node's namespace and address; otherwise it runs here, on loopback */
  private readonly net?: NetnsNode
  private readonly netns?: NetnsNetwork

  constructor (index: number, dataDir: string, cli: string, netns?: NetnsNetwork) {
    this.index = index
    this.dataDir = dataDir
    this.cli = cli
    this.netns = netns
    this.net = netns?.nodes[index]
  }

  /** Running, and its API answered since its start */
  get up (): boolean {
    return this.api != null
  }

  /** `overmind init`, sharing `meshKeyFile` when given, then the scenario's settings in its config file */
  async init (mesh: string, scenario: Scenario, meshKeyFile?: string): Promise<void> {
    const args = [this.cli, 'init', '--data-dir', this.dataDir, '--mesh', mesh, ...(meshKeyFile != null ? ['--mesh-key-file', meshKeyFile] : [])]
    await run(process.execPath, args, { timeout: START_MS }).catch((err: any) => {
      throw new Error(`overmind init of node ${this.index} failed: ${err.stderr ?? err.message}`, { cause: err })
    })
    await updateConfigFile(join(this.dataDir, CONFIG_FILE), {
      listen: [`/ip4/${this.net?.ip ?? '127.0.0.1'}/tcp/0`],
      'api.port': 0,
      'api.rateLimit': 0,
      // in its own namespace, the API listens on the switch, where the simulator reaches it (with the token)
      ...(this.net != null ? { 'api.host': this.net.ip, 'api.insecure': true } : {}),
      'heartbeat.interval': `${scenario.nodes.heartbeat}ms`,
      'discovery.rejoinInterval': '2s',
      'memory.embedder': scenario.nodes.embedder,
      'memory.syncInterval': `${scenario.nodes.syncInterval}ms`,
      // the workload's writes are alike: convergence signals would be events of their own beside it
      'memory.signalAgents': 0,
      'connections.allow': [this.net != null ? '/ip4/10.88.0.0/ipcidr/16' : '/ip4/127.0.0.0/ipcidr/8'],
      'log.level': 'warn'
    })
  }

  /** Spawns `overmind start` and waits until its API answers with its status */
  async start (bootstrap: string[]): Promise<void> {
    const command = [process.execPath, this.cli, 'start', '--data-dir', this.dataDir, '--no-mdns', ...bootstrap.flatMap(b => ['--bootstrap', b])]
    // `ip netns exec` execs the node in its namespace: the pid is the node's, for signals and /proc
    const [file, ...args] = this.netns != null ? this.netns.exec(this.index, command) : command
    const child = spawn(file, args, {
      stdio: ['ignore', 'ignore', 'pipe']
    })
    this.child = child
    this.stderr = ''
    child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-STDERR_TAIL) })
    let exit: { code: number | null, signal: string | null } | undefined
    this.exited = new Promise(resolve => {
      const ended = (code: number | null, signal: string | null): void => {
        exit ??= { code, signal }
        if (this.child === child) {
          this.child = undefined
          this.api = undefined
        }
        resolve()
      }
      child.once('exit', ended)
      child.once('error', err => { ended(null, err.message) })
    })
    const deadline = performance.now() + START_MS
    for (;;) {
      if (exit != null) throw new Error(`node ${this.index} exited with ${exit.signal ?? exit.code} as it started: ${this.stderr.trim()}`)
      if (performance.now() > deadline) {
        child.kill('SIGKILL')
        throw new Error(`node ${this.index} did not answer on its API within ${START_MS / 1000} s: ${this.stderr.trim()}`)
      }
      const api = await this.client(child.pid)
      const status = await api?.get<NodeStatus>('/v1/status').catch(() => undefined)
      if (api != null && status != null) {
        this.api = api
        this.peerId = status.peerId
        this.address = status.addresses.find(a => a.includes('/tcp/') && !a.includes('/ws'))
        return
      }
      await sleep(100)
    }
  }

  /** A client of the API of process `pid`, once that process has written its address (a restart leaves the last one's) */
  private async client (pid: number | undefined): Promise<ApiClient | undefined> {
    try {
      const state = JSON.parse(await readFile(join(this.dataDir, API_STATE_FILE), 'utf8'))
      if (state.pid !== pid) return undefined
      return await ApiClient.forDataDir(this.dataDir, { timeout: 10_000 })
    } catch {
      return undefined
    }
  }

  /** A crash: SIGKILL, its data dir stays */
  async kill (): Promise<void> {
    this.api = undefined
    this.hung = false
    this.child?.kill('SIGKILL')
    await this.exited
  }

  pause (): void {
    if (this.child?.kill('SIGSTOP') === true) this.hung = true
  }

  resume (): void {
    if (this.hung) this.child?.kill('SIGCONT')
    this.hung = false
  }

  /** SIGTERM, as an operator stops a node; SIGKILL when it does not exit in time */
  async stop (): Promise<void> {
    const child = this.child
    if (child == null) return
    this.resume()
    this.api = undefined
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS)
    await this.exited
    clearTimeout(timer)
  }

  /** One operation over JSON-RPC: what the workload's searches call */
  async rpc (method: string, params: Record<string, unknown>): Promise<unknown> {
    const [answer] = await this.batch([{ method, params }])
    if ('error' in answer) throw Object.assign(new Error(answer.error.message), { name: (answer.error.data as any)?.name ?? 'RpcError' })
    return answer.result
  }

  /** Several operations in one JSON-RPC batch; the answers in the order of the calls */
  async batch (calls: Array<{ method: string, params: Record<string, unknown> }>, timeout?: number): Promise<RpcResponse[]> {
    if (this.api == null) throw new Error(`node ${this.index} is down`)
    const answers = await this.api.post<RpcResponse[]>('/rpc', calls.map((c, id) => ({ jsonrpc: '2.0', id, ...c })), { timeout })
    return [...answers].sort((a, b) => Number(a.id) - Number(b.id))
  }
}

/**
 * Which node holds which acknowledged write, learnt by asking each node up
 * every DELIVERY_POLL_MS for the ids it still misses (one JSON-RPC batch of
 * `memory.get` per node and poll): a delivery is timed at the first poll
 * that finds it
 */
class DeliveryPoller {
  readonly acked = new Map<string, { at: number, from: number }>()
  readonly latencies: number[] = []
  deliveries = 0
  private readonly held: Array<Set<string>>
  private readonly missing: Array<Set<string>>
  private readonly busy = new Set<number>()
  private timer?: ReturnType<typeof setInterval>

  constructor (private readonly nodes: NodeProcess[], private readonly now: () => number) {
    this.held = nodes.map(() => new Set())
    this.missing = nodes.map(() => new Set())
  }

  start (): void {
    this.timer = setInterval(() => { for (const node of this.nodes) void this.poll(node) }, DELIVERY_POLL_MS)
  }

  stop (): void {
    clearInterval(this.timer)
  }

  ack (id: string, from: number): void {
    this.acked.set(id, { at: this.now(), from })
    this.held[from].add(id)
    this.nodes.forEach((_, i) => { if (i !== from) this.missing[i].add(id) })
  }

  holds (node: number, id: string): boolean {
    return this.held[node].has(id)
  }

  private async poll (node: NodeProcess): Promise<void> {
    const missing = [...this.missing[node.index]]
    if (missing.length === 0 || !node.up || node.hung || this.busy.has(node.index)) return
    this.busy.add(node.index)
    try {
      for (let i = 0; i < missing.length; i += RPC_BATCH) {
        const ids = missing.slice(i, i + RPC_BATCH)
        const answers = await node.batch(ids.map(id => ({ method: 'memory.get', params: { id } })), DELIVERY_POLL_MS * 4)
        const at = this.now()
        answers.forEach((answer, j) => {
          if (!('result' in answer) || !this.missing[node.index].delete(ids[j])) return
          this.held[node.index].add(ids[j])
          this.deliveries++
          this.latencies.push(Math.max(0, at - (this.acked.get(ids[j])?.at ?? at)))
        })
      }
    } catch {
      // down, hung or slow: the next poll asks again
    } finally {
      this.busy.delete(node.index)
    }
  }
}

/**
 * CPU and resident memory of each node's process, read from /proc (Linux;
 * elsewhere the figures stay 0): per node over the run, and summed for the
 * timeline
 */
class ProcessMeter {
  private readonly ticksPerSecond = clockTicks()
  /** CPU ticks last read, by pid, per node */
  private readonly ticks: Array<Map<number, number>>
  private readonly rssMax: number[]
  private last = { at: performance.now(), ticks: 0 }

  constructor (count: number) {
    this.ticks = Array.from({ length: count }, () => new Map())
    this.rssMax = new Array(count).fill(0)
  }

  /** Reads every node process; the CPU cores they used since the last sample, and the resident MB of each one up */
  async sample (nodes: NodeProcess[]): Promise<{ cpuCores: number, rssMb: number[] }> {
    const rssMb = (await Promise.all(nodes.map(async node => await this.read(node)))).filter(mb => mb != null)
    const at = performance.now()
    const ticks = this.cpuSeconds() * this.ticksPerSecond
    const cpuCores = at > this.last.at ? (ticks - this.last.ticks) / this.ticksPerSecond / ((at - this.last.at) / 1000) : 0
    this.last = { at, ticks }
    return { cpuCores: Math.max(0, cpuCores), rssMb }
  }

  /** Reads a node's process (before it is killed, so its last CPU counts); its resident MB, undefined when down */
  async read (node: NodeProcess): Promise<number | undefined> {
    const pid = node.child?.pid
    if (pid == null) return undefined
    const figures = await procFigures(pid)
    if (figures == null) return undefined
    this.ticks[node.index].set(pid, figures.ticks)
    this.rssMax[node.index] = Math.max(this.rssMax[node.index], figures.rssMb)
    return figures.rssMb
  }

  /** CPU seconds of a node's processes, or of every node's */
  cpuSeconds (node?: number): number {
    const byPid = node == null ? this.ticks : [this.ticks[node]]
    return byPid.reduce((sum, ticks) => sum + [...ticks.values()].reduce((a, b) => a + b, 0), 0) / this.ticksPerSecond
  }

  rssMbMax (node: number): number {
    return this.rssMax[node]
  }
}

/**
 * Runs a scenario with one `overmind start` process per node, as operators
 * run nodes: on loopback TCP (mode: processes), or each in its own network
 * namespace on one switch (mode: netns, where partitions cut the network
 * and tc netem shapes the links). Writes, searches and lookups go through
 * each node's local API, faults are signals (kill: SIGKILL, restart: a new
 * process on the same data dir, hang: SIGSTOP then SIGCONT). Every process,
 * the temp dir and the namespaces are removed at the end, on errors and on
 * Ctrl-C.
 */
export async function runProcesses (scenario: Scenario, plan: Schedule, report: SimReport, options: RunScenarioOptions = {}): Promise<SimReport> {
  const cli = options.cli ?? process.argv[1]
  if (cli == null) throw new Error(`mode: ${scenario.mode} needs the overmind CLI to start nodes with: pass \`cli\`, the path of its bin.js`)
  const count = scenario.nodes.count
  const shaper = new LinkShaper(scenario.network)
  const network = scenario.mode === 'netns' ? await netnsFor(scenario, shaper) : undefined
  const dir = await mkdtemp(join(tmpdir(), 'overmind-sim-'))
  const nodes = Array.from({ length: count }, (_, i) => new NodeProcess(i, join(dir, `node-${i}`), cli, network))
  // Ctrl-C: no node outlives the simulator, nor does its data or its network; then the signal does what it would have done
  const interrupted = (signal: NodeJS.Signals): void => {
    process.removeListener('SIGINT', interrupted)
    process.removeListener('SIGTERM', interrupted)
    for (const node of nodes) node.child?.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    network?.destroySync()
    process.kill(process.pid, signal)
  }
  process.once('SIGINT', interrupted)
  process.once('SIGTERM', interrupted)
  const started = performance.now()
  const now = (): number => performance.now() - started
  const byPeer = new Map<string, number>()
  const poller = new DeliveryPoller(nodes, now)
  const meter = new ProcessMeter(count)
  const workload = new SimWorkload(scenario, plan, { now, indexOf: peer => byPeer.get(peer) })
  const live = (): NodeProcess[] => nodes.filter(n => n.up)
  const bootstrapFor = (index: number): string[] => live().filter(n => n.index !== index && n.address != null).slice(0, BOOTSTRAP_PEERS).map(n => n.address as string)
  const start = async (node: NodeProcess): Promise<void> => {
    await node.start(bootstrapFor(node.index))
    if (node.peerId != null) byPeer.set(node.peerId, node.index)
  }

  /** Resolves with the ms until every node up holds every id, or null after `settle` */
  const converge = async (ids: string[], from: number): Promise<number | null> => {
    while (now() - from < scenario.settle) {
      if (live().every(n => ids.every(id => poller.holds(n.index, id)))) return now() - from
      await sleep(DELIVERY_POLL_MS)
    }
    return null
  }

  try {
    const mesh = `sim-${scenario.name.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`.slice(0, 63)
    await nodes[0].init(mesh, scenario)
    await Promise.all(nodes.slice(1).map(async node => { await node.init(mesh, scenario, join(nodes[0].dataDir, 'mesh.key')) }))
    const begun = now()
    await start(nodes[0])
    await Promise.all(nodes.slice(1).map(start))
    report.startMs = Math.round(now() - begun)
    poller.start()
    const formed = now()
    while (now() - formed < FORMATION_MS) {
      const tables = await Promise.all(live().map(async n => await n.api?.get<PeerReport[]>('/v1/peers').catch(() => [])))
      if (tables.length === count && tables.every(peers => (peers ?? []).filter(p => p.status === 'connected' || p.status === 'alive').length >= count - 1)) {
        report.formationMs = Math.round(now() - formed)
        break
      }
      await sleep(DELIVERY_POLL_MS)
    }

    const writes: Array<Promise<void>> = []
    /** Writes in a zone that does not replicate, by the node that made them */
    const kept = new Map<string, number>()
    const convergences: Array<Promise<void>> = []
    const resumes: Array<ReturnType<typeof setTimeout>> = []
    let faults = 0
    const clock = performance.now()
    const timeline = new TimelineRecorder()
    await meter.sample(nodes)
    const cpuBefore = meter.cpuSeconds()
    let workloadCpu = { seconds: 0, wall: 0 }
    const sampling = setInterval(() => {
      void (async () => {
        const sample = timeline.sample({ up: live().length, faults, writes: report.writes.done, deliveries: poller.deliveries })
        const [{ cpuCores, rssMb }, delays] = await Promise.all([meter.sample(nodes), eventLoopDelays(nodes)])
        // the nodes' processes, not the simulator's
        sample.cpuCores = round(cpuCores, 100)
        sample.rssMbPerNode = rssMb.length === 0 ? 0 : round(rssMb.reduce((a, b) => a + b, 0) / rssMb.length, 10)
        sample.eventLoopDelayP99Ms = round(Math.max(0, ...delays.map(d => d?.recent.p99 ?? 0)), 10)
      })()
      options.onProgress?.({ elapsed: Math.min(performance.now() - clock, scenario.duration), duration: scenario.duration, up: live().length, nodes: count, faults, writes: report.writes.done, runs: workload.started })
    }, 1_000)
    sampling.unref()
    try {
      for (const event of plan.events) {
        const wait = event.at - (performance.now() - clock)
        if (wait > 0) await sleep(wait)
        if (event.kind === 'run' || event.kind === 'search') {
          workload.start(event, nodes[event.node].up ? nodes[event.node] : undefined)
          continue
        }
        if (event.kind === 'write') {
          const node = nodes[event.node]
          if (node.api == null) {
            report.writes.skipped++
            continue
          }
          writes.push(node.api.post<{ id: string }>('/v1/memory/chunks', { text: event.text, zone: event.zone }, { timeout: 30_000 }).then(chunk => {
            report.writes.done++
            report.zones[event.zone ?? 'federation']++
            if (event.zone != null) {
              // a zone that does not replicate: it must stay on its node
              kept.set(chunk.id, node.index)
              return
            }
            poller.ack(chunk.id, node.index)
            workload.acked(event, chunk.id)
          }, () => { report.writes.failed++ }))
          continue
        }
        const { fault } = event
        faults++
        timeline.fault(fault)
        if (fault.kill != null) {
          await meter.read(nodes[fault.kill])
          await nodes[fault.kill].kill()
        } else if (fault.restart != null) {
          // a process takes seconds to start: the workload goes on meanwhile, and the node's writes are skipped until it is up
          const node = nodes[fault.restart]
          const up = node.up ? Promise.resolve() : node.child == null ? start(node) : undefined
          if (up != null) {
            const converged = up.then(async () => {
              const ms = await converge([...poller.acked.keys()], now())
              report.convergence.push({ at: Math.round(event.at), fault: `restart ${fault.restart}`, ms: ms == null ? null : Math.round(ms) })
            })
            // a node that fails to start fails the run, once the workload is over
            converged.catch(() => {})
            convergences.push(converged)
          }
        } else if (fault.hang != null) {
          const node = nodes[fault.hang]
          node.pause()
          resumes.push(setTimeout(() => { node.resume() }, fault.for))
        } else if (network != null && fault.partition != null) {
          await network.partition(fault.partition)
        } else if (network != null && fault.heal === true) {
          await network.heal()
          const at = now()
          convergences.push(converge([...poller.acked.keys()], at).then(ms => {
            report.convergence.push({ at: Math.round(event.at), fault: 'heal', ms: ms == null ? null : Math.round(ms) })
          }))
        } else if (network != null && isLinkFault(fault)) {
          const at = now()
          shaper.apply(fault, at)
          const covered = fault.on == null || fault.on === 'all' ? nodes.map(n => n.index) : fault.on
          const reshape = async (): Promise<void> => {
            for (const index of covered) await network.shape(index, shaper.portShape(index, now()))
          }
          await reshape()
          if (fault.for != null) resumes.push(setTimeout(() => { reshape().catch(() => {}) }, fault.for))
        }
      }
      const rest = scenario.duration - (performance.now() - clock)
      if (rest > 0) await sleep(rest)
      await Promise.all(writes)
      await workload.settled()
      await Promise.all(convergences)
    } finally {
      clearInterval(sampling)
      Object.assign(report, timeline.stop())
      await meter.sample(nodes)
      workloadCpu = { seconds: meter.cpuSeconds() - cpuBefore, wall: (performance.now() - clock) / 1000 }
      for (const timer of resumes) clearTimeout(timer)
      for (const node of nodes) node.resume()
    }

    // the end: every node up is given `settle` to hold every acknowledged write
    await converge([...poller.acked.keys()], now())
    poller.stop()
    const up = live()
    for (const [id, { from }] of poller.acked) {
      for (const node of up) {
        if (node.index === from) continue
        report.delivery.expected++
        if (poller.holds(node.index, id)) report.delivery.delivered++
      }
    }
    const latencies = [...poller.latencies].sort((a, b) => a - b)
    report.deliveryHistogram = latencyHistogram(latencies)
    report.delivery.ratio = report.delivery.expected === 0 ? 1 : report.delivery.delivered / report.delivery.expected
    report.delivery.p50 = percentile(latencies, 0.5)
    report.delivery.p99 = percentile(latencies, 0.99)
    report.delivery.max = latencies.length > 0 ? Math.round(latencies[latencies.length - 1]) : null
    report.convergence.sort((a, b) => a.at - b.at)
    report.convergenceMax = report.convergence.length === 0 ? null : report.convergence.some(c => c.ms == null) ? null : Math.max(...report.convergence.map(c => c.ms as number))
    // a private or shared write found on any other node is a leak
    await Promise.all(up.map(async node => {
      const ids = [...kept].filter(([, from]) => from !== node.index).map(([id]) => id)
      for (let i = 0; i < ids.length; i += RPC_BATCH) {
        const answers = await node.batch(ids.slice(i, i + RPC_BATCH).map(id => ({ method: 'memory.get', params: { id } }))).catch(() => [])
        report.zones.leaked += answers.filter(answer => 'result' in answer).length
      }
    }))
    const tables = await Promise.all(nodes.map(async n => await n.api?.get<PeerReport[]>('/v1/peers').catch(() => undefined)))
    report.links = linkReport(plan.topology.roles, tables.map(peers => peers?.flatMap(p => p.connections.map((c): OpenConnection => ({ peer: byPeer.get(p.peerId), relayed: c.kind === 'relayed' })))))
    Object.assign(report, workload.report())
    const delays = await eventLoopDelays(nodes)
    await meter.sample(nodes)
    const perNode: NodeResources[] = nodes.map(n => ({ node: n.index, cpuSeconds: round(meter.cpuSeconds(n.index), 100), rssMbMax: meter.rssMbMax(n.index), eventLoopDelayP99Ms: delays[n.index]?.sinceStart.p99 ?? null }))
    report.resources = {
      cpuCoresAvg: workloadCpu.wall > 0 ? round(workloadCpu.seconds / workloadCpu.wall, 100) : 0,
      // the samples' figures are the nodes' once each sample's reads are in
      cpuCoresMax: Math.max(0, ...report.timeline.map(sample => sample.cpuCores)),
      rssMbPerNodeMax: Math.max(0, ...perNode.map(n => n.rssMbMax)),
      eventLoopDelayP99Ms: Math.max(0, ...perNode.map(n => n.eventLoopDelayP99Ms ?? 0)),
      cores: availableParallelism(),
      perNode
    }
    report.memoryPerNodeMb = round(perNode.reduce((sum, n) => sum + n.rssMbMax, 0) / count, 10)
    // the final state is each memory as its node left it, read once the node has stopped
    await Promise.all(up.map(async node => { await node.stop() }))
    const digests = new Set(await Promise.all(up.map(async node => await memoryDigest(node.dataDir))))
    report.final = { converged: digests.size === 1, digests: digests.size }
    return report
  } finally {
    poller.stop()
    process.removeListener('SIGINT', interrupted)
    process.removeListener('SIGTERM', interrupted)
    await Promise.all(nodes.map(async node => { await node.kill() }))
    await rm(dir, { recursive: true, force: true })
    await network?.destroy()
  }
}

/**
 * mode: netns: a network namespace per node on one switch, its links shaped
 * as the scenario's `network` says
 *
 * @throws {Error} when this machine cannot build it, or cannot delay and drop packets and the scenario asks it to
 */
async function netnsFor (scenario: Scenario, shaper: LinkShaper): Promise<NetnsNetwork> {
  const unavailable = await netnsUnavailable()
  if (unavailable != null) throw new Error(`mode: netns cannot run here: ${unavailable}`)
  const { latency, jitter, loss } = scenario.network
  if (latency > 0 || jitter > 0 || loss > 0 || scenario.faults.some(isLinkFault)) {
    const noNetem = await netemUnavailable()
    if (noNetem != null) throw new Error(`mode: netns cannot add latency, jitter or loss here: ${noNetem} (this kernel has no sch_netem); partitions, kills, restarts and hangs work without it`)
  }
  return await NetnsNetwork.create(`om${(process.pid % 1_000_000).toString(36)}`, scenario.nodes.count, shaper.portShape(0, 0), scenario.network.bandwidth)
}

/** Each node's event-loop delay, as its status reports it (undefined: down or hung) */
async function eventLoopDelays (nodes: NodeProcess[]): Promise<Array<NodeStatus['eventLoop'] | undefined>> {
  return await Promise.all(nodes.map(async n => n.hung ? undefined : (await n.api?.get<NodeStatus>('/v1/status').catch(() => undefined))?.eventLoop))
}

/** The digest of the memory in a stopped node's data dir */
async function memoryDigest (dataDir: string): Promise<string> {
  const data = await openDataDir(dataDir)
  const store = await openMemoryStore(data.paths.memory, { config: data.config, privateKey: data.privateKey, createMemory: false })
  try {
    return (await store.digest()).digest
  } finally {
    await store.close()
  }
}

/** CPU ticks (user + system, CLK_TCK a second) and resident MB of a process from /proc, or undefined when it is gone (or there is no /proc) */
export async function procFigures (pid: number): Promise<{ ticks: number, rssMb: number } | undefined> {
  try {
    const [stat, status] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/status`, 'utf8')])
    // the fields after the command name, which may hold spaces: utime and stime are the 12th and 13th
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0)
    return { ticks: Number(fields[11]) + Number(fields[12]), rssMb: round(rssKb / 1024, 10) }
  } catch {
    return undefined
  }
}

function clockTicks (): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
}

function round (value: number, per: number): number {
  return Math.round(value * per) / per
}

async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
