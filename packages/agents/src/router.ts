import { setMaxListeners } from '@libp2p/interface'
import { CircuitBreaker } from './breaker.js'
import { DEFAULT_DEADLINE, DEFAULT_RETRIES } from './constants.js'
import { deadline as deadlineSignal } from './deadline.js'
import {
  AgentFailedError, AgentNotFoundError, AllHostsBusyError, DeadlineExceededError, HostFailedError,
  RunCancelledError, RunRefusedError, reasonText
} from './errors.js'
import type { BreakerInit, BreakerState } from './breaker.js'
import type { RunEnd } from './host.js'

/** What a run asks for: an agent by name, or any agent that declares a skill */
export type RunTarget = { agent: string, skill?: undefined } | { skill: string, agent?: undefined }

/** A node that may host an agent, with what is known of its load */
export interface Candidate {
  peer: string
  /** The agent to ask for on that node; unset when only its skill is known (a DHT provider of the skill) */
  agent?: string
  /** Where the router learned of it */
  source: 'local' | 'heartbeat' | 'dht' | 'pinned'
  freeSlots?: number
  queueDepth?: number
  /** Round-trip time in ms */
  rtt?: number
}

export interface CallRequest {
  /** The agent to run; empty when the host picks one of its agents with `skill` */
  agent: string
  skill?: string
  input: Uint8Array
  callerAgent: string
  /** ms left until the deadline */
  timeout: number
  signal: AbortSignal
  onOutput(data: Uint8Array): Promise<void>
  /** Names the run across requests; empty or absent for none */
  key?: string
  /** Progress messages of the run, when the caller wants them */
  onProgress?(message: string): void
}

/**
 * How one call to one host ended. A call that throws failed on the way (no
 * connection, the stream broke, the host broke the protocol).
 */
export type CallOutcome =
  | { status: 'busy' }
  | { status: 'refused', reason: string, message: string }
  | { status: 'done', end: RunEnd }

/** What the router needs from the node around it */
export interface RouterDeps {
  self: string
  /** Candidates known without asking the network (this node, heartbeats) */
  known(target: RunTarget): Candidate[]
  /** Candidates found by asking the network (DHT providers) */
  lookup(target: RunTarget, signal: AbortSignal): Promise<Candidate[]>
  call(peer: string, request: CallRequest): Promise<CallOutcome>
}

export interface RouterInit {
  /** @default 60_000 */
  deadline?: number
  /** @default 2 */
  retries?: number
  breaker?: BreakerInit
}

export interface RouteOptions {
  /** ms from now; the run fails with `DeadlineExceededError` after it */
  deadline?: number
  /** Run on this node only (a peer id) */
  node?: string
  /** The agent on this node that asks */
  callerAgent?: string
  /** Aborting it cancels the run on its host */
  signal?: AbortSignal
  /** Called with each output frame, in order; the run waits for it */
  onOutput?(data: Uint8Array): void | Promise<void>
  /**
   * Names the run (at most 128 bytes): a host that journals completed runs
   * answers a later request with the same key from this node with the
   * journaled output instead of running it again
   */
  key?: string
  /** Called with the run's progress messages (a session agent's worker reports them), apart from its output */
  onProgress?(message: string): void
}

export interface Attempt {
  host: string
  outcome: 'ok' | 'busy' | 'refused' | 'failed' | 'agent-failed' | 'timeout' | 'cancelled'
  detail?: string
  ms: number
}

export interface RunOutcome {
  /** Peer id of the node that ran the agent */
  host: string
  /** The agent that ran, when the caller knows it (a run by skill sent to a DHT provider leaves the choice to the host) */
  agent?: string
  frames: number
  exitCode?: number
  durationMs: number
  attempts: Attempt[]
}

/**
 * Routes a run to a host. This node first when it hosts the agent, then
 * candidates ranked by free slots, queue depth, recent failures and
 * round-trip time. A busy or refusing host, or one that fails before any
 * output reached the caller, is followed by the next candidate while the
 * retry budget and the deadline last. A peer that keeps failing is skipped
 * for a while (circuit breaker).
 */
export class AgentRouter {
  private readonly deps: RouterDeps
  private readonly deadline: number
  private readonly retries: number
  private readonly breakerInit: BreakerInit
  private readonly breakers = new Map<string, CircuitBreaker>()
  private readonly inFlight = new Map<string, number>()

  constructor (deps: RouterDeps, init: RouterInit = {}) {
    this.deps = deps
    this.deadline = init.deadline ?? DEFAULT_DEADLINE
    this.retries = init.retries ?? DEFAULT_RETRIES
    this.breakerInit = init.breaker ?? {}
  }

