import { paint, shortId } from '../format.js'
import type { ApiClient, NodeStatus, PeerReport, RunProgress } from '@overmind/node/client'

/** What the mission needs of a demo node */
export interface MissionNode {
  name: string
  role: 'relay' | 'public' | 'private'
  /** Hosts the demo agent */
  host: boolean
  client?: ApiClient
  status?: NodeStatus
  peers?: PeerReport[]
  exit?: unknown
  /** Kills the node's process at once (SIGKILL) */
  kill(): void
}

/** The agent two nodes of the demo host: a real program run per request */
export const DEMO_AGENT = {
  name: 'shout',
  runner: 'command',
  command: ['tr', 'a-z', 'A-Z'],
  description: 'Upper-cases its input (the program tr, run for each request).',
  skills: ['uppercase', 'text']
}

export type StepState = 'waiting' | 'running' | 'ok' | 'failed'

export interface Step {
  title: string
  state: StepState
  detail: string
}

const FACT = 'The staging database of the checkout service listens on port 5433.'
const QUERY = 'which port does the staging database listen on'

/**
 * The mission the demo shows, step by step, against the running nodes'
 * APIs: federated memory (a chunk written on one node, found by search on
 * the others, a federated search from the node behind the relay), a remote
 * run of an agent hosted elsewhere, and the same run again after its host is
 * killed, which the mesh routes to the other host.
 */
export class Mission {
  readonly steps: Step[]
  private readonly nodes: MissionNode[]
  private readonly say: (node: string, text: string) => void

  constructor (nodes: MissionNode[], say: (node: string, text: string) => void) {
    this.nodes = nodes
    this.say = say
    this.steps = [
      { title: 'mesh formed: every node lists every other', state: 'waiting', detail: '' },
      { title: 'node behind the relay holds a reservation', state: 'waiting', detail: '' },
      { title: 'a chunk written on one node is found by search on the others', state: 'waiting', detail: '' },
      { title: 'federated search from the node behind the relay', state: 'waiting', detail: '' },
      { title: 'remote run of an agent hosted on another node', state: 'waiting', detail: '' },
      { title: 'its host killed: the same run re-routed to the other host', state: 'waiting', detail: '' }
    ]
  }

  get done (): boolean {
    return this.steps.every(s => s.state === 'ok' || s.state === 'failed')
  }

  get ok (): boolean {
    return this.steps.every(s => s.state === 'ok')
  }

