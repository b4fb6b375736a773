import { getPriority, setPriority } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { AbortOptions } from '@libp2p/interface'

/** What a pool's worker receives */
export interface TaskRequest<Task> {
  id: number
  task: Task
}

/** What a pool's worker answers */
export type TaskReply<Result> = { id: number, result: Result } | { id: number, error: string }

export interface TaskOptions extends AbortOptions {
  /**
   * `query` tasks (a search waiting for its vector) are served before `bulk`
   * ones (imports, chunks of another model) @default 'bulk'
   */
  priority?: 'query' | 'bulk'
}

interface Job<Task, Result> {
  task: Task
  signal?: AbortSignal
  resolve(result: Result): void
  reject(err: Error): void
}

interface Thread<Task, Result> {
  worker: Worker
  job?: Job<Task, Result>
  id: number
}

export interface WorkerPoolInit {
  /** The worker script: answers each TaskRequest with a TaskReply */
  script: URL
  threads: number
  /** Turns a worker's failure into the error callers see */
  error?(message: string): Error
}

/**
 * Worker threads that take CPU work (embedding, signing) off the event loop
 * that serves the network. One task per thread at a time, queries before
 * bulk work. Threads start on first use, are kept while the process lives,
 * and hold the process open only while they work.
 */
export class WorkerPool<Task, Result> {
  private readonly init: WorkerPoolInit
  private readonly threads: Array<Thread<Task, Result>> = []
  private readonly queries: Array<Job<Task, Result>> = []
  private readonly bulk: Array<Job<Task, Result>> = []
  private nextId = 1

  constructor (init: WorkerPoolInit) {
    this.init = init
  }

  get size (): number {
    return this.init.threads
  }

  /** Tasks waiting for a thread */
  get queued (): number {
    return this.queries.length + this.bulk.length
  }

  async run (task: Task, options: TaskOptions = {}): Promise<Result> {
    options.signal?.throwIfAborted()
    const result = new Promise<Result>((resolve, reject) => {
      (options.priority === 'query' ? this.queries : this.bulk).push({ task, signal: options.signal, resolve, reject })
    })
    this.dispatch()
    return await result
  }

  private dispatch (): void {
    while (this.queued > 0) {
      const thread = this.idleThread()
      if (thread == null) return
      const job = (this.queries.length > 0 ? this.queries : this.bulk).shift() as Job<Task, Result>
      if (job.signal?.aborted === true) {
        job.reject(job.signal.reason ?? new Error('aborted'))
        continue
      }
      thread.job = job
      thread.id = this.nextId++
      thread.worker.ref()
      const request: TaskRequest<Task> = { id: thread.id, task: job.task }
      thread.worker.postMessage(request)
    }
  }

  /** Starts every thread now, so the first tasks do not wait for threads to load (~0.2 s each) */
  warm (): void {
    while (this.threads.length < this.init.threads) this.spawn()
  }

  private idleThread (): Thread<Task, Result> | undefined {
    const idle = this.threads.find(t => t.job == null)
    if (idle != null || this.threads.length >= this.init.threads) return idle
    return this.spawn()
  }

  private spawn (): Thread<Task, Result> {
    const thread: Thread<Task, Result> = { worker: new Worker(this.init.script), id: 0 }
    thread.worker.unref()
    // a worker unreferenced before it is online still holds the process open: idle, it is let go again
    thread.worker.once('online', () => { if (thread.job == null) thread.worker.unref() })
    const failure = (message: string): Error => this.init.error?.(message) ?? new Error(message)
    thread.worker.on('message', (reply: TaskReply<Result>) => {
      const job = thread.job
      if (job == null || reply.id !== thread.id) return
      this.finish(thread)
      if ('error' in reply) job.reject(failure(reply.error))
      else job.resolve(reply.result)
    })
    const lost = (err: Error): void => {
      // a new thread takes its place on the next task
      this.threads.splice(this.threads.indexOf(thread), 1)
      thread.job?.reject(failure(`a worker thread stopped: ${err.message}`))
      this.finish(thread)
    }
    thread.worker.on('error', lost)
    thread.worker.on('exit', code => { if (this.threads.includes(thread)) lost(new Error(`exit code ${code}`)) })
    this.threads.push(thread)
    return thread
  }

  private finish (thread: Thread<Task, Result>): void {
    thread.job = undefined
    thread.worker.unref()
    queueMicrotask(() => { this.dispatch() })
  }
}

/**
 * How far a pool's thread steps back, as a nice value above the process's,
 * when cores are short: bulk work (an import's embedding and signing, a
 * sync's signature checks) takes the CPU that the event loop and the graph
 * thread leave, instead of an equal share that makes heartbeats and
 * searches wait behind it. Only on Linux, where a nice value belongs to one
 * thread; elsewhere it would slow the whole process.
 */
export const WORKER_NICE = 10

/** Lowers the calling thread's priority by WORKER_NICE (at most to 19); a refusal leaves it as it is */
function lowerThreadPriority (): void {
  if (process.platform !== 'linux') return
  try {
    setPriority(Math.min(19, getPriority() + WORKER_NICE))
  } catch {}
}

/** Runs a worker's side of a pool: each task through `work`, errors as messages, at the priority of bulk work */
export function serveTasks<Task, Result> (port: { on(event: 'message', fn: (request: TaskRequest<Task>) => void): void, postMessage(reply: TaskReply<Result>, transfer?: ArrayBuffer[]): void }, work: (task: Task) => Promise<{ result: Result, transfer?: ArrayBuffer[] }>): void {
  lowerThreadPriority()
  port.on('message', (request) => {
    work(request.task).then(({ result, transfer }) => {
      port.postMessage({ id: request.id, result }, transfer)
    }, (err: any) => {
      port.postMessage({ id: request.id, error: String(err?.message ?? err) })
    })
  })
}
