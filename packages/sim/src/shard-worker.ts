/**
 * A worker thread of an in-process simulation: runs one shard of the
 * simulation's nodes and answers the run's calls on it (see `WorkerShard`)
 */
import { parentPort, workerData } from 'node:worker_threads'
import { ShardHost } from './shard.js'
import type { ShardAnswer, ShardCall, ShardInit } from './shard.js'
import type { MessagePort } from 'node:worker_threads'

const { init, threads } = workerData as { init: ShardInit, threads: Map<number, MessagePort> }
const host = new ShardHost(init, threads)
const port = parentPort
if (port == null) throw new Error('shard-worker runs as a worker thread')

port.on('message', ({ id, method, args }: ShardCall) => {
  const fn = host[method] as (...args: unknown[]) => Promise<unknown>
  const fail = (err: any): void => { port.postMessage({ id, error: { name: err?.name ?? 'Error', message: err?.message ?? String(err) } } satisfies ShardAnswer) }
  fn.apply(host, args).then(result => {
    try {
      port.postMessage({ id, result } satisfies ShardAnswer)
    } catch (err) {
      // an answer that cannot be copied to the run's thread
      fail(err)
    }
  }, fail)
})
