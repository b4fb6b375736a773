import { readFile } from 'node:fs/promises'
import { ConfigError, parseDuration } from '@overmind/config'
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml'
import { z } from 'zod'
import { RUN_CAUSES } from './causes.js'
import { topologyIssues, topologyRoles } from './topology.js'
import type { ConfigIssue } from '@overmind/config'
import type { Document, Node as YamlNode } from 'yaml'

const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return parseDuration(value)
  } catch (err: any) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as "30s" or "500ms", got ${JSON.stringify(value)}` })
    return z.NEVER
  }
})

/** "5/s", "30/m" or a number per second */
const rate = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (typeof value === 'number' && value >= 0) return value
  const match = /^(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)$/.exec(String(value).trim())
  if (match == null) {
    ctx.addIssue({ code: 'custom', message: `expected a rate such as "5/s" or "30/m", got ${JSON.stringify(value)}` })
    return z.NEVER
  }
  return Number(match[1]) / ({ s: 1, m: 60, h: 3600 } as Record<string, number>)[match[2]]
})

/** "10mbit", "512kbit", "1gbit" (tc's units) or a number of bits per second */
const bandwidth = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (typeof value === 'number' && value >= 0) return value
  const match = /^(\d+(?:\.\d+)?)\s*(bit|kbit|mbit|gbit)$/i.exec(String(value).trim())
  if (match == null) {
    ctx.addIssue({ code: 'custom', message: `expected a bandwidth such as "10mbit", "512kbit" or "1gbit", got ${JSON.stringify(value)}` })
    return z.NEVER
  }
  return Number(match[1]) * ({ bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 } as Record<string, number>)[match[2].toLowerCase()]
})

const nodeIndex = z.number().int().nonnegative()

/** Node indexes, or every node */
const nodeSet = z.union([z.literal('all'), z.array(nodeIndex).min(1)])

/** A mock agent the simulator hosts on some nodes, as a real agent of each (`runner: builtin`) */
const agent = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'expected a name of 1 to 63 letters, digits, ".", "_" or "-" that starts with a letter or digit').describe('The name runs ask for'),
  on: nodeSet.describe('The nodes hosting it: a list of node indexes, or "all"'),
  serviceTime: duration.describe('Mean time a run takes, e.g. "200ms"'),
  jitter: duration.default(0).describe('Each run takes the mean plus or minus up to this much, uniformly'),
  outputSize: z.number().int().min(0).max(1024 * 1024).default(100).describe('Bytes of output of a run that succeeds'),
  failureRate: z.number().min(0).max(1).default(0).describe('Share of runs that fail on purpose (after their service time)'),
  concurrency: z.number().int().min(1).max(1024).default(1).describe('Runs of it at the same time on each host; more wait in the host\'s queue')
})

const runs = z.strictObject({
  agent: z.string().min(1).describe('The agent the runs ask for, by name (one of agents)'),
  rate: rate.describe('Runs per second across the mesh, each from a node chosen at random among `from`'),
  /** A flash crowd: another rate for a while */
  peak: z.strictObject({
    at: duration.describe('When the peak starts'),
    for: duration.describe('How long it lasts'),
    rate: rate.describe('Runs per second during the peak')
  }).optional().describe('A flash crowd: during it, runs come at this rate instead'),
  deadline: duration.optional().describe('How long each run may take, retries included (default: the node\'s runs.deadline, 60s)'),
  from: nodeSet.default('all').describe('The nodes runs start from: a list of node indexes, or "all"')
})

const searches = z.strictObject({
  rate: rate.describe('Searches per second across the mesh, each from a node chosen at random, for the text of an earlier write'),
  k: z.number().int().min(1).max(1000).default(10).describe('Results asked for'),
  federated: z.number().min(0).max(1).default(0).describe('Share of searches that ask the connected nodes too; the others search the node\'s own memory'),
  age: duration.default(2_000).describe('A search looks for a write scheduled at least this long before it')
})

const fault = z.strictObject({
  at: duration,
  /** Groups of node indexes that can reach each other and nobody else */
  partition: z.array(z.array(nodeIndex).min(1)).min(2).optional(),
  /** Ends every partition */
  heal: z.literal(true).optional(),
  /** Stops a node (its memory stays on disk) */
  kill: nodeIndex.optional(),
  /** Starts a killed node again, with its identity and memory */
  restart: nodeIndex.optional(),
  /** From then on, the node publishes forged entries (bad signatures) on the knowledge topic, 5 a second */
  hostile: nodeIndex.optional(),
  /** Pauses a node's process (SIGSTOP) for `for`, then resumes it (SIGCONT): mode processes or netns */
  hang: nodeIndex.optional().describe('Pauses the node\'s process (SIGSTOP) for `for`, then resumes it (SIGCONT); mode: processes or netns'),
  /** Nodes leave (killed) and come back (restarted) at this rate, for `for`, each away for `down` */
  churn: rate.optional().describe('Nodes leave and come back at this rate ("6/m"), for `for`, each away for `down`; which nodes and when come from the seed'),
  /** Slows links down: latency, jitter and loss added to the links of `on` (or to `link`) for `for` */
  latency: duration.optional().describe('Adds this one-way delay to the links of `on` (or to `link`), for `for` (or to the end); transport: memory only'),
  jitter: duration.optional().describe('Delays each write on those links by up to this much more or less, uniformly'),
  loss: z.number().min(0).max(0.5).optional().describe('Share of writes on those links lost once and sent again after a retransmission timeout (200 ms), holding up the writes behind them'),
  on: nodeSet.optional().describe('latency, jitter, loss: every link of these nodes (a group: a list of indexes, or "all", the default)'),
  link: z.tuple([nodeIndex, nodeIndex]).optional().describe('latency, jitter, loss: only the link between these two nodes'),
  for: duration.optional().describe('How long a hang, a churn or a slow link lasts, e.g. "4s"'),
  down: duration.optional().describe('churn: how long each node that leaves stays away (default 5s)')
}).refine(f => [f.partition, f.heal, f.kill, f.restart, f.hostile, f.hang, f.churn, f.latency ?? f.jitter ?? f.loss].filter(v => v != null).length === 1, {
  message: 'a fault is one of partition, heal, kill, restart, hostile, hang, churn, or latency / jitter / loss on links'
})

const count = z.number().int()

/** Which nodes may connect, and the part each plays in reaching the others */
const topologySchema = z.union([
  z.enum(['full', 'ring', 'star'], { error: 'expected full, ring, star, or { kind: k-regular | clusters | nat-homes, … }' }).describe('every pair; each to its two neighbours; all through node 0'),
  z.discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('k-regular'),
      degree: count.min(2).describe('Links of every node, to peers drawn with the scenario\'s seed; degree × nodes must be even')
    }).describe('A random connected graph where every node has `degree` links'),
    z.strictObject({
      kind: z.literal('clusters'),
      clusters: count.min(2).describe('Groups of consecutive nodes, every pair linked inside a group'),
      bridges: count.min(1).default(1).describe('Links between each group and the next')
    }).describe('Full clusters joined in a chain by a few bridges'),
    z.strictObject({
      kind: z.literal('nat-homes'),
      relays: count.min(1).default(1).describe('The first nodes: reachable, running a circuit relay'),
      public: count.min(0).default(0).describe('The next nodes: reachable, without a relay')
    }).describe('Relays, public nodes, and homes behind NAT (the rest): a home accepts no direct connection, so homes reach each other only through a relay')
  ])
]).describe('Which nodes may connect: full, ring, star, or { kind: k-regular | clusters | nat-homes, … }')

const comparison = z.string().regex(/^\s*(<=|>=|<|>|==)\s*\S+\s*$/, 'expected a comparison such as ">= 0.99" or "< 10s"')

export const scenarioSchema = z.strictObject({
  name: z.string().min(1).describe('The name of the scenario, shown in the report'),
  /** Seed of every random choice: the same seed gives the same workload and faults */
  seed: z.number().int().nonnegative().default(1).describe('Seed of every random choice: the same seed gives the same workload and faults'),
  duration: duration.describe('How long the workload runs, e.g. "30s"'),
  mode: z.enum(['in-process', 'processes', 'netns']).default('in-process').describe('in-process: every node in the simulator\'s process (the default; scales to hundreds); processes: one `overmind start` process per node, driven through its local API; netns: the same, each process in its own Linux network namespace on one switch (root; partitions, and latency and loss with tc netem)'),
  transport: z.enum(['tcp', 'memory']).default('tcp').describe('in-process: how the nodes reach each other: loopback TCP (the default, as nodes run), or libp2p\'s in-memory transport (no sockets: lighter, for the largest meshes); the noise, private-network and yamux layers are the same'),
  threads: z.union([z.literal('auto'), z.number().int().min(1).max(64)]).default('auto').describe('in-process: worker threads the nodes are spread over, each running its share as a process would (a mesh is gossip-heavy: one thread runs out of time before it runs out of memory); auto: one per CPU core for 100 nodes or more, else 1'),
  nodes: z.strictObject({
    count: z.number().int().min(2).max(500).describe('Number of nodes; faults name them by index, 0 to count - 1'),
    embedder: z.enum(['hash']).default('hash'),
    /** As a node runs by default; shorter finds dead nodes sooner and costs every node more */
    heartbeat: duration.refine(ms => ms >= 100 && ms <= 3_600_000, 'a heartbeat interval from 100ms to 1h').default(30_000).describe('Beat interval of every node (a node\'s default is 30s); shorter finds dead nodes sooner, and costs every node a delivery per beat of every other'),
    syncInterval: duration.refine(ms => ms >= 100, 'at least 100ms').default(30_000).describe('Anti-entropy interval of every node (a node\'s default is 30s; it also runs on every new connection)')
  }),
  topology: topologySchema.default('full'),
  /** What every link adds to each write, one way (transport: memory) */
  network: z.strictObject({
    latency: duration.default(0).describe('One-way delay of every link, e.g. "20ms"'),
    jitter: duration.default(0).describe('Each write is delayed by latency plus or minus up to this much, uniformly; writes stay in order'),
    loss: z.number().min(0).max(0.5).default(0).describe('Share of writes lost once and sent again after a retransmission timeout (200 ms); the writes behind wait, as over TCP'),
    bandwidth: bandwidth.default(0).describe('What each node can send, e.g. "10mbit" (0: no limit); transport: memory paces a node\'s writes over all its links, mode: netns limits its port both ways (tc tbf)')
  }).default({ latency: 0, jitter: 0, loss: 0, bandwidth: 0 }).describe('Latency, jitter and loss of every link (needs transport: memory, where each end of a link knows the other)'),
  /** Mock agents, hosted as real agents of their nodes */
  agents: z.array(agent).default([]).describe('Mock agents the nodes host: a service time, an output size and a failure rate each'),
  workload: z.strictObject({
    writes: z.strictObject({
      /** Across the mesh, from nodes chosen at random */
      rate: rate.describe('Writes per second across the mesh, from nodes chosen at random: "5/s", "30/m" or a number per second'),
      /** Bytes of text per chunk */
      size: z.number().int().min(1).max(32 * 1024).default(200).describe('Bytes of text per chunk'),
      /** The nodes that write; every node when omitted */
      from: z.union([z.array(nodeIndex).min(1), z.enum(['relay', 'public', 'private'])]).optional().describe('The nodes that write, chosen at random among them: node indexes, or a role (private: the homes of nat-homes); every node when omitted'),
      /** Shares of the writes in each memory zone */
      zones: z.strictObject({
        federation: z.number().min(0).max(1).default(0).describe('Share of writes in the federation zone, which every node replicates'),
        shared: z.number().min(0).max(1).default(0).describe('Share in the shared zone, which stays on its node unless nodes replicate it (they do not here)'),
        private: z.number().min(0).max(1).default(0).describe('Share in the private zone, which never leaves its node')
      }).refine(zones => Math.abs(zones.federation + zones.shared + zones.private - 1) < 1e-9, 'the shares of the zones add up to 1').optional().describe('The zone mix of the writes (all federation when omitted); the report checks that no private or shared write reaches another node'),
      /** Also publish each write's text on a bare gossipsub topic of the same nodes: the floor delivery is compared with */
      floor: z.boolean().default(false).describe('Also publish each write\'s text on a bare gossipsub topic (no validator, nothing stored) of the same nodes at the same moment, and report knowledge delivery against it')
    }).optional(),
    runs: runs.optional().describe('Runs of an agent of `agents`, routed by the node they start from as `overmind run` routes them'),
    searches: searches.optional().describe('Memory searches for the text of earlier writes; completeness is the share that find it')
  }).default({}),
  faults: z.array(fault).default([]),
  /** How long after the end of the workload the mesh is given to converge */
  settle: duration.default(30_000).describe('How long after the workload the mesh is given to converge'),
  /** Figures of the report that must hold, e.g. `delivery.ratio: ">= 1"` */
  expect: z.record(z.string(), comparison).default({}).describe('Figures of the report that must hold, e.g. delivery.ratio: ">= 1"; the run exits 1 when one fails')
})

export type Scenario = z.output<typeof scenarioSchema>

/** The scenario format as a JSON Schema (draft 2020-12), for editors and other tools */
export function scenarioJsonSchema (): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
}
export type Fault = Scenario['faults'][number]

/** How long a node that churn takes away stays away, unless `down` says */
export const CHURN_DOWN = 5_000
export type SimAgent = Scenario['agents'][number]

/** The figures an `expect:` key may name */
export const EXPECTABLE = [
  'delivery.ratio', 'delivery.p50', 'delivery.p99', 'floor.ratioP50', 'floor.ratioP99', 'convergence.max', 'writes.failed', 'hostile.stored', 'hostile.rejected',
  'links.direct', 'links.relayed', 'links.directBetweenHomes', 'zones.leaked',
  'runs.requested', 'runs.succeeded', 'runs.failed', 'runs.successRate', 'runs.p50', 'runs.p99', 'runs.max',
  ...RUN_CAUSES.map(cause => `runs.byCause.${cause}` as const),
  'searches.done', 'searches.completeness', 'searches.p50', 'searches.p99',
  'resources.cpuCoresAvg', 'resources.rssMbPerNodeMax', 'resources.eventLoopDelayP99Ms'
] as const

/** Flags that override the file */
export interface ScenarioOverrides {
  nodes?: number
  duration?: number
  seed?: number
  transport?: 'tcp' | 'memory'
  threads?: number | 'auto'
}

/**
 * Parses a scenario. Every problem is reported at once with its key, line
 * and column: schema errors, faults after the end, node indexes out of
 * range, a partition that leaves a node out or names one twice, a topology
 * the nodes cannot have, runs of an agent the scenario does not declare,
 * figures `expect:` cannot check.
 *
 * @throws {ConfigError}
 */
export function parseScenario (text: string, options: { file?: string, overrides?: ScenarioOverrides } = {}): Scenario {
  const { file } = options
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const at = (offset: number): { line: number, column: number } => {
    const { line, col } = lines.linePos(offset)
    return { line, column: col }
  }
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map(error => ({ ...at(error.pos[0]), message: `invalid YAML: ${error.message}` })), { file })
  }
  if (!isMap(doc.contents)) throw new ConfigError({ line: 1, column: 1, message: 'a scenario is a mapping with name, duration, nodes, workload and faults' }, { file })
  const data = doc.toJS() as Record<string, any>
  const overrides = options.overrides ?? {}
  if (overrides.nodes != null) data.nodes = { ...data.nodes, count: overrides.nodes }
  if (overrides.duration != null) data.duration = overrides.duration
  if (overrides.seed != null) data.seed = overrides.seed
  if (overrides.transport != null) data.transport = overrides.transport
  if (overrides.threads != null) data.threads = overrides.threads
  const located = (path: PropertyKey[], message: string): ConfigIssue => ({ key: keyOf(path), ...position(doc, path, at), message })
  const parsed = scenarioSchema.safeParse(data)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.flatMap(branchIssues).flatMap(issue => issue.code === 'unrecognized_keys'
      ? issue.keys.map(name => located([...issue.path, name], 'unknown key'))
      : [located(issue.path, issue.message)]), { file })
  }
  const scenario = parsed.data
  const issues: ConfigIssue[] = []
  const count = scenario.nodes.count
  const checkIndex = (path: PropertyKey[], index: number): void => {
    if (index >= count) issues.push(located(path, `node ${index} does not exist: the scenario has ${count} nodes, 0 to ${count - 1}`))
  }
  scenario.faults.forEach((f, i) => {
    if (f.at > scenario.duration) issues.push(located(['faults', i, 'at'], `at ${f.at} ms, after the end of the scenario (${scenario.duration} ms)`))
    if (f.kill != null) checkIndex(['faults', i, 'kill'], f.kill)
    if (f.restart != null) checkIndex(['faults', i, 'restart'], f.restart)
    if (f.hostile != null) checkIndex(['faults', i, 'hostile'], f.hostile)
    if (f.hang != null) checkIndex(['faults', i, 'hang'], f.hang)
    if (f.hang != null && f.for == null) issues.push(located(['faults', i, 'hang'], 'a hang needs `for`: how long the node stays paused, e.g. for: 4s'))
    const slow = f.latency != null || f.jitter != null || f.loss != null
    if (f.hang == null && f.churn == null && !slow && f.for != null) issues.push(located(['faults', i, 'for'], '`for` is how long a hang, a churn or a slow link lasts: it goes with hang, churn, or latency, jitter and loss'))
    if (!slow && f.on != null) issues.push(located(['faults', i, 'on'], '`on` names the nodes whose links latency, jitter or loss slow down: it goes with them'))
    if (!slow && f.link != null) issues.push(located(['faults', i, 'link'], '`link` names the link latency, jitter or loss slow down: it goes with them'))
    if (f.on != null && f.link != null) issues.push(located(['faults', i, 'link'], 'a slow link is on the links of `on` or on one `link`, not both'))
    if (f.on != null && f.on !== 'all') f.on.forEach((index, j) => { checkIndex(['faults', i, 'on', j], index) })
    if (f.link != null) {
      f.link.forEach((index, j) => { checkIndex(['faults', i, 'link', j], index) })
      if (f.link[0] === f.link[1]) issues.push(located(['faults', i, 'link'], 'a link joins two different nodes'))
    }
    if (slow && scenario.transport !== 'memory' && scenario.mode !== 'netns') issues.push(located(['faults', i, f.latency != null ? 'latency' : f.jitter != null ? 'jitter' : 'loss'], 'a slow link needs transport: memory, where both ends of a link know each other, or mode: netns'))
    if (slow && scenario.mode === 'netns' && f.link != null) issues.push(located(['faults', i, 'link'], 'mode: netns slows the links of nodes (`on`), not one link: it shapes each node\'s port'))
    if (f.churn == null && f.down != null) issues.push(located(['faults', i, 'down'], '`down` is how long a node that churn takes away stays away: it goes with churn'))
    if (f.churn != null) {
      if (f.for == null) issues.push(located(['faults', i, 'churn'], 'a churn needs `for`: how long nodes keep leaving and coming back, e.g. for: 20s'))
      else if (f.at + f.for + (f.down ?? CHURN_DOWN) > scenario.duration) issues.push(located(['faults', i, 'for'], `the churn's last node comes back at ${f.at + f.for + (f.down ?? CHURN_DOWN)} ms, after the end of the scenario (${scenario.duration} ms)`))
      if (f.churn <= 0) issues.push(located(['faults', i, 'churn'], 'a churn needs a rate above 0, e.g. 6/m'))
    }
    if (f.partition != null) {
      const seen = new Set<number>()
      f.partition.forEach((group, g) => group.forEach((index, j) => {
        checkIndex(['faults', i, 'partition', g, j], index)
        if (seen.has(index)) issues.push(located(['faults', i, 'partition', g, j], `node ${index} is in two groups`))
        seen.add(index)
      }))
    }
  })
  const { network } = scenario
  if ((network.latency > 0 || network.jitter > 0 || network.loss > 0 || network.bandwidth > 0) && scenario.transport !== 'memory' && scenario.mode !== 'netns') {
    issues.push(located(['network'], 'latency, jitter, loss and bandwidth need transport: memory, where both ends of a link know each other, or mode: netns'))
  }
  for (const issue of topologyIssues(scenario.topology, count)) issues.push(located(['topology', ...issue.path], issue.message))
  const from = scenario.workload.writes?.from
  if (Array.isArray(from)) from.forEach((index, i) => { checkIndex(['workload', 'writes', 'from', i], index) })
  else if (from != null && !topologyRoles(scenario.topology, count).includes(from)) issues.push(located(['workload', 'writes', 'from'], `no node has the role ${from} in this topology`))
  checkWorkload(scenario, (path, message) => { issues.push(located(path, message)) }, checkIndex)
  checkMode(scenario, (path, message) => { issues.push(located(path, message)) })
  for (const key of Object.keys(scenario.expect)) {
    if (!(EXPECTABLE as readonly string[]).includes(key)) issues.push(located(['expect', key], `no figure "${key}" in the report; expected one of ${EXPECTABLE.join(', ')}`))
  }
  if (issues.length > 0) throw new ConfigError(issues, { file })
  return scenario
}

