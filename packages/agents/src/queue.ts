import { Key } from 'interface-datastore'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { QueueExpiredError, QueueFullError } from './errors.js'
import { label } from './router.js'
import type { RunOutcome, RunTarget } from './router.js'
import type { Logger } from '@libp2p/interface'
import type { Datastore } from 'interface-datastore'

/** A run this node keeps until a host of its agent or skill is reachable, or its time runs out */
export interface QueuedRun {
  id: string
  target: RunTarget
  callerAgent: string
  queuedAt: number
  /** When it fails with `QueueExpiredError` unless a host ran it */
  expiresAt: number
  /** `queued` until it is delivered (`running`), then `ok`, `failed` or `expired` */
  state: 'queued' | 'running' | 'ok' | 'failed' | 'expired'
  /** Deliveries tried (a host that went away again puts it back) */
  attempts: number
  /** What the agent wrote, as text, once it ran */
  output?: string
  host?: string
  agent?: string
  error?: { name: string, message: string }
  endedAt?: number
}

/** What is stored: the run and its input */
interface Stored extends QueuedRun {
  /** base64 */
  input: string
}

export interface RunQueueInit {
  datastore?: Datastore
  log: Logger
  /** Whether some host of the target is known now */
  reachable(target: RunTarget): boolean
  /** Runs the target within `deadline` ms; the output as text. `key` (the queued run's id) names the run, so a host that journals runs answers a second delivery from its journal */
  run(target: RunTarget, input: Uint8Array, options: { deadline: number, callerAgent: string, signal: AbortSignal, key: string }): Promise<RunOutcome & { output: string }>
  /** Longest run of a delivery @default 60_000 */
  deadline?: number
  /** How often queued runs are looked at, ms @default 2_000 */
  checkInterval?: number
  /** Told when a run is kept, goes to a host, comes back or ends */
  onChange?(run: QueuedRun): void
}

/** Runs one caller agent may have queued, and all of them */
export const MAX_QUEUED_PER_CALLER = 100
export const MAX_QUEUED = 1_000
/** Longest time a run may wait in the queue */
export const MAX_QUEUE_TTL = 7 * 86_400_000
/** Deliveries under way at once */
const PARALLEL = 4
/** How long ended runs are kept for their callers to read */
const KEEP_ENDED = 86_400_000
/** Errors that mean no host could be reached: the run stays queued */
const UNREACHED = new Set(['AgentNotFoundError', 'HostFailedError', 'AllHostsBusyError'])
const PREFIX = '/overmind/run-queue'

/**
 * Runs kept for hosts that are away: each waits (in the node's datastore,
 * so it outlives a restart) until a host of its agent or skill is known,
 * and is then delivered through the router; it fails with
 * `QueueExpiredError` once its time is up. A delivery that a crash
 * interrupts is tried again after the restart (at least once).
 */
export class RunQueue {
  private readonly init: RunQueueInit
  private readonly runs = new Map<string, Stored>()
  private timer?: ReturnType<typeof setInterval>
  private running = 0
  private stopping = new AbortController()

  constructor (init: RunQueueInit) {
    this.init = init
  }

  async start (): Promise<void> {
    this.stopping = new AbortController()
    if (this.init.datastore != null) {
      for await (const { key, value } of this.init.datastore.query({ prefix: PREFIX })) {
        try {
          const stored: Stored = JSON.parse(uint8ArrayToString(value))
          // a delivery the stop or a crash cut short goes again
          if (stored.state === 'running') stored.state = 'queued'
          this.runs.set(stored.id, stored)
        } catch (err: any) {
          this.init.log.error('dropping an unreadable queued run %s - %s', key.toString(), err.message)
          await Promise.resolve(this.init.datastore.delete(key)).catch(() => {})
        }
      }
    }
    this.timer = setInterval(() => { this.pump() }, this.init.checkInterval ?? 2_000)
    this.timer.unref?.()
    this.pump()
  }

  stop (): void {
    clearInterval(this.timer)
    this.stopping.abort(new Error('the node is stopping'))
  }

