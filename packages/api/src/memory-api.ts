import { STREAMED, readJson, writeLine } from './api-routes.js'
import { BadRequestError, MemoryDisabledError } from './errors.js'
import { splitLines } from './ndjson.js'
import { operation, parseParams } from './operations.js'
import type { ApiContext, Route } from './api-routes.js'
import type { MemoryStore, PutInput, ZoneName } from '@overmind/memory'

/** Largest line of an import stream */
const MAX_LINE = 64 * 1024

/** Chunks per durable batch of an import; each batch is acknowledged once written */
export const IMPORT_BATCH = 500

/** First batch of an import: the first acknowledgement comes after a second or so even with a slow embedder */
const IMPORT_FIRST_BATCH = 16

/** What a batch aims to take, once the import's rate is known: progress moves about this often */
const IMPORT_BATCH_SECONDS = 1

/** Batches of an import under way at once */
const IMPORT_IN_FLIGHT = 3

/** What an import stream answers with, one JSON object per line */
export type ImportProgress =
  | { acknowledged: number }
  | { done: true, acknowledged: number }
  | { error: { name: string, message: string }, line: number, acknowledged: number }

/**
 * The memory routes of the local API:
 *
 * - `POST /v1/memory/chunks` `{text, zone?, agent?, tags?}` → the stored chunk
 * - `GET /v1/memory/chunks/:id?agent=` → a chunk
 * - `DELETE /v1/memory/chunks/:id?agent=` → forgets it
 * - `POST /v1/memory/search` `{query, k?, agent?, zones?, tags?, agents?, authors?, since?, until?, federated?, deadline?}`
 * - `POST /v1/memory/feedback` `{ids, success, agent?}`
 * - `POST /v1/memory/import` NDJSON of `{text, zone?, agent?, tags?}` → NDJSON progress
 * - `GET /v1/memory/export?agent=&zone=` → NDJSON of chunks
 * - `GET /v1/memory/stats`
 */
export function memoryRoutes ({ node, maxBody }: ApiContext): Array<[string, Route]> {
  /** Runs an operation with params from the request; unknown keys are ignored */
  const call = async (method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const op = operation(method)!
    return await op.run(node, parseParams(op, params), {})
  }
  const store = (): MemoryStore => {
    if (node.memory == null) throw new MemoryDisabledError('this node has no memory store')
    return node.memory
  }
  const agent = (url: URL): string | undefined => url.searchParams.get('agent') ?? undefined
  return [
    ['POST /v1/memory/chunks', async (req) => await call('memory.store', await readJson(req, maxBody))],
    ['GET /v1/memory/chunks/:id', async (_req, _res, url, params) => await call('memory.get', { id: params.id, agent: agent(url) })],
    ['DELETE /v1/memory/chunks/:id', async (_req, _res, url, params) => await call('memory.forget', { id: params.id, agent: agent(url) })],
    ['POST /v1/memory/search', async (req) => {
      const body = await readJson(req, maxBody)
      // `text` is the older name of `query`
      return await call('memory.search', { ...body, query: body.query ?? body.text })
    }],
    ['POST /v1/memory/feedback', async (req) => await call('memory.feedback', await readJson(req, maxBody))],
    ['GET /v1/memory/stats', async () => await call('memory.stats', {})],
    ['GET /v1/memory/export', async (_req, res, url) => {
      const zone = url.searchParams.get('zone') ?? undefined
      const chunks = store().chunks({ agent: agent(url), zone: zone as ZoneName | undefined })
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      for await (const chunk of chunks) await writeLine(res, chunk)
      res.end()
      return STREAMED
    }],
    ['POST /v1/memory/import', async (req, res) => {
      const progress = importLines(store(), req)
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      for await (const line of progress) {
        await writeLine(res, line)
        // the rest of a failed import is read and dropped
        if ('error' in line) req.resume()
      }
      res.end()
      return STREAMED
    }]
  ]
}

/**
 * Stores NDJSON lines of `{text, zone?, agent?, tags?}` in batches. Progress
 * is yielded after each batch only once it is durable, so whoever saw
 * `{"acknowledged": n}` knows the first n lines survive a crash. A bad line
 * ends the import with an error line; everything before it is kept.
 */
export async function * importLines (store: MemoryStore, source: AsyncIterable<Uint8Array>): AsyncGenerator<ImportProgress> {
  let acknowledged = 0
  let lineNo = 0
  let batch: PutInput[] = []
  // batches start small and grow to about a second of work at the rate seen
  // so far (at most IMPORT_BATCH): a fast embedder gets large batches, a slow
  // one still acknowledges every second or so
  let batchSize = IMPORT_FIRST_BATCH
  const started = performance.now()
  const acknowledge = (size: number): ImportProgress => {
    acknowledged += size
    const rate = acknowledged / Math.max(0.001, (performance.now() - started) / 1000)
    batchSize = Math.max(IMPORT_FIRST_BATCH, Math.min(IMPORT_BATCH, Math.round(rate * IMPORT_BATCH_SECONDS)))
    return { acknowledged }
  }
  // the next batch is embedded while the one before it is signed and written,
  // so the embedder never waits; acknowledgements still come in line order
  const writing: Array<{ size: number, done: Promise<unknown> }> = []
  const start = (): void => {
    const done = store.putMany(batch)
    done.catch(() => {})
    writing.push({ size: batch.length, done })
    batch = []
  }
  try {
    for await (const line of splitLines(source, { maxLength: MAX_LINE })) {
      lineNo++
      if (line.trim() === '') continue
      batch.push(parseImportLine(line, lineNo))
      if (batch.length < batchSize) continue
      start()
      if (writing.length < IMPORT_IN_FLIGHT) continue
      const first = writing.shift()!
      await first.done
      yield acknowledge(first.size)
    }
    if (batch.length > 0) start()
    while (writing.length > 0) {
      const first = writing.shift()!
      await first.done
      yield acknowledge(first.size)
    }
    yield { done: true, acknowledged }
  } catch (err: any) {
    // a bad line: what came before it is written and acknowledged first;
    // a failed write: nothing after it counts
    if (err.name === 'BadRequestError') {
      for (const { size, done } of writing.splice(0)) {
        try {
          await done
        } catch {
          break
        }
        acknowledged += size
        yield { acknowledged }
      }
    }
    yield { error: { name: err.name ?? 'Error', message: err.message }, line: lineNo, acknowledged }
  }
}

function parseImportLine (line: string, lineNo: number): PutInput {
  let value: any
  try {
    value = JSON.parse(line)
  } catch (err: any) {
    throw new BadRequestError(`line ${lineNo} is not JSON: ${err.message}`)
  }
  if (typeof value !== 'object' || value == null || typeof value.text !== 'string') {
    throw new BadRequestError(`line ${lineNo} has no "text" string`)
  }
  return { text: value.text, zone: value.zone, agent: value.agent, tags: value.tags }
}