export async function loadScenario (file: string, overrides?: ScenarioOverrides): Promise<Scenario> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    throw new ConfigError({ message: err.code === 'ENOENT' ? 'scenario file does not exist' : `cannot read the scenario: ${err.message}` }, { file, cause: err })
  }
  return parseScenario(text, { file, overrides })
}

/**
 * The issues of the one branch of a union that has the value's shape (a
 * string for `full`, an object for `{ kind: … }`), rather than zod's
 * "Invalid input" for the whole union
 */
function branchIssues (issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue]
  // a branch whose issues are all about the value itself fits it less than one with issues inside it
  const fit = (branch: z.core.$ZodIssue[]): number => branch.some(i => i.path.length > 0) ? 2 : branch.every(i => i.code === 'invalid_type') ? 0 : 1
  const best = Math.max(...issue.errors.map(fit))
  const shaped = issue.errors.filter(branch => fit(branch) === best)
  if (shaped.length !== 1) return [issue]
  return shaped[0].flatMap(i => branchIssues({ ...i, path: [...issue.path, ...i.path] } as z.core.$ZodIssue))
}

/** Agents and the runs and searches of the workload: names, node indexes and times that do not fit */
function checkWorkload (scenario: Scenario, problem: (path: PropertyKey[], message: string) => void, checkIndex: (path: PropertyKey[], index: number) => void): void {
  const names = new Set<string>()
  scenario.agents.forEach((a, i) => {
    if (names.has(a.name)) problem(['agents', i, 'name'], `agent "${a.name}" is declared twice`)
    names.add(a.name)
    if (a.on !== 'all') a.on.forEach((index, j) => { checkIndex(['agents', i, 'on', j], index) })
  })
  const { runs, searches, writes } = scenario.workload
  if (runs != null) {
    if (!names.has(runs.agent)) {
      problem(['workload', 'runs', 'agent'], `no agent named "${runs.agent}" in agents${names.size === 0 ? ' (the scenario declares none)' : `; expected one of ${[...names].join(', ')}`}`)
    }
    if (runs.from !== 'all') runs.from.forEach((index, j) => { checkIndex(['workload', 'runs', 'from', j], index) })
    if (runs.peak != null && runs.peak.at + runs.peak.for > scenario.duration) {
      problem(['workload', 'runs', 'peak'], `the peak ends at ${runs.peak.at + runs.peak.for} ms, after the end of the scenario (${scenario.duration} ms)`)
    }
  }
  if (searches != null && (writes == null || writes.rate === 0)) {
    problem(['workload', 'searches'], 'searches look for the text of earlier writes: the workload needs writes too')
  }
}

