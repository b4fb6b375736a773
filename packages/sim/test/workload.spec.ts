import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { describe, it } from 'vitest'
import { fileURLToPath } from 'node:url'
import { AgentFailedError, AllHostsBusyError, DeadlineExceededError, FunctionRunner } from '@overmind/agents'
import { EXPECTABLE, mockAgent, mockRun, parseScenario, runCause, schedule } from '../src/index.js'
import { mockAgents, mockOutput, runInput } from '../src/agents.js'
import { workloadFigure } from '../src/workload.js'
import { issuesOf as issuesIn } from './issues.js'
import type { RunEvent, SearchEvent, SimEvent } from '../src/index.js'

const BASE = `name: crowd
seed: 3
duration: 20s
nodes:
  count: 6
agents:
  - name: summarise
    on: [0, 1]
    serviceTime: 200ms
    jitter: 50ms
    outputSize: 500
    failureRate: 0.1
    concurrency: 2
workload:
  writes:
    rate: 4/s
  runs:
    agent: summarise
    rate: 5/s
    peak: { at: 5s, for: 5s, rate: 50/s }
    deadline: 5s
    from: [2, 3, 4, 5]
  searches:
    rate: 3/s
    k: 5
    federated: 0.5
expect:
  runs.successRate: ">= 0.5"
  runs.byCause.busy: ">= 1"
  searches.completeness: ">= 1"
`

const issuesOf = (text: string): string[] => issuesIn(text, 'crowd.yaml')

const runsOf = (events: SimEvent[]): RunEvent[] => events.filter((e): e is RunEvent => e.kind === 'run')
const searchesOf = (events: SimEvent[]): SearchEvent[] => events.filter((e): e is SearchEvent => e.kind === 'search')