  /** State of the circuit breaker of each peer that failed at least once */
  circuits (): Record<string, BreakerState> {
    return Object.fromEntries([...this.breakers].map(([peer, b]) => [peer, b.state]))
  }

  /** Runs an agent by name, or (a `RunTarget` with `skill`) any agent of the mesh that declares the skill */
  async run (target: string | RunTarget, input: Uint8Array, options: RouteOptions = {}): Promise<RunOutcome> {
    const timer = deadlineSignal(options.deadline ?? this.deadline)
    try {
      return await this.route(typeof target === 'string' ? { agent: target } : target, input, options, timer.signal)
    } finally {
      timer.clear()
    }
  }

  private async route (target: RunTarget, input: Uint8Array, options: RouteOptions, expired: AbortSignal): Promise<RunOutcome> {
    const agent = label(target)
    const started = Date.now()
    const deadline = options.deadline ?? this.deadline
    const signal = options.signal == null ? expired : AbortSignal.any([expired, options.signal])
    setMaxListeners(Infinity, signal)
    const stopped = (err?: unknown): Error => {
      if (options.signal?.aborted === true) return new RunCancelledError(reasonText(options.signal.reason, 'the run was cancelled'))
      if (expired.aborted) return new DeadlineExceededError(`${agent} did not finish within ${deadline} ms`)
      return err instanceof Error ? err : new Error(String(err))
    }
    const attempts: Attempt[] = []
    let delivered = 0
    const onOutput = async (data: Uint8Array): Promise<void> => {
      delivered++
      await options.onOutput?.(data)
    }

    const candidates = this.known(target, options.node)
    // the network is asked only when no heartbeat names a host and this node could not run it
    let lookedUp = options.node != null || candidates.some(c => c.source === 'heartbeat')
    // a host is tried once for each of its agents that may serve the run
    const tried = new Set<string>()
    const key = (c: Candidate): string => `${c.peer}\n${c.agent ?? ''}`
    let skipped = 0
    for (let budget = 1 + this.retries; budget > 0;) {
      if (signal.aborted) throw stopped()
      let next = candidates.find(c => !tried.has(key(c)))
      if (next == null && !lookedUp) {
        lookedUp = true
        const found = await this.deps.lookup(target, signal).catch(err => { throw stopped(err) })
        // a provider already asked about one of its agents has been tried
        candidates.push(...this.rank(found.filter(c => c.peer !== this.deps.self && !candidates.some(k => k.peer === c.peer))))
        next = candidates.find(c => !tried.has(key(c)))
      }
      if (next == null) break
      tried.add(key(next))
      const breaker = this.breaker(next.peer)
      if (next.source !== 'local' && next.source !== 'pinned' && !breaker.allow()) {
        skipped++
        continue
      }
      budget--
      const t0 = Date.now()
      const note = (outcome: Attempt['outcome'], detail?: string): void => { attempts.push({ host: next.peer, outcome, detail, ms: Date.now() - t0 }) }
      let outcome: CallOutcome
      this.inFlight.set(next.peer, (this.inFlight.get(next.peer) ?? 0) + 1)
      try {
        outcome = await this.deps.call(next.peer, {
          agent: next.agent ?? target.agent ?? '',
          skill: target.skill,
          input,
          callerAgent: options.callerAgent ?? '',
          timeout: Math.max(1, deadline - (Date.now() - started)),
          signal,
          onOutput,
          key: options.key,
          onProgress: options.onProgress
        })
      } catch (err: any) {
        if (signal.aborted) {
          note(expired.aborted ? 'timeout' : 'cancelled')
          throw stopped(err)
        }
        breaker.failure()
        note('failed', err.message)
        if (delivered > 0) throw withAttempts(new HostFailedError(`host ${next.peer} failed during the run, after ${delivered} output frames: ${err.message}`), next.peer, attempts)
        continue
      } finally {
        const left = (this.inFlight.get(next.peer) ?? 1) - 1
        if (left > 0) this.inFlight.set(next.peer, left)
        else this.inFlight.delete(next.peer)
      }
      if (outcome.status === 'busy') {
        breaker.neutral()
        note('busy')
        continue
      }
      if (outcome.status === 'refused') {
        breaker.neutral()
        note('refused', outcome.reason)
        if (outcome.reason === 'bad-request') throw withAttempts(new RunRefusedError(outcome.reason, `host ${next.peer} refused the run: ${outcome.message}`), next.peer, attempts)
        continue
      }
      const { end } = outcome
      if (end.error === 'host-error') breaker.failure()
      else breaker.success()
      if (end.ok) {
        note('ok')
        return { host: next.peer, agent: next.agent ?? target.agent, frames: end.frames, exitCode: end.exitCode, durationMs: Date.now() - started, attempts }
      }
      if (end.error === 'agent-failed') {
        note('agent-failed', end.message)
        throw withAttempts(new AgentFailedError(`${agent} failed on ${next.peer}: ${end.message}`, end.exitCode), next.peer, attempts)
      }
      if (end.error === 'timeout') {
        note('timeout', end.message)
        throw withAttempts(new DeadlineExceededError(`${agent} did not finish within ${deadline} ms on ${next.peer}: ${end.message}`), next.peer, attempts)
      }
      if (end.error === 'cancelled' && signal.aborted) {
        note('cancelled', end.message)
        throw stopped()
      }
      note('failed', end.message)
      if (delivered > 0) throw withAttempts(new HostFailedError(`host ${next.peer} failed during the run: ${end.message}`), next.peer, attempts)
    }
    if (signal.aborted) throw stopped()
    throw withAttempts(exhausted(target, attempts, skipped), undefined, attempts)
  }

