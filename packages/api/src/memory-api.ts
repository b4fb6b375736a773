import { STREAMED, readJson, writeLine } from './api-routes.js'
import { BadRequestError, MemoryDisabledError } from './errors.js'
import { splitLines } from './ndjson.js'
import { IMPORT_LINE, MAX_IMPORT_BATCH, callOperation, operation, parseParams } from './operations.js'
import type { ApiContext, Route } from './api-routes.js'
import type { NodePort } from './port.js'
import type { ChunkView, PutInput } from '@overmind/memory'

/** Largest line of an import stream */
const MAX_LINE = 64 * 1024

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
 * - `POST /v1/memory/search` `{query, k?, agent?, zones?, tags?, agents?, authors?, since?, until?, federated?, deadline?, spread?}`
 * - `POST /v1/memory/feedback` `{ids, success, agent?}`
 * - `POST /v1/memory/links` `{from, to, relation?, weight?, agent?}`
 * - `POST /v1/memory/import` NDJSON of `{text, zone?, agent?, tags?}` → NDJSON progress
 * - `GET /v1/memory/export?agent=&zone=` → NDJSON of chunks
 * - `GET /v1/memory/signals?limit=` → convergence signals, newest first
 * - `POST /v1/memory/consolidate` → what the consolidation pass did
 * - `GET /v1/memory/stats`
 *
 * Import runs `memory.import` for each batch of lines, export pages through
 * `memory.list`: the same operations, checks and limits as the bridge.
 */
export function memoryRoutes ({ node, maxBody }: ApiContext): Array<[string, Route]> {
  const call = async (method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> => await callOperation(node, method, params)
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
    ['POST /v1/memory/links', async (req) => await call('memory.link', await readJson(req, maxBody))],
    ['GET /v1/memory/signals', async (_req, _res, url) => {
      const limit = url.searchParams.get('limit')
      return await call('memory.signals', { limit: limit == null ? undefined : Number(limit) })
    }],
    ['POST /v1/memory/consolidate', async () => await call('memory.consolidate', {})],
    ['GET /v1/memory/stats', async () => await call('memory.stats', {})],
    ['GET /v1/memory/export', async (_req, res, url) => {
      // checked before the answer starts, so a bad zone or agent is a 400
      if (node.memory == null) throw new MemoryDisabledError('this node has no memory store')
      const chunks = exportChunks(node, { agent: agent(url), zone: url.searchParams.get('zone') ?? undefined })
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      for await (const chunk of chunks) await writeLine(res, chunk)
      res.end()
      return STREAMED
    }],
    ['POST /v1/memory/import', async (req, res) => {
      if (node.memory == null) throw new MemoryDisabledError('this node has no memory store')
      const progress = importLines(node, req)
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
 * Every chunk the reader sees, of one zone or of all (federation, shared,
 * then the reader's private chunks), in log order: pages of `memory.list`,
 * each read on from where the one before ended. The params are checked at
 * once, before any chunk is read.
 */
export function exportChunks (node: NodePort, options: { agent?: string, zone?: string }): AsyncGenerator<ChunkView> {
  const list = operation('memory.list')!
  const params = parseParams(list, { agent: options.agent, zones: options.zone != null ? [options.zone] : ['federation', 'shared', 'private'] })
  return (async function * () {
    let cursor: string | undefined
    do {
      const page = await list.run(node, { ...params, cursor, limit: EXPORT_PAGE }, {}) as { chunks: ChunkView[], nextCursor?: string }
      yield * page.chunks
      cursor = page.nextCursor
    } while (cursor != null)
  })()
}

/** Chunks per page of an export */
const EXPORT_PAGE = 500

/**
 * Stores NDJSON lines of `{text, zone?, agent?, tags?}` in batches, each
 * through the `memory.import` operation. Every line is checked against the
 * params of `memory.store` first, so a bad one is named by its line number.
 * Progress is yielded after each batch only once it is durable, so whoever
 * saw `{"acknowledged": n}` knows the first n lines survive a crash. A bad
 * line ends the import with an error line once every line before it is
 * written, so whoever fixes it can go on from there.
 */
export async function * importLines (node: NodePort, source: AsyncIterable<Uint8Array>): AsyncGenerator<ImportProgress> {
  const store = operation('memory.import')!
  let acknowledged = 0
  let lineNo = 0
  let batch: PutInput[] = []
  // batches start small and grow to about a second of work at the rate seen
  // so far (at most a whole memory.import): a fast embedder gets large
  // batches, a slow one still acknowledges every second or so
  let batchSize = IMPORT_FIRST_BATCH
  const started = performance.now()
  const acknowledge = (size: number): ImportProgress => {
    acknowledged += size
    const rate = acknowledged / Math.max(0.001, (performance.now() - started) / 1000)
    batchSize = Math.max(IMPORT_FIRST_BATCH, Math.min(MAX_IMPORT_BATCH, Math.round(rate * IMPORT_BATCH_SECONDS)))
    return { acknowledged }
  }
  // the next batch is embedded while the one before it is signed and written,
  // so the embedder never waits; acknowledgements still come in line order
  const writing: Array<{ size: number, done: Promise<unknown> }> = []
  const start = (): void => {
    // each line was checked against the operation's schema as it was read
    const done = store.run(node, { chunks: batch }, {})
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
    // a bad line (not JSON, not a chunk, too long): every line before it is
    // written and acknowledged first, so the import can go on from it;
    // a failed write: nothing after it counts
    if (err.name === 'BadRequestError' || err.name === 'PayloadTooLargeError') {
      if (batch.length > 0) start()
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
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch (err: any) {
    throw new BadRequestError(`line ${lineNo} is not JSON: ${err.message}`)
  }
  const parsed = IMPORT_LINE.safeParse(value)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map(i => i.path.length === 0 ? i.message : `${i.path.join('.')}: ${i.message}`)
  throw new BadRequestError(`line ${lineNo}: ${problems.join('; ')}`)
}