describe('agents, runs and searches in a scenario', () => {
  it('reads mock agents, runs and searches with their defaults', () => {
    const scenario = parseScenario(BASE.replace('    jitter: 50ms\n', '').replace('    concurrency: 2\n', '').replace('    from: [2, 3, 4, 5]\n', ''))
    assert.deepEqual(scenario.agents, [{ name: 'summarise', on: [0, 1], serviceTime: 200, jitter: 0, outputSize: 500, failureRate: 0.1, concurrency: 1 }])
    assert.deepEqual(scenario.workload.runs, { agent: 'summarise', rate: 5, peak: { at: 5_000, for: 5_000, rate: 50 }, deadline: 5_000, from: 'all' })
    assert.deepEqual(scenario.workload.searches, { rate: 3, k: 5, federated: 0.5, age: 2_000 })
    assert.equal(parseScenario(BASE.replace('on: [0, 1]', 'on: all')).agents[0].on, 'all')
  })

  it('names the key and line of a node index out of range, an unknown or twice declared agent and a peak after the end', () => {
    assert.deepEqual(issuesOf(BASE.replace('on: [0, 1]', 'on: [0, 6]')), [
      'crowd.yaml:8:13: agents[0].on[1]: node 6 does not exist: the scenario has 6 nodes, 0 to 5'
    ])
    assert.deepEqual(issuesOf(BASE
      .replace('    concurrency: 2\n', '    concurrency: 2\n  - name: summarise\n    on: all\n    serviceTime: 1s\n')
      .replace('agent: summarise', 'agent: summarize')
      .replace('from: [2, 3, 4, 5]', 'from: [2, 9]')
      .replace('at: 5s, for: 5s', 'at: 15s, for: 10s')), [
      'crowd.yaml:14:5: agents[1].name: agent "summarise" is declared twice',
      'crowd.yaml:21:5: workload.runs.agent: no agent named "summarize" in agents; expected one of summarise',
      'crowd.yaml:25:15: workload.runs.from[1]: node 9 does not exist: the scenario has 6 nodes, 0 to 5',
      'crowd.yaml:23:5: workload.runs.peak: the peak ends at 25000 ms, after the end of the scenario (20000 ms)'
    ])
  })

  it('refuses runs without agents, searches without writes and figures the report does not have', () => {
    const bare = 'name: bare\nduration: 10s\nnodes:\n  count: 3\nworkload:\n  runs:\n    agent: a\n    rate: 1/s\n  searches:\n    rate: 1/s\nexpect:\n  runs.byCause.bored: ">= 1"\n'
    assert.deepEqual(issuesOf(bare), [
      'crowd.yaml:7:5: workload.runs.agent: no agent named "a" in agents (the scenario declares none)',
      'crowd.yaml:9:3: workload.searches: searches look for the text of earlier writes: the workload needs writes too',
      `crowd.yaml:12:3: expect.runs.byCause.bored: no figure "runs.byCause.bored" in the report; expected one of ${EXPECTABLE.join(', ')}`
    ])
    assert.ok(['runs.successRate', 'runs.p99', 'runs.byCause.busy', 'runs.byCause.agent-failed', 'searches.completeness'].every(key => (EXPECTABLE as readonly string[]).includes(key)))
    assert.deepEqual(issuesOf(BASE.replace('failureRate: 0.1', 'failureRate: 1.5').replace('federated: 0.5', 'federated: yes')), [
      'crowd.yaml:12:5: agents[0].failureRate: Too big: expected number to be <=1',
      'crowd.yaml:26:5: workload.searches.federated: Invalid input: expected number, received string'
    ])
  })

  it('schedules the same runs and searches for the same seed, and others for another seed', () => {
    const a = schedule(parseScenario(BASE))
    const b = schedule(parseScenario(BASE))
    const c = schedule(parseScenario(BASE, { overrides: { seed: 4 } }))
    assert.equal(a.digest, b.digest)
    assert.deepEqual(a.events, b.events)
    assert.notEqual(a.digest, c.digest)
    assert.notDeepEqual(runsOf(a.events), runsOf(c.events))
    assert.notDeepEqual(searchesOf(a.events), searchesOf(c.events))
    // the digest covers them: a scenario differing only in its runs or searches has another one
    assert.notEqual(schedule(parseScenario(BASE.replace('rate: 5/s', 'rate: 6/s'))).digest, a.digest)
    assert.notEqual(schedule(parseScenario(BASE.replace('federated: 0.5', 'federated: 0.25'))).digest, a.digest)
  })

  it('schedules runs at the rate of the peak during the peak, from the nodes of `from`, numbered in order', () => {
    const runs = runsOf(schedule(parseScenario(BASE)).events)
    const during = runs.filter(r => r.at >= 5_000 && r.at < 10_000).length
    // Poisson processes: 50/s over 5 s, and 5/s over the other 15 s
    assert.ok(during > 200 && during < 300, `${during} runs in the peak`)
    assert.ok(runs.length - during > 45 && runs.length - during < 110, `${runs.length - during} runs out of it`)
    assert.deepEqual(runs.map(r => r.index), runs.map((_, i) => i))
    assert.deepEqual(new Set(runs.map(r => r.node)), new Set([2, 3, 4, 5]))
  })

  it('adds runs and searches without changing the writes and faults a scenario had', () => {
    const plain = BASE.replace(/ {2}runs:\n(?: {4}.*\n)+/, '').replace(/ {2}searches:\n(?: {4}.*\n)+/, '').replace(/expect:\n(?: {2}.*\n)+/, '')
    const without = schedule(parseScenario(plain)).events
    const withThem = schedule(parseScenario(BASE)).events
    assert.equal(runsOf(without).length + searchesOf(without).length, 0)
    assert.deepEqual(withThem.filter(e => e.kind === 'write' || e.kind === 'fault'), without)
  })

  it('searches for writes scheduled at least `age` before, from any node', () => {
    const { events } = schedule(parseScenario(BASE))
    const writes = events.filter(e => e.kind === 'write')
    const searches = searchesOf(events)
    assert.ok(searches.length > 25, `${searches.length} searches`)
    for (const search of searches) assert.ok(writes[search.write].at <= search.at - 2_000 + 1, `search at ${search.at} for a write at ${writes[search.write].at}`)
    const federated = searches.filter(s => s.federated).length
    assert.ok(federated > searches.length * 0.25 && federated < searches.length * 0.75, `${federated} of ${searches.length} federated`)
    assert.ok(new Set(searches.map(s => s.node)).size > 3)
  })
})