  /** Runs every step in order; a failed step is reported and the mission goes on where it can */
  async run (cancelled: () => boolean): Promise<void> {
    const names = (): Map<string, string> => new Map(this.nodes.filter(n => n.status != null).map(n => [n.status!.peerId, n.name]))
    const relay = this.nodes.find(n => n.role === 'relay')
    const behind = this.nodes.find(n => n.role === 'private')
    const writer = this.nodes.find(n => n.role === 'public' && n.host) ?? this.nodes[0]
    const caller = this.nodes.find(n => !n.host && n.role === 'public') ?? relay ?? this.nodes[0]

    await this.step(0, async () => {
      await until(cancelled, 60_000, () => this.nodes.every(n => (n.peers ?? []).filter(p => p.status === 'connected' || p.status === 'alive').length >= this.nodes.length - 1))
      return `${this.nodes.length} nodes, each lists ${this.nodes.length - 1} peers`
    })
    await this.step(1, async () => {
      if (behind == null || relay == null) throw new Error('needs 3 nodes or more')
      const circuit = await until(cancelled, 30_000, () => behind.status?.addresses.find(a => a.includes('/p2p-circuit')))
      return `${behind.name} is reachable at ${shortenCircuit(circuit)} (through ${relay.name})`
    })
    await this.step(2, async () => {
      const stored = await writer.client!.post<{ id: string }>('/v1/memory/chunks', { text: FACT, tags: ['demo'] })
      this.say(writer.name, `wrote chunk ${shortId(stored.id, 10)}: "${FACT}"`)
      const others = this.nodes.filter(n => n !== writer)
      const found: string[] = []
      await until(cancelled, 30_000, async () => {
        for (const n of others) {
          if (found.includes(n.name) || n.client == null) continue
          const answer = await n.client.post<{ results: Array<{ id: string, score: number }> }>('/v1/memory/search', { query: QUERY, k: 3 })
          const hit = answer.results.findIndex(r => r.id === stored.id)
          if (hit >= 0) {
            found.push(n.name)
            this.say(n.name, `search "${QUERY}": hit #${hit + 1} is the chunk ${writer.name} wrote (score ${answer.results[hit].score.toFixed(2)})`)
          }
        }
        return found.length === others.length
      })
      return `written on ${writer.name}, found by search on ${found.join(', ')}`
    })
    await this.step(3, async () => {
      const from = behind ?? caller
      const answer = await from.client!.post<{ results: Array<{ text: string, node: string, author: string }>, peers: Array<{ peer: string, ok: boolean, results: number }> }>('/v1/memory/search', { query: QUERY, k: 3, federated: true, deadline: 3_000 })
      const asked = answer.peers.filter(p => p.ok).map(p => names().get(p.peer) ?? shortId(p.peer))
      const top = answer.results[0]
      if (top == null || !top.text.includes('5433')) throw new Error('the federated search did not find the chunk')
      this.say(from.name, `federated search asked ${asked.length} nodes (${asked.join(', ')}): top hit "${top.text}"`)
      return `${from.name} asked ${asked.length} nodes; top hit written by ${names().get(top.author) ?? shortId(top.author)}`
    })
    let firstHost: MissionNode | undefined
    await this.step(4, async () => {
      await until(cancelled, 30_000, async () => {
        const { agents } = await caller.client!.get<{ agents: Array<{ name: string, host: string }> }>('/v1/agents')
        return agents.filter(a => a.name === DEMO_AGENT.name).length >= 2
      })
      const run = await runAgent(caller.client!, 'hello from the mesh')
      firstHost = this.nodes.find(n => n.status?.peerId === run.host)
      const link = caller.peers?.find(p => p.peerId === run.host)?.connections[0]?.kind ?? 'direct'
      this.say(caller.name, `ran "${DEMO_AGENT.name}" on ${firstHost?.name ?? shortId(run.host)} (${link}): "hello from the mesh" → "${run.output.trim()}" in ${run.durationMs} ms`)
      return `${caller.name} → ${firstHost?.name ?? shortId(run.host)} (${link}), output "${run.output.trim()}"`
    })
    await this.step(5, async () => {
      if (firstHost == null) throw new Error('no first run')
      firstHost.kill()
      this.say(firstHost.name, paint('red', 'killed (SIGKILL), as a crash would'))
      const run = await runAgent(caller.client!, 'still answering')
      const host = this.nodes.find(n => n.status?.peerId === run.host)
      const tried = run.attempts.map(a => `${names().get(a.host) ?? shortId(a.host)} ${a.outcome}`).join(', ')
      if (host === firstHost) throw new Error('the run went to the killed host')
      this.say(caller.name, `ran "${DEMO_AGENT.name}" again: answered by ${host?.name ?? shortId(run.host)} → "${run.output.trim()}" (attempts: ${tried})`)
      return `re-routed to ${host?.name ?? shortId(run.host)} after ${firstHost.name} was killed (attempts: ${tried})`
    })
  }

  private async step (index: number, fn: () => Promise<string>): Promise<void> {
    const step = this.steps[index]
    step.state = 'running'
    try {
      step.detail = await fn()
      step.state = 'ok'
      this.say('demo', `${paint('green', '✓')} ${step.title}: ${step.detail}`)
    } catch (err: any) {
      step.state = 'failed'
      step.detail = err.message
      this.say('demo', `${paint('red', '✗')} ${step.title}: ${err.message}`)
    }
  }

  render (): string {
    const mark: Record<StepState, string> = { waiting: paint('gray', '·'), running: paint('yellow', '…'), ok: paint('green', '✓'), failed: paint('red', '✗') }
    return this.steps.map(s => `${mark[s.state]} ${s.title}${s.detail !== '' ? paint('gray', ` (${s.detail})`) : ''}`).join('\n')
  }
}

interface RunDone { output: string, host: string, durationMs: number, attempts: Array<{ host: string, outcome: string }> }

async function runAgent (client: ApiClient, input: string): Promise<RunDone> {
  const body = JSON.stringify({ agent: DEMO_AGENT.name, input, deadline: 20_000 })
  let output = ''
  for await (const line of client.lines('POST', '/v1/agents/run', (async function * () { yield new TextEncoder().encode(body) })()) as AsyncGenerator<RunProgress>) {
    if ('output' in line) output += line.output
    else if ('done' in line) return { output, host: line.done.host, durationMs: line.done.durationMs, attempts: line.done.attempts as RunDone['attempts'] }
    else if ('error' in line) throw new Error(`${line.error.name}: ${line.error.message}`)
  }
  throw new Error('the run ended without a result')
}

/** Polls until `check` gives a value, for at most `ms` */
async function until<T> (cancelled: () => boolean, ms: number, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + ms
  let last: unknown
  while (!cancelled()) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`not within ${ms / 1000} s${last instanceof Error ? `: ${last.message}` : ''}`)
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  throw new Error('stopped')
}

function shortenCircuit (address: string): string {
  return address.replace(/\/p2p\/(\w+)\/p2p-circuit\/p2p\/(\w+)$/, (_, relay: string, self: string) => `/p2p/${shortId(relay, 8)}/p2p-circuit/p2p/${shortId(self, 8)}`)
}