/**
 * What the mode cannot do: in-process, nodes share a process, so one cannot
 * be paused alone; with a process per node, the simulator has no connection
 * gater inside them (partitions, topologies, relays), no hand on their
 * gossip (hostile, the floor), and mock agents are functions of its own process
 */
function checkMode (scenario: Scenario, problem: (path: PropertyKey[], message: string) => void): void {
  if (scenario.transport === 'memory' && typeof scenario.topology === 'object' && scenario.topology.kind === 'nat-homes') {
    problem(['transport'], 'nat-homes needs transport: tcp: libp2p dials a circuit relay only through a relay it reaches over IP (or DNS), and homes reach each other only that way')
  }
  if (scenario.mode === 'in-process') {
    scenario.faults.forEach((f, i) => {
      if (f.hang != null) problem(['faults', i, 'hang'], 'hang needs mode: processes or netns: nodes that share a process cannot be paused alone')
    })
    return
  }
  if (scenario.transport === 'memory') problem(['transport'], 'the memory transport needs mode: in-process: it joins nodes of one process')
  if (typeof scenario.threads === 'number' && scenario.threads > 1) problem(['threads'], `threads needs mode: in-process (with ${`mode: ${scenario.mode}`} every node has a process of its own)`)
  const mode = `mode: ${scenario.mode}`
  if (scenario.mode === 'processes') {
    const why = 'mode: processes cannot do it: on loopback there is no way to cut processes apart without a network lab'
    scenario.faults.forEach((f, i) => {
      if (f.partition != null) problem(['faults', i, 'partition'], `a partition needs mode: in-process or netns (${why})`)
      if (f.heal === true) problem(['faults', i, 'heal'], 'heal ends a partition, and partitions need mode: in-process or netns')
    })
  }
  scenario.faults.forEach((f, i) => {
    if (f.hostile != null) problem(['faults', i, 'hostile'], 'hostile needs mode: in-process: a forging member is the simulator\'s own node with its validator removed')
  })
  if (scenario.topology !== 'full') problem(['topology'], `a topology other than full needs mode: in-process (${mode} has no connection gater inside its nodes)`)
  if (scenario.agents.length > 0) problem(['agents'], 'mock agents need mode: in-process: they are functions of the simulator\'s process')
  if (scenario.workload.runs != null) problem(['workload', 'runs'], 'runs need mock agents, and mock agents need mode: in-process')
  if (scenario.workload.writes?.floor === true) problem(['workload', 'writes', 'floor'], 'the floor needs mode: in-process: it publishes on a bare topic of the simulator\'s own nodes')
}

function keyOf (path: PropertyKey[]): string | undefined {
  if (path.length === 0) return undefined
  return path.map((part, i) => typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`).join('')
}

/** Where a path is in the file: its node, or the key of a missing one's nearest ancestor */
function position (doc: Document, path: PropertyKey[], at: (offset: number) => { line: number, column: number }): { line?: number, column?: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const parts = path.slice(0, depth) as Array<string | number>
    const parent = depth === 0 ? undefined : doc.getIn(parts.slice(0, -1), true)
    if (isMap(parent)) {
      const pair = parent.items.find(item => isScalar(item.key) && String(item.key.value) === String(parts.at(-1)))
      const key = pair?.key as YamlNode | undefined
      if (key?.range != null) return at(key.range[0])
    }
    const node = depth === 0 ? doc.contents : doc.getIn(parts, true) as YamlNode | undefined
    if (node?.range != null) return at(node.range[0])
  }
  return {}
}