describe('mock agents', () => {
  const scenario = parseScenario(BASE)
  const agent = scenario.agents[0]

  it('decide each run from the seed and its index: the same on every host, failing at the failure rate', () => {
    const runs = Array.from({ length: 2_000 }, (_, i) => mockRun(agent, 3, i))
    assert.deepEqual(runs, Array.from({ length: 2_000 }, (_, i) => mockRun(agent, 3, i)))
    assert.notDeepEqual(runs, Array.from({ length: 2_000 }, (_, i) => mockRun(agent, 4, i)))
    const failures = runs.filter(r => r.fails).length
    assert.ok(failures > 140 && failures < 260, `${failures} failures of 2000 at 0.1`)
    assert.ok(runs.every(r => r.serviceTime >= 150 && r.serviceTime <= 250))
  })

  it('run as builtin agents: output of outputSize bytes, or an AgentFailedError for a deliberate failure', async () => {
    const quick = { ...agent, serviceTime: 1, jitter: 0 }
    const runner = new FunctionRunner(mockAgent(quick, 3))
    const ok = Array.from({ length: 50 }, (_, i) => i).find(i => !mockRun(quick, 3, i).fails) ?? 0
    const failing = Array.from({ length: 50 }, (_, i) => i).find(i => mockRun(quick, 3, i).fails) ?? 0
    const output: Uint8Array[] = []
    for await (const part of runner.run(new TextEncoder().encode(runInput(ok)), { signal: new AbortController().signal })) output.push(part)
    assert.equal(Buffer.concat(output).toString(), mockOutput(ok, 500))
    assert.equal(Buffer.concat(output).byteLength, 500)
    await assert.rejects(async () => {
      for await (const _ of runner.run(new TextEncoder().encode(runInput(failing)), { signal: new AbortController().signal })) assert.fail('a failing run gave output')
    }, AgentFailedError)
  })

  it('stop when their run is cancelled', async () => {
    const fn = mockAgent({ ...agent, serviceTime: 60_000 }, 3)
    const cancel = new AbortController()
    const run = Promise.resolve(fn(new TextEncoder().encode(runInput(1)), { signal: cancel.signal }))
    cancel.abort(new Error('cancelled'))
    await assert.rejects(run)
  })

  it('are configured on the nodes that host them only', () => {
    const agents = mockAgents(scenario)
    assert.deepEqual(agents.config(0).map(a => [a.name, a.runner, a.concurrency, a.expose]), [['summarise', 'builtin', 2, 'mesh']])
    assert.deepEqual(agents.config(1).map(a => a.name), ['summarise'])
    assert.deepEqual(agents.config(2), [])
    assert.deepEqual(Object.keys(agents.functions), ['summarise'])
  })
})

describe('run figures', () => {
  it('count failures by the cause the router raised, and 0 for a cause that did not happen', () => {
    assert.equal(runCause(new AllHostsBusyError('busy')), 'busy')
    assert.equal(runCause(new DeadlineExceededError('late')), 'deadline')
    assert.equal(runCause(new AgentFailedError('failed')), 'agent-failed')
    assert.equal(runCause(new Error('what')), 'other')
    const runs = { requested: 3, succeeded: 1, failed: 2, skipped: 0, byCause: { busy: 2 }, retried: 0, hosts: {}, successRate: 1 / 3, p50: 10, p99: 20, max: 20 }
    const searches = { done: 0, local: 0, federated: 0, found: 0, failed: 0, skipped: 0, completeness: null, p50: null, p99: null }
    assert.equal(workloadFigure({ runs, searches }, 'runs.byCause.busy'), 2)
    assert.equal(workloadFigure({ runs, searches }, 'runs.byCause.agent-failed'), 0)
    assert.equal(workloadFigure({ runs, searches }, 'runs.successRate'), 1 / 3)
    assert.equal(workloadFigure({ runs, searches }, 'searches.completeness'), null)
    assert.equal(workloadFigure({ runs, searches }, 'delivery.ratio'), undefined)
  })
})

describe('the scenarios in scenarios/', () => {
  it('are all valid', async () => {
    const dir = fileURLToPath(new URL('../../../../scenarios/', import.meta.url))
    const files = (await readdir(dir)).filter(f => f.endsWith('.yaml'))
    assert.ok(files.includes('flash-crowd.yaml'))
    for (const file of files) parseScenario(await readFile(dir + file, 'utf8'), { file })
  })
})
