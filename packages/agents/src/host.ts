import { setMaxListeners } from '@libp2p/interface'
import { MAX_RUN_FRAME_DATA } from '@overmind/protocols'
import { AgentFailedError, RunCancelledError, reasonText } from './errors.js'
import { deadline } from './deadline.js'
import { Scheduler } from './scheduler.js'
import type { AgentLoad } from './scheduler.js'
import type { Runner } from './runners.js'

/** An agent this node hosts */
export interface HostedAgent {
  name: string
  runner: Runner
  /** `local` agents run only for callers on this node */
  expose: 'mesh' | 'local'
  concurrency: number
  /** Longest run in ms; a caller may ask for less */
  timeout: number
  version?: string
  capabilities?: string[]
  /** What the agent does, for people and language models choosing one */
  description?: string
  skills?: string[]
}

export type RefuseReason = 'unknown-agent' | 'not-exposed' | 'bad-request' | 'shutting-down'

/** Why a run that started did not succeed */
export type RunErrorKind = 'agent-failed' | 'timeout' | 'cancelled' | 'host-error'

/** How a run ended */
export interface RunEnd {
  ok: boolean
  error?: RunErrorKind
  message: string
  exitCode?: number
  /** Output frames produced */
  frames: number
  /** From acceptance to the end, in ms */
  durationMs: number
}

export interface RunRequestInit {
  agent: string
  input: Uint8Array
  /** The calling node (peer id), used for fair queueing */
  caller: string
  /** True when the caller is another node: `local` agents refuse it */
  remote: boolean
  /** ms the caller waits, from now */
  timeout: number
  /** Aborting it cancels the run, queued or running */
  signal?: AbortSignal
  /** The asking agent on the caller's node */
  callerAgent?: string
  /** Names the run across the caller's requests (scoped to the caller by the host) */
  key?: string
  /** How the run goes, in words, apart from its output (session agents' workers report it) */
  onProgress?(message: string): void
}

export type HostAdmission =
  | { status: 'refused', reason: RefuseReason, message: string }
  | { status: 'busy' }
  | {
    status: 'accepted'
    position: number
    /** Output frames (at most `MAX_RUN_FRAME_DATA` bytes each) as they come; returns how the run ended */
    frames: AsyncGenerator<Uint8Array, RunEnd>
  }

/**
 * The agents of one node and their scheduler: admits a run at once
 * (accepted, busy or refused), then runs it when a slot frees, under the
 * shorter of the caller's timeout and the agent's own.
 */
export class AgentHost {
  private readonly agents = new Map<string, HostedAgent>()
  /** Agents hosted but not offered now (lent to another node): refused, and announced nowhere */
  private readonly suspended = new Set<string>()
  /** Aborted when an agent is removed: ends its queued and running runs */
  private readonly removal = new Map<string, AbortController>()
  private readonly scheduler: Scheduler
  private shutdown = new AbortController()
  private running = 0

  constructor (agents: HostedAgent[], init: { maxQueue: number, maxQueuePerCaller: number }) {
    this.scheduler = new Scheduler(init)
    setMaxListeners(Infinity, this.shutdown.signal)
    for (const agent of agents) this.add(agent)
  }

  /** Hosts one more agent (a name already hosted is an error) */
  add (agent: HostedAgent): void {
    if (this.agents.has(agent.name)) throw new Error(`agent "${agent.name}" is already hosted here`)
    this.scheduler.addAgent(agent.name, agent.concurrency)
    this.agents.set(agent.name, agent)
    const removal = new AbortController()
    setMaxListeners(Infinity, removal.signal)
    this.removal.set(agent.name, removal)
  }

  /** Stops hosting an agent: its waiting and running runs end as cancelled with `reason` */
  remove (name: string, reason = 'the agent left this node'): void {
    if (!this.agents.delete(name)) return
    this.suspended.delete(name)
    const cancelled = new RunCancelledError(reason)
    this.removal.get(name)?.abort(cancelled)
    this.removal.delete(name)
    this.scheduler.removeAgent(name, cancelled)
  }

  /** Refuses the agent's runs and leaves it out of `list()` until `resume` (runs in progress go on) */
  suspend (name: string): void {
    if (this.agents.has(name)) this.suspended.add(name)
  }

  resume (name: string): void {
    this.suspended.delete(name)
  }

  isSuspended (name: string): boolean {
    return this.suspended.has(name)
  }

  /** An agent hosted here, suspended or not */
  get (name: string): HostedAgent | undefined {
    return this.agents.get(name)
  }

  /** The agents offered now (not suspended) */
  list (): HostedAgent[] {
    return [...this.agents.values()].filter(agent => !this.suspended.has(agent.name))
  }

  load (name: string): AgentLoad | undefined {
    return this.scheduler.load(name)
  }

