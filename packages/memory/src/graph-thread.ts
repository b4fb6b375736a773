import { Worker } from 'node:worker_threads'
import type { GraphReply, GraphRequest } from './graph-protocol.js'

/** A request that is answered: a GraphRequest without its id, which the thread's client adds */
export type GraphAsk = GraphRequest extends infer R ? R extends { id: number } ? Omit<R, 'id'> : never : never

/**
 * The one graph thread of this process, shared by every memory store in it
 * (a simulation may hold hundreds). Started on first use; it keeps the
 * process alive only while something waits for it.
 */
class GraphThread {
  private worker?: Worker
  private failure?: Error
  private readonly replies = new Map<number, (reply: GraphReply) => void>()
  private readonly added = new Map<number, (count: number) => void>()
  /** Requests waiting for a reply plus vectors sent and not yet in a graph */
  private outstanding = 0
  private nextId = 1
  private nextGraph = 1
  /**
   * Searches posted and not yet taken up by the thread, shared with it: its
   * inserts stop for them between one vector and the next instead of at the
   * end of a slice
   */
  private readonly searches = new Int32Array(new SharedArrayBuffer(4))

  /** A new graph id, whose insert progress goes to `onAdded` */
  register (onAdded: (count: number) => void): number {
    const graph = this.nextGraph++
    this.added.set(graph, onAdded)
    return graph
  }

  /** Forgets a graph and the inserts of it still outstanding */
  unregister (graph: number, outstandingInserts: number): void {
    if (this.added.delete(graph)) this.track(-outstandingInserts)
  }

  /** Sends a message that has no reply */
  post (message: GraphRequest, inserts = 0): void {
    const worker = this.start()
    this.track(inserts)
    worker.postMessage(message)
  }

  /** Sends a request and waits for its reply */
  async ask (message: GraphAsk): Promise<GraphReply> {
    const worker = this.start()
    const id = this.nextId++
    this.track(1)
    try {
      return await new Promise<GraphReply>((resolve, reject) => {
        if (this.failure != null) {
          reject(this.failure)
          return
        }
        this.replies.set(id, reply => {
          if (reply.op === 'failed') reject(new Error(`the graph thread failed: ${reply.problem}`))
          else resolve(reply)
        })
        if (message.op === 'search' || message.op === 'scan') Atomics.add(this.searches, 0, 1)
        worker.postMessage({ ...message, id })
      })
    } finally {
      this.replies.delete(id)
      this.track(-1)
    }
  }

  /** Why the thread stopped working, if it did */
  get failed (): Error | undefined {
    return this.failure
  }

  private start (): Worker {
    if (this.worker != null) return this.worker
    const worker = new Worker(new URL('./graph-worker.js', import.meta.url), { workerData: { searches: this.searches } })
    worker.unref()
    worker.on('message', (reply: GraphReply) => {
      if (reply.op === 'added') {
        const onAdded = this.added.get(reply.graph)
        if (onAdded == null) return
        this.track(-reply.count)
        onAdded(reply.count)
      } else if (reply.id != null) {
        this.replies.get(reply.id)?.(reply)
      }
    })
    const fail = (err: Error): void => {
      this.failure ??= err
      for (const [id, settle] of this.replies) settle({ op: 'failed', id, problem: err.message })
    }
    worker.on('error', fail)
    worker.on('exit', code => { fail(new Error(`the graph thread exited with code ${code}`)) })
    this.worker = worker
    return worker
  }

  /** Holds the process open exactly while work is outstanding */
  private track (change: number): void {
    const before = this.outstanding
    this.outstanding = Math.max(0, this.outstanding + change)
    if (before === 0 && this.outstanding > 0) this.worker?.ref()
    else if (before > 0 && this.outstanding === 0) this.worker?.unref()
  }
}

let thread: GraphThread | undefined

export function graphThread (): GraphThread {
  thread ??= new GraphThread()
  return thread
}
