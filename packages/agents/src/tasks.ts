import { setMaxListeners } from '@libp2p/interface'
import { Key } from 'interface-datastore'
import { sha256 } from 'multiformats/hashes/sha2'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { AgentFailedError, LeaseLostError, RunCancelledError, TaskNotFoundError, reasonText } from './errors.js'
import type { RunOptions, Runner, RunnerExit } from './runners.js'
import type { Logger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** A run of a session agent as workers see it */
export interface TaskView {
  id: string
  agent: string
  /** `waiting` for a worker, or `claimed` by one */
  state: 'waiting' | 'claimed'
  /** Claims so far: more than one means a lease ran out and the run went back */
  attempt: number
  /** The node that asked (peer id) and its agent */
  caller: string
  callerAgent: string
  offeredAt: number
  /** When the caller stops waiting, ms since the epoch */
  deadline: number
  leaseExpiresAt?: number
  /** The latest progress message of the current claim */
  progress?: string
}

/** The workers of a session agent, as far as the node sees them */
export interface WorkerView {
  agent: string
  /** Runs waiting for a worker, and runs claimed */
  waiting: number
  claimed: number
  /** Claims waiting for a run now (workers ready) */
  claimsWaiting: number
  /** When a worker last asked for runs of this agent (or of any), ms since the epoch */
  lastAskedAt?: number
}

/** What a worker gets when it claims a run */
export interface ClaimedTask extends TaskView {
  /** The claim's token: progress, complete and fail need it, and refuse it once the lease ran out */
  lease: string
  leaseExpiresAt: number
  /** The run's input as text */
  input: string
}

export interface ClaimOptions {
  /** Only runs of these agents; any session agent of the node when empty */
  agents?: string[]
  /** ms the claim holds without progress @default 60_000 */
  lease?: number
  /** ms to wait for a run when none is waiting @default 0 */
  wait?: number
  signal?: AbortSignal
}

/** How long a claim holds without a sign of life, by default and at the most */
export const DEFAULT_LEASE = 60_000
export const MIN_LEASE = 1_000
export const MAX_LEASE = 600_000
/** Longest a claim waits for a run */
export const MAX_CLAIM_WAIT = 30_000
/** Longest output a worker may hand in: within the local API's default 1 MiB body */
export const MAX_TASK_OUTPUT = 512 * 1024
/** Longest progress message */
export const MAX_TASK_PROGRESS = 1024
/** Claims waiting for a run at once; more get no run at once */
const MAX_WAITING_CLAIMS = 64
/** Agent names whose workers' last claim is remembered */
const MAX_ASKED = 256
/** Completed runs the journal keeps, and for how long */
const MAX_JOURNAL = 1_000
const JOURNAL_AGE = 8 * 86_400_000
/** Ended claims remembered so a worker's retried complete or fail gets the same answer */
const MAX_ENDED = 1_000
const PREFIX = '/overmind/task-journal'

interface Task {
  id: string
  agent: string
  input: Uint8Array
  caller: string
  callerAgent: string
  /** Journal key: the caller node and the run's key; none for a run without a key */
  key?: string
  offeredAt: number
  deadline: number
  attempt: number
  claim?: { lease: string, expiresAt: number, length: number, timer: ReturnType<typeof setTimeout> }
  progress?: string
  onProgress?(message: string): void
  done(result: { ok: true, output: string } | { ok: false, message: string }): void
}

interface JournalEntry {
  key: string
  agent: string
  task: string
  at: number
  output: string
}

interface ClaimWaiter {
  agents: Set<string>
  resolve(task: Task | undefined): void
}

/**
 * The runs of `runner: session` agents. Such an agent has no process: its
 * runs wait here until an agent session claims one (`task.claim`), which
 * holds it for a lease that each `task.progress` renews. A run whose lease
 * runs out goes back to waiting and another worker may claim it; the first
 * worker's token is refused from then on, so a run completes once. A run
 * with a key (a queued run's id, or a caller's own) is journaled when it
 * completes, before the worker is answered: asked again with the same key,
 * after a crash of the caller or of this node, it gets the journaled
 * output and runs no more.
 */
export class TaskBoard {
  private readonly log: Logger
  private readonly tasks = new Map<string, Task>()
  private readonly ended = new Map<string, { lease: string, outcome: 'completed' | 'failed' }>()
  private readonly claims = new Set<ClaimWaiter>()
  /** When a worker last asked for runs, by agent ('' for a claim of any agent) */
  private readonly asked = new Map<string, number>()
  /** When runs of an agent last waited with no worker in sight (said once a lease) */
  private readonly unserved = new Map<string, number>()
  /** Journal entries by hashed key, with the time they were written */
  private readonly journaled = new Map<string, number>()
  private datastore?: Datastore
  private stopping = new AbortController()

  constructor (init: { log: Logger }) {
    this.log = init.log
  }

  /** Reads the journal's index from `datastore` and drops entries past their age */
  async start (datastore?: Datastore): Promise<void> {
    this.datastore = datastore
    this.stopping = new AbortController()
    setMaxListeners(Infinity, this.stopping.signal)
    if (datastore == null) return
    const stale: Key[] = []
    for await (const { key, value } of datastore.query({ prefix: PREFIX })) {
      try {
        const entry: JournalEntry = JSON.parse(uint8ArrayToString(value))
        if (Date.now() - entry.at > JOURNAL_AGE) stale.push(key)
        else this.journaled.set(key.baseNamespace(), entry.at)
      } catch {
        stale.push(key)
      }
    }
    for (const key of stale) await Promise.resolve(datastore.delete(key)).catch(() => {})
    await this.trimJournal()
  }

  /** Fails every waiting and claimed run: the node is stopping */
  stop (): void {
    this.stopping.abort(new RunCancelledError('the host is stopping'))
    for (const waiter of this.claims) waiter.resolve(undefined)
    this.claims.clear()
  }

  /**
   * Offers a run to workers and waits until one completes it (its output) or
   * fails it; rejects with the signal's reason when the run is cancelled or
   * times out, and the worker holding it learns so at its next call.
   */
  async offer (agent: string, input: Uint8Array, options: RunOptions): Promise<string> {
    options.signal.throwIfAborted()
    const key = options.key == null || options.key === '' ? undefined : options.key
    if (key != null) {
      const journaled = await this.fromJournal(key)
      if (journaled != null) {
        this.log('answered a run of %s from the journal', agent)
        return journaled.output
      }
    }
    const signal = AbortSignal.any([options.signal, this.stopping.signal])
    return await new Promise<string>((resolve, reject) => {
      const task: Task = {
        id: uint8ArrayToString(crypto.getRandomValues(new Uint8Array(12)), 'base16'),
        agent,
        input,
        caller: (options.caller ?? '').split('/')[0],
        callerAgent: options.callerAgent ?? '',
        key,
        offeredAt: Date.now(),
        deadline: options.deadline ?? Date.now() + 86_400_000,
        attempt: 0,
        onProgress: options.onProgress,
        done: result => {
          signal.removeEventListener('abort', onAbort)
          this.remove(task)
          if (result.ok) resolve(result.output)
          else reject(new AgentFailedError(result.message))
        }
      }
      const onAbort = (): void => {
        this.remove(task)
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.tasks.set(task.id, task)
      this.hand(task)
      this.noWorker(task.agent)
    })
  }

  /** A waiting run of `agents` (any when empty), claimed for a lease; undefined when none came within `wait` ms */
  async claim (options: ClaimOptions = {}): Promise<ClaimedTask | undefined> {
    const agents = new Set(options.agents ?? [])
    for (const agent of agents.size === 0 ? [''] : agents) {
      this.asked.delete(agent)
      this.asked.set(agent, Date.now())
    }
    // names come from clients: the oldest are forgotten past a bound
    while (this.asked.size > MAX_ASKED) this.asked.delete(this.asked.keys().next().value as string)
    const length = Math.min(MAX_LEASE, Math.max(MIN_LEASE, options.lease ?? DEFAULT_LEASE))
    let task = this.waiting(agents)
    const wait = Math.min(MAX_CLAIM_WAIT, Math.max(0, options.wait ?? 0))
    if (task == null && wait > 0 && this.claims.size < MAX_WAITING_CLAIMS && !this.stopping.signal.aborted) {
      task = await new Promise<Task | undefined>(resolve => {
        const done = (found: Task | undefined): void => {
          clearTimeout(timer)
          options.signal?.removeEventListener('abort', giveUp)
          this.claims.delete(waiter)
          resolve(found)
        }
        const waiter: ClaimWaiter = { agents, resolve: done }
        const giveUp = (): void => { done(undefined) }
        const timer = setTimeout(giveUp, wait)
        options.signal?.addEventListener('abort', giveUp, { once: true })
        this.claims.add(waiter)
      })
    }
    // another claim may have taken the run handed to this one
    if (task != null && (this.tasks.get(task.id) !== task || task.claim != null)) task = this.waiting(agents)
    if (task == null) return undefined
    const lease = uint8ArrayToString(crypto.getRandomValues(new Uint8Array(16)), 'base64url')
    task.attempt++
    task.progress = undefined
    task.claim = { lease, length, expiresAt: Date.now() + length, timer: this.expiry(task, lease, length) }
    this.log('run %s of %s claimed (attempt %d)', task.id, task.agent, task.attempt)
    return { ...view(task), lease, leaseExpiresAt: task.claim.expiresAt, input: new TextDecoder().decode(task.input) }
  }

  /** Renews the lease; a message goes to the caller as progress */
  progress (id: string, lease: string, message?: string): { leaseExpiresAt: number } {
    const task = this.held(id, lease)
    const claim = task.claim!
    clearTimeout(claim.timer)
    claim.expiresAt = Date.now() + claim.length
    claim.timer = this.expiry(task, lease, claim.length)
    if (message != null && message !== '') {
      task.progress = message
      try {
        task.onProgress?.(message)
      } catch (err: any) {
        this.log('progress of run %s not delivered - %s', id, err.message)
      }
    }
    return { leaseExpiresAt: claim.expiresAt }
  }

  /** Ends the run with `output`; journaled first when it has a key. Asking again with the same lease answers the same */
  async complete (id: string, lease: string, output: string): Promise<{ attempt: number }> {
    if (this.repeated(id, lease, 'completed')) return { attempt: 0 }
    const task = this.held(id, lease)
    if (task.key != null) {
      await this.journal(task, output)
      // journaled, it is done, even if the lease ran out meanwhile and another worker claimed it
      if (this.tasks.get(id) !== task) throw new TaskNotFoundError(`run ${id} ended while its output was journaled`)
    }
    this.finish(task, lease, 'completed')
    task.done({ ok: true, output })
    return { attempt: task.attempt }
  }

  /** Ends the run as failed (`AgentFailedError` with `message` for the caller) */
  fail (id: string, lease: string, message: string): { attempt: number } {
    if (this.repeated(id, lease, 'failed')) return { attempt: 0 }
    const task = this.held(id, lease)
    this.finish(task, lease, 'failed')
    task.done({ ok: false, message: message === '' ? 'the worker failed the run' : message })
    return { attempt: task.attempt }
  }

  /** Runs waiting or claimed, oldest first */
  list (): TaskView[] {
    return [...this.tasks.values()].map(view)
  }

  /** For each agent with runs here or workers asking: runs waiting and claimed, claims waiting now, and when a worker last asked */
  workers (): WorkerView[] {
    const names = new Set([...this.tasks.values()].map(t => t.agent))
    for (const name of this.asked.keys()) if (name !== '') names.add(name)
    return [...names].sort().map(agent => {
      const tasks = [...this.tasks.values()].filter(t => t.agent === agent)
      const lastAsked = this.lastAsked(agent)
      return {
        agent,
        waiting: tasks.filter(t => t.claim == null).length,
        claimed: tasks.filter(t => t.claim != null).length,
        claimsWaiting: [...this.claims].filter(c => c.agents.size === 0 || c.agents.has(agent)).length,
        ...(lastAsked > 0 ? { lastAskedAt: lastAsked } : {})
      }
    })
  }

  /** True while a claim for runs of `agent` waits, or a worker asked for them (or for any) within a default lease */
  hasWorker (agent: string): boolean {
    return Date.now() - this.lastAsked(agent) < DEFAULT_LEASE || [...this.claims].some(c => c.agents.size === 0 || c.agents.has(agent))
  }

  private lastAsked (agent: string): number {
    return Math.max(this.asked.get(agent) ?? 0, this.asked.get('') ?? 0)
  }

  /** Says so, once a default lease, when runs of `agent` wait and no worker asked for runs within one */
  private noWorker (agent: string): void {
    const now = Date.now()
    if (now - this.lastAsked(agent) < DEFAULT_LEASE || now - (this.unserved.get(agent) ?? 0) < DEFAULT_LEASE) return
    this.unserved.set(agent, now)
    this.log.error('runs of session agent %s wait, and no worker asked for runs in the last %d s: start an agent session that claims them (task_claim)', agent, DEFAULT_LEASE / 1000)
  }

  private waiting (agents: Set<string>): Task | undefined {
    for (const task of this.tasks.values()) {
      if (task.claim == null && (agents.size === 0 || agents.has(task.agent))) return task
    }
    return undefined
  }

  /** Gives a waiting run to the first claim waiting for one of its agent */
  private hand (task: Task): void {
    for (const waiter of this.claims) {
      if (waiter.agents.size === 0 || waiter.agents.has(task.agent)) {
        this.claims.delete(waiter)
        waiter.resolve(task)
        return
      }
    }
  }

  private expiry (task: Task, lease: string, length: number): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      if (task.claim?.lease !== lease || this.tasks.get(task.id) !== task) return
      this.log('the lease on run %s of %s ran out after %d ms: it waits for another worker', task.id, task.agent, length)
      task.claim = undefined
      task.progress = undefined
      this.hand(task)
    }, length)
    timer.unref?.()
    return timer
  }

  private held (id: string, lease: string): Task {
    const task = this.tasks.get(id)
    if (task == null) {
      throw new TaskNotFoundError(this.ended.has(id)
        ? `run ${id} already ended`
        : `no run ${id} waits here: it ended, its caller cancelled it or its time ran out`)
    }
    if (task.claim?.lease !== lease) throw new LeaseLostError(`the lease on run ${id} is not held: it ran out, and the run went back to wait for a worker`)
    return task
  }

  private repeated (id: string, lease: string, outcome: 'completed' | 'failed'): boolean {
    const ended = this.ended.get(id)
    if (ended == null || ended.lease !== lease) return false
    if (ended.outcome !== outcome) throw new TaskNotFoundError(`run ${id} already ended as ${ended.outcome}`)
    return true
  }

  private finish (task: Task, lease: string, outcome: 'completed' | 'failed'): void {
    this.ended.set(task.id, { lease, outcome })
    if (this.ended.size > MAX_ENDED) this.ended.delete(this.ended.keys().next().value as string)
    this.log('run %s of %s %s by its worker (attempt %d)', task.id, task.agent, outcome, task.attempt)
  }

  private remove (task: Task): void {
    if (task.claim != null) clearTimeout(task.claim.timer)
    task.claim = undefined
    this.tasks.delete(task.id)
  }

  private async hash (key: string): Promise<string> {
    return uint8ArrayToString((await sha256.digest(uint8ArrayFromString(key))).digest, 'base32')
  }

  private async fromJournal (key: string): Promise<JournalEntry | undefined> {
    const hashed = await this.hash(key)
    if (!this.journaled.has(hashed) || this.datastore == null) return undefined
    try {
      const entry: JournalEntry = JSON.parse(uint8ArrayToString(await this.datastore.get(new Key(`${PREFIX}/${hashed}`))))
      return entry.key === key ? entry : undefined
    } catch (err: any) {
      this.log('journal entry of a run could not be read - %s', reasonText(err, 'unreadable'))
      return undefined
    }
  }

  private async journal (task: Task, output: string): Promise<void> {
    if (this.datastore == null || task.key == null) return
    const hashed = await this.hash(task.key)
    const entry: JournalEntry = { key: task.key, agent: task.agent, task: task.id, at: Date.now(), output }
    await this.datastore.put(new Key(`${PREFIX}/${hashed}`), uint8ArrayFromString(JSON.stringify(entry)))
    this.journaled.set(hashed, entry.at)
    await this.trimJournal()
  }

  private async trimJournal (): Promise<void> {
    if (this.journaled.size <= MAX_JOURNAL || this.datastore == null) return
    const oldest = [...this.journaled].sort((a, b) => a[1] - b[1]).slice(0, this.journaled.size - MAX_JOURNAL)
    for (const [hashed] of oldest) {
      this.journaled.delete(hashed)
      await Promise.resolve(this.datastore.delete(new Key(`${PREFIX}/${hashed}`))).catch(() => {})
    }
  }
}

function view (task: Task): TaskView {
  return {
    id: task.id,
    agent: task.agent,
    state: task.claim == null ? 'waiting' : 'claimed',
    attempt: task.attempt,
    caller: task.caller,
    callerAgent: task.callerAgent,
    offeredAt: task.offeredAt,
    deadline: task.deadline,
    ...(task.claim != null ? { leaseExpiresAt: task.claim.expiresAt } : {}),
    ...(task.progress != null ? { progress: task.progress } : {})
  }
}

/** A `runner: session` agent: each run waits on the node's task board for a worker */
export class SessionRunner implements Runner {
  constructor (private readonly board: TaskBoard, private readonly agent: string) {}

  /** Only with a worker: without one a run would wait for one to come */
  ready (): boolean {
    return this.board.hasWorker(this.agent)
  }

  async * run (input: Uint8Array, options: RunOptions): AsyncGenerator<Uint8Array, RunnerExit> {
    const output = await this.board.offer(this.agent, input, options)
    if (output !== '') yield uint8ArrayFromString(output)
    return {}
  }
}
