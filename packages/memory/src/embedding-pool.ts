import { Worker } from 'node:worker_threads'
import { EmbedderError } from './errors.js'
import type { AbortOptions } from '@libp2p/interface'

/** A batch of texts for one worker */
export interface EmbedRequest {
  id: number
  texts: string[]
}

export type EmbedReply = { id: number, vectors: Float32Array } | { id: number, error: string }

export interface EmbedOptions extends AbortOptions {
  /**
   * `query` batches (a search waiting for its vector) are served before
   * `bulk` ones (imports, chunks of another model) @default 'bulk'
   */
  priority?: 'query' | 'bulk'
}

interface Batch {
  texts: string[]
  signal?: AbortSignal
  resolve(vectors: Float32Array): void
  reject(err: Error): void
}

interface Thread {
  worker: Worker
  batch?: Batch
  id: number
}

export interface EmbeddingPoolInit {
  /** The worker script: answers EmbedRequests with EmbedReplies */
  script: URL
  threads: number
  dimensions: number
  /** Texts per message to a worker @default 16 */
  batchSize?: number
}

/**
 * Worker threads that embed texts, so that no embedding ever runs on the
 * event loop that serves the network. Texts go out in small batches, one
 * batch per thread at a time, queries before bulk work. Threads start on
 * first use, are kept while the process lives, and hold the process open
 * only while they work.
 */
export class EmbeddingPool {
  private readonly init: EmbeddingPoolInit
  private readonly threads: Thread[] = []
  private readonly queries: Batch[] = []
  private readonly bulk: Batch[] = []
  private nextId = 1

  constructor (init: EmbeddingPoolInit) {
    this.init = init
  }

  /** Batches waiting for a thread */
  get queued (): number {
    return this.queries.length + this.bulk.length
  }

  async embed (texts: string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    options.signal?.throwIfAborted()
    const size = this.init.batchSize ?? 16
    const parts: Array<Promise<Float32Array>> = []
    for (let i = 0; i < texts.length; i += size) {
      parts.push(new Promise<Float32Array>((resolve, reject) => {
        const batch: Batch = { texts: texts.slice(i, i + size), signal: options.signal, resolve, reject }
        ;(options.priority === 'query' ? this.queries : this.bulk).push(batch)
      }))
    }
    this.dispatch()
    const flats = await Promise.all(parts)
    const out: Float32Array[] = []
    const { dimensions } = this.init
    for (const flat of flats) {
      for (let i = 0; i < flat.length; i += dimensions) out.push(flat.slice(i, i + dimensions))
    }
    return out
  }

  private dispatch (): void {
    while (this.queued > 0) {
      const thread = this.idleThread()
      if (thread == null) return
      const batch = (this.queries.length > 0 ? this.queries : this.bulk).shift() as Batch
      if (batch.signal?.aborted === true) {
        batch.reject(batch.signal.reason ?? new Error('aborted'))
        continue
      }
      thread.batch = batch
      thread.id = this.nextId++
      thread.worker.ref()
      const request: EmbedRequest = { id: thread.id, texts: batch.texts }
      thread.worker.postMessage(request)
    }
  }

  private idleThread (): Thread | undefined {
    const idle = this.threads.find(t => t.batch == null)
    if (idle != null || this.threads.length >= this.init.threads) return idle
    const thread: Thread = { worker: new Worker(this.init.script), id: 0 }
    thread.worker.unref()
    thread.worker.on('message', (reply: EmbedReply) => {
      const batch = thread.batch
      if (batch == null || reply.id !== thread.id) return
      this.finish(thread)
      if ('error' in reply) batch.reject(new EmbedderError(`the embedder failed: ${reply.error}`))
      else batch.resolve(reply.vectors)
    })
    const lost = (err: Error): void => {
      // a new thread takes its place on the next batch
      this.threads.splice(this.threads.indexOf(thread), 1)
      thread.batch?.reject(new EmbedderError(`an embedding thread stopped: ${err.message}`))
      this.finish(thread)
    }
    thread.worker.on('error', lost)
    thread.worker.on('exit', code => { if (this.threads.includes(thread)) lost(new Error(`exit code ${code}`)) })
    this.threads.push(thread)
    return thread
  }

  private finish (thread: Thread): void {
    thread.batch = undefined
    thread.worker.unref()
    queueMicrotask(() => { this.dispatch() })
  }
}
