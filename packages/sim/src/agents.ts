import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { random, nodeList } from './schedule.js'
import type { Scenario, SimAgent } from './scenario.js'
import type { AgentFunction } from '@overmind/agents'
import type { OvermindConfig } from '@overmind/config'

/** How one run of a mock agent goes: decided by the scenario's seed and the run's index, so every host runs it alike */
export interface MockRun {
  serviceTime: number
  fails: boolean
}

/** The input of the `index`th run of the schedule */
export function runInput (index: number): string {
  return `run ${index}`
}

/** The index a run's input carries (0 for input that carries none) */
function indexOf (input: Uint8Array): number {
  return Number(/^run (\d+)$/.exec(new TextDecoder().decode(input))?.[1] ?? 0)
}

/** How the `index`th run of `agent` goes under `seed` */
export function mockRun (agent: SimAgent, seed: number, index: number): MockRun {
  const next = random(createHash('sha256').update(`${seed}/${agent.name}/${index}`).digest().readUInt32BE(0))
  const fails = next() < agent.failureRate
  const serviceTime = Math.max(0, Math.round(agent.serviceTime + (2 * next() - 1) * agent.jitter))
  return { serviceTime, fails }
}

/**
 * A mock agent: a run takes its service time, then throws (the share
 * `failureRate` of runs) or returns `outputSize` bytes. It stops at once
 * when its run is cancelled or times out.
 */
export function mockAgent (agent: SimAgent, seed: number): AgentFunction {
  return async (input, { signal }) => {
    const index = indexOf(input)
    const run = mockRun(agent, seed, index)
    await sleep(run.serviceTime, undefined, { signal })
    if (run.fails) throw new Error(`run ${index} of ${agent.name} failed on purpose`)
    return mockOutput(index, agent.outputSize)
  }
}

/** The output of a run that succeeds: `size` bytes that name the run */
export function mockOutput (index: number, size: number): string {
  return `output of run ${index} `.padEnd(size, '.').slice(0, size)
}

/** The mock agents of a scenario, as the config and in-process functions of the nodes that host them */
export interface MockAgents {
  /** The `agents` config of node `index`: its mock agents, `runner: builtin` */
  config(index: number): OvermindConfig['agents']
  /** The functions behind them, by agent name */
  functions: Record<string, AgentFunction>
}

export function mockAgents (scenario: Scenario): MockAgents {
  const hosts = scenario.agents.map(agent => new Set(nodeList(agent.on, scenario.nodes.count)))
  return {
    config: index => scenario.agents.filter((_, i) => hosts[i].has(index)).map(agent => ({
      name: agent.name,
      runner: 'builtin',
      builtin: agent.name,
      command: [],
      input: 'stdin',
      cwd: '',
      env: {},
      url: '',
      model: '',
      apiKey: '',
      system: '',
      expose: 'mesh',
      concurrency: agent.concurrency,
      timeout: 5 * 60_000,
      version: '',
      capabilities: [],
      description: `simulated agent: answers after ${agent.serviceTime} ms`,
      skills: []
    })),
    functions: Object.fromEntries(scenario.agents.map(agent => [agent.name, mockAgent(agent, scenario.seed)]))
  }
}