  /** Keeps a run until a host is reachable, for `ttl` ms */
  async enqueue (target: RunTarget, input: Uint8Array, options: { ttl: number, callerAgent?: string }): Promise<QueuedRun> {
    const callerAgent = options.callerAgent ?? ''
    const waiting = [...this.runs.values()].filter(r => r.state === 'queued' || r.state === 'running')
    if (waiting.length >= MAX_QUEUED) throw new QueueFullError(`this node already keeps ${MAX_QUEUED} runs for absent hosts`)
    if (waiting.filter(r => r.callerAgent === callerAgent).length >= MAX_QUEUED_PER_CALLER) {
      throw new QueueFullError(`the agent "${callerAgent}" already has ${MAX_QUEUED_PER_CALLER} runs waiting for absent hosts`)
    }
    const now = Date.now()
    const ttl = Math.min(Math.max(1, options.ttl), MAX_QUEUE_TTL)
    const run: Stored = {
      id: uint8ArrayToString(crypto.getRandomValues(new Uint8Array(12)), 'base16'),
      target: target.agent != null ? { agent: target.agent } : { skill: target.skill },
      callerAgent,
      queuedAt: now,
      expiresAt: now + ttl,
      state: 'queued',
      attempts: 0,
      input: uint8ArrayToString(input, 'base64')
    }
    this.runs.set(run.id, run)
    await this.save(run)
    this.init.log('queued run %s for %o until %d', run.id, run.target, run.expiresAt)
    this.changed(run)
    this.pump()
    return view(run)
  }

  get (id: string): QueuedRun | undefined {
    const run = this.runs.get(id)
    return run == null ? undefined : view(run)
  }

  /** Every run kept: waiting ones, and those that ended in the last day, newest first */
  list (): QueuedRun[] {
    return [...this.runs.values()].sort((a, b) => b.queuedAt - a.queuedAt).map(view)
  }

  private pump (): void {
    const now = Date.now()
    for (const run of this.runs.values()) {
      if (run.endedAt != null && now - run.endedAt > KEEP_ENDED) {
        this.runs.delete(run.id)
        if (this.init.datastore != null) void Promise.resolve(this.init.datastore.delete(key(run.id))).catch(() => {})
        continue
      }
      if (run.state !== 'queued') continue
      if (now >= run.expiresAt) {
        const err = new QueueExpiredError(`no host of ${label(run.target)} was reachable before the run's time in the queue ran out`)
        void this.end(run, { state: 'expired', error: { name: err.name, message: err.message } })
        continue
      }
      if (this.running >= PARALLEL || !this.init.reachable(run.target)) continue
      void this.deliver(run)
    }
  }

  private async deliver (run: Stored): Promise<void> {
    this.running++
    run.state = 'running'
    run.attempts++
    this.changed(run)
    try {
      const deadline = Math.max(1, Math.min(this.init.deadline ?? 60_000, run.expiresAt - Date.now()))
      const outcome = await this.init.run(run.target, uint8ArrayFromString(run.input, 'base64'), { deadline, callerAgent: run.callerAgent, signal: this.stopping.signal, key: run.id })
      await this.end(run, { state: 'ok', output: outcome.output, host: outcome.host, agent: outcome.agent })
    } catch (err: any) {
      if (this.stopping.signal.aborted) {
        run.state = 'queued'
      } else if (UNREACHED.has(err.name) && Date.now() < run.expiresAt) {
        // the host went away again: wait for the next one
        run.state = 'queued'
        this.init.log('queued run %s not delivered yet - %s', run.id, err.message)
        this.changed(run)
      } else {
        await this.end(run, { state: 'failed', host: err.host, error: { name: err.name ?? 'Error', message: String(err.message ?? err) } })
      }
    } finally {
      this.running--
    }
  }

  private async end (run: Stored, fields: Partial<QueuedRun>): Promise<void> {
    Object.assign(run, fields, { endedAt: Date.now() })
    // ended runs keep no input
    run.input = ''
    await this.save(run).catch((err: Error) => { this.init.log.error('could not record the end of queued run %s - %s', run.id, err.message) })
    this.changed(run)
  }

  private changed (run: Stored): void {
    try {
      this.init.onChange?.(view(run))
    } catch (err: any) {
      this.init.log.error('a listener of queued runs failed - %s', err.message)
    }
  }

  private async save (run: Stored): Promise<void> {
    await this.init.datastore?.put(key(run.id), uint8ArrayFromString(JSON.stringify(run)))
  }
}

function key (id: string): Key {
  return new Key(`${PREFIX}/${id}`)
}

function view (run: Stored): QueuedRun {
  const { input, ...rest } = run
  return { ...rest }
}