  /** Runs of `name` that could start now: none while its runner is not ready */
  freeSlots (name: string): number {
    const load = this.scheduler.load(name)
    if (load == null || this.agents.get(name)?.runner.ready?.() === false) return 0
    return Math.max(0, load.concurrency - load.running)
  }

  get queueDepth (): number {
    return this.scheduler.queueDepth
  }

  /** Runs in progress (holding a slot) */
  get active (): number {
    return this.running
  }

  get stopping (): boolean {
    return this.shutdown.signal.aborted
  }

  admit (request: RunRequestInit): HostAdmission {
    if (this.stopping) return { status: 'refused', reason: 'shutting-down', message: 'the node is stopping' }
    const agent = this.agents.get(request.agent)
    if (agent == null || this.suspended.has(request.agent)) return { status: 'refused', reason: 'unknown-agent', message: `no agent named "${request.agent}" here` }
    if (request.remote && agent.expose !== 'mesh') {
      return { status: 'refused', reason: 'not-exposed', message: `agent "${agent.name}" runs only for its own node (expose: local)` }
    }
    const accepted = Date.now()
    const timer = deadline(Math.max(1, Math.min(request.timeout, agent.timeout)))
    const timeout = timer.signal
    const cancel = request.signal ?? new AbortController().signal
    const removed = this.removal.get(agent.name)?.signal
    const signal = AbortSignal.any([cancel, timeout, this.shutdown.signal, ...(removed != null ? [removed] : [])])
    setMaxListeners(Infinity, signal)
    const admitted = this.scheduler.admit(agent.name, request.caller, signal)
    if (admitted.status === 'busy') {
      timer.clear()
      return admitted
    }
    const admission = admitted
    const hosted = agent
    const why = (err: unknown): Pick<RunEnd, 'error' | 'message'> => {
      if (this.shutdown.signal.aborted) return { error: 'host-error', message: 'the host is stopping' }
      if (removed?.aborted === true) return { error: 'host-error', message: reasonText(removed.reason, 'the agent left this node') }
      if (cancel.aborted) return { error: 'cancelled', message: reasonText(cancel.reason, 'cancelled by the caller') }
      if (timeout.aborted) return { error: 'timeout', message: `the run took longer than ${Math.min(request.timeout, hosted.timeout)} ms` }
      if (err instanceof AgentFailedError) return { error: 'agent-failed', message: err.message }
      return { error: 'host-error', message: reasonText(err, 'the runner failed') }
    }
    // a run abandoned before its frames were read gives its slot back
    let started = false
    admission.slot.then(slot => {
      const giveBack = (): void => {
        if (started) return
        slot.release()
        timer.clear()
      }
      if (signal.aborted) giveBack()
      else signal.addEventListener('abort', giveBack, { once: true })
    }, () => {})
    const host = this
    async function * frames (): AsyncGenerator<Uint8Array, RunEnd> {
      started = true
      let count = 0
      let slot
      try {
        slot = await admission.slot
      } catch (err) {
        timer.clear()
        return { ok: false, ...why(err), frames: 0, durationMs: Date.now() - accepted }
      }
      host.running++
      try {
        const run = hosted.runner.run(request.input, {
          signal,
          deadline: accepted + Math.min(request.timeout, hosted.timeout),
          caller: request.caller,
          callerAgent: request.callerAgent,
          key: request.key,
          onProgress: request.onProgress
        })
        let exitCode: number | undefined
        for (;;) {
          const next = await run.next()
          if (next.done === true) {
            exitCode = next.value?.exitCode
            break
          }
          for (let at = 0; at < next.value.byteLength; at += MAX_RUN_FRAME_DATA) {
            count++
            yield next.value.subarray(at, at + MAX_RUN_FRAME_DATA)
          }
        }
        if (signal.aborted) return { ok: false, ...why(signal.reason), frames: count, durationMs: Date.now() - accepted }
        return { ok: true, message: '', exitCode, frames: count, durationMs: Date.now() - accepted }
      } catch (err) {
        const exitCode = err instanceof AgentFailedError ? err.exitCode : undefined
        return { ok: false, ...why(err), exitCode, frames: count, durationMs: Date.now() - accepted }
      } finally {
        host.running--
        slot.release()
        timer.clear()
      }
    }
    return { status: 'accepted', position: admission.position, frames: frames() }
  }

  /** Admits runs (again, after a stop) */
  start (): void {
    if (!this.shutdown.signal.aborted) return
    this.shutdown = new AbortController()
    setMaxListeners(Infinity, this.shutdown.signal)
  }

  /** Refuses new runs and ends queued and running ones */
  stop (): void {
    this.shutdown.abort(new RunCancelledError('the host is stopping'))
    this.scheduler.clear(this.shutdown.signal.reason)
  }
}
