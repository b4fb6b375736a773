import { readFile } from 'node:fs/promises'
import { ConfigError, parseDuration } from '@overmind/config'
import { LineCounter, isMap, isScalar, parseDocument } from 'yaml'
import { z } from 'zod'
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

const nodeIndex = z.number().int().nonnegative()

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
  hostile: nodeIndex.optional()
}).refine(f => [f.partition, f.heal, f.kill, f.restart, f.hostile].filter(v => v != null).length === 1, {
  message: 'a fault is one of partition, heal, kill, restart or hostile'
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
  mode: z.literal('in-process').default('in-process'),
  nodes: z.strictObject({
    count: z.number().int().min(2).max(500).describe('Number of nodes; faults name them by index, 0 to count - 1'),
    embedder: z.enum(['hash']).default('hash')
  }),
  topology: topologySchema.default('full'),
  workload: z.strictObject({
    writes: z.strictObject({
      /** Across the mesh, from nodes chosen at random */
      rate: rate.describe('Writes per second across the mesh, from nodes chosen at random: "5/s", "30/m" or a number per second'),
      /** Bytes of text per chunk */
      size: z.number().int().min(1).max(32 * 1024).default(200).describe('Bytes of text per chunk'),
      /** The nodes that write; every node when omitted */
      from: z.union([z.array(nodeIndex).min(1), z.enum(['relay', 'public', 'private'])]).optional().describe('The nodes that write, chosen at random among them: node indexes, or a role (private: the homes of nat-homes); every node when omitted')
    }).optional()
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

/** The figures an `expect:` key may name */
export const EXPECTABLE = ['delivery.ratio', 'delivery.p50', 'delivery.p99', 'convergence.max', 'writes.failed', 'hostile.stored', 'hostile.rejected', 'links.direct', 'links.relayed', 'links.directBetweenHomes'] as const

/** Flags that override the file */
export interface ScenarioOverrides {
  nodes?: number
  duration?: number
  seed?: number
}

/**
 * Parses a scenario. Every problem is reported at once with its key, line
 * and column: schema errors, faults after the end, node indexes out of
 * range, a partition that leaves a node out or names one twice, figures
 * `expect:` cannot check.
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
    if (f.partition != null) {
      const seen = new Set<number>()
      f.partition.forEach((group, g) => group.forEach((index, j) => {
        checkIndex(['faults', i, 'partition', g, j], index)
        if (seen.has(index)) issues.push(located(['faults', i, 'partition', g, j], `node ${index} is in two groups`))
        seen.add(index)
      }))
    }
  })
  for (const issue of topologyIssues(scenario.topology, count)) issues.push(located(['topology', ...issue.path], issue.message))
  const from = scenario.workload.writes?.from
  if (Array.isArray(from)) from.forEach((index, i) => { checkIndex(['workload', 'writes', 'from', i], index) })
  else if (from != null && !topologyRoles(scenario.topology, count).includes(from)) issues.push(located(['workload', 'writes', 'from'], `no node has the role ${from} in this topology`))
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