  /** Candidates known without asking the network, in the order they are tried */
  known (target: string | RunTarget, node?: string): Candidate[] {
    const wanted = typeof target === 'string' ? { agent: target } : target
    if (node != null) {
      // the node named; asked by skill, it picks its own agent with the skill
      return [{ peer: node, source: node === this.deps.self ? 'local' : 'pinned', ...(wanted.agent != null ? { agent: wanted.agent } : {}) }]
    }
    const known = this.deps.known(wanted)
    return [...this.rank(known.filter(c => c.source === 'local')), ...this.rank(known.filter(c => c.source !== 'local'))]
  }

  private rank (candidates: Candidate[]): Candidate[] {
    const key = (c: Candidate): number[] => {
      const breaker = this.breakers.get(c.peer)
      const free = (c.freeSlots ?? 1) - (this.inFlight.get(c.peer) ?? 0)
      return [
        breaker?.state === 'open' ? 1 : 0,
        free > 0 ? 0 : 1,
        c.queueDepth ?? 0,
        breaker?.recentFailures ?? 0,
        c.rtt ?? 500
      ]
    }
    return candidates
      .map(c => ({ c, k: key(c) }))
      .sort((a, b) => {
        for (let i = 0; i < a.k.length; i++) {
          if (a.k[i] !== b.k[i]) return a.k[i] - b.k[i]
        }
        return 0
      })
      .map(({ c }) => c)
  }

  private breaker (peer: string): CircuitBreaker {
    let breaker = this.breakers.get(peer)
    if (breaker == null) {
      breaker = new CircuitBreaker(this.breakerInit)
      this.breakers.set(peer, breaker)
    }
    return breaker
  }
}

function exhausted (target: RunTarget, attempts: Attempt[], skipped: number): Error {
  const agent = label(target)
  const failed = attempts.filter(a => a.outcome === 'failed')
  const busy = attempts.filter(a => a.outcome === 'busy')
  const refused = attempts.filter(a => a.outcome === 'refused')
  if (failed.length > 0) {
    return new HostFailedError(`every host tried for ${agent} failed: ${failed.map(a => `${a.host}: ${a.detail ?? 'failed'}`).join('; ')}`)
  }
  if (busy.length > 0) {
    return new AllHostsBusyError(`every host of ${agent} is busy (${busy.length} tried); try again later`)
  }
  if (refused.some(a => a.detail === 'not-exposed')) {
    return new RunRefusedError('not-exposed', `${agent} is not offered to other nodes (expose: local)`)
  }
  if (refused.some(a => a.detail === 'shutting-down')) {
    return new HostFailedError(`every host of ${agent} is shutting down`)
  }
  if (skipped > 0 && attempts.length === 0) {
    return new HostFailedError(`every host of ${agent} failed recently (circuit open); try again in a few seconds`)
  }
  return new AgentNotFoundError(target.skill != null
    ? `no node of the mesh offers an agent with the skill "${target.skill}"`
    : `no node of the mesh offers an agent named ${agent}`)
}

/** How errors name what a run asked for: `"name"`, or `the skill "name"` */
export function label (target: RunTarget): string {
  return target.agent != null ? `"${target.agent}"` : `the skill "${target.skill ?? ''}"`
}

function withAttempts<E extends Error> (err: E, host: string | undefined, attempts: Attempt[]): E {
  return Object.assign(err, { host, attempts })
}
