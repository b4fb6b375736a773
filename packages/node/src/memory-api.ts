import { STREAMED } from './api-routes.js'
import { BadRequestError, MemoryDisabledError, PayloadTooLargeError } from './errors.js'
import { splitLines } from './ndjson.js'
import type { ApiContext, Route } from './api-routes.js'
import type { MemoryStore, PutInput, SearchQuery, ZoneName } from '@overmind/memory'
import type { IncomingMessage } from 'node:http'

/** Largest JSON body when the API sets no limit */
const MAX_BODY = 1024 * 1024

/** Largest line of an import stream */
const MAX_LINE = 64 * 1024

/** Chunks per durable batch of an import; each batch is acknowledged once written */
export const IMPORT_BATCH = 500

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
export function memoryRoutes ({ node }: ApiContext): Array<[string, Route]> {
  const store = (): MemoryStore => {
    if (node.memory == null) throw new MemoryDisabledError('this node has no memory store')
    return node.memory
  }
  return [
    ['POST /v1/memory/chunks', async (req) => {
      const body = await readJson(req)
      return await store().put(body as PutInput)
    }],
    ['GET /v1/memory/chunks/:id', async (_req, _res, url, params) => {
      return await store().get(params.id, { agent: url.searchParams.get('agent') ?? undefined })
    }],
    ['DELETE /v1/memory/chunks/:id', async (_req, _res, url, params) => {
      await store().forget(params.id, { agent: url.searchParams.get('agent') ?? undefined })
      return { id: params.id, forgotten: true }
    }],
    ['POST /v1/memory/search', async (req) => {
      const body = await readJson(req)
      const query = searchQuery(body)
      if (body.federated === true) {
        const service = node.libp2p.services.memoryQuery
        if (service == null) throw new MemoryDisabledError('this node does not run federated search')
        return await service.search(query, { deadline: optionalNumber(body.deadline, 'deadline') })
      }
      return { results: await store().search(query), peers: [] }
    }],
    ['POST /v1/memory/feedback', async (req) => {
      const body = await readJson(req)
      if (!Array.isArray(body.ids) || typeof body.success !== 'boolean') {
        throw new BadRequestError('expected {"ids": [chunk ids], "success": true|false}')
      }
      await store().feedback(body.ids, body.success, { agent: optionalString(body.agent, 'agent') })
      return { ids: body.ids, success: body.success }
    }],
    ['GET /v1/memory/stats', () => store().stats()],
    ['GET /v1/memory/export', async (_req, res, url) => {
      const zone = url.searchParams.get('zone') ?? undefined
      const chunks = store().chunks({ agent: url.searchParams.get('agent') ?? undefined, zone: zone as ZoneName | undefined })
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      for await (const chunk of chunks) {
        if (!res.write(JSON.stringify(chunk) + '\n')) {
          await new Promise(resolve => res.once('drain', resolve))
        }
      }
      res.end()
      return STREAMED
    }],
    ['POST /v1/memory/import', async (req, res) => {
      const progress = importLines(store(), req)
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      for await (const line of progress) {
        res.write(JSON.stringify(line) + '\n')
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
  try {
    for await (const line of splitLines(source, { maxLength: MAX_LINE })) {
      lineNo++
      if (line.trim() === '') continue
      batch.push(parseImportLine(line, lineNo))
      if (batch.length < IMPORT_BATCH) continue
      await store.putMany(batch)
      acknowledged += batch.length
      batch = []
      yield { acknowledged }
    }
    if (batch.length > 0) {
      await store.putMany(batch)
      acknowledged += batch.length
      yield { acknowledged }
    }
    yield { done: true, acknowledged }
  } catch (err: any) {
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

function searchQuery (body: Record<string, any>): SearchQuery {
  const text = body.query ?? body.text
  if (typeof text !== 'string' || text.trim() === '') throw new BadRequestError('expected {"query": "some text"}')
  return {
    text,
    k: optionalNumber(body.k, 'k'),
    agent: optionalString(body.agent, 'agent'),
    zones: optionalStrings(body.zones, 'zones') as ZoneName[] | undefined,
    tags: optionalStrings(body.tags, 'tags'),
    agents: optionalStrings(body.agents, 'agents'),
    authors: optionalStrings(body.authors, 'authors'),
    since: optionalNumber(body.since, 'since'),
    until: optionalNumber(body.until, 'until')
  }
}

function optionalNumber (value: unknown, key: string): number | undefined {
  if (value == null) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new BadRequestError(`"${key}" must be a number`)
  return value
}

function optionalString (value: unknown, key: string): string | undefined {
  if (value == null) return undefined
  if (typeof value !== 'string') throw new BadRequestError(`"${key}" must be a string`)
  return value
}

function optionalStrings (value: unknown, key: string): string[] | undefined {
  if (value == null) return undefined
  if (!Array.isArray(value) || value.some(v => typeof v !== 'string')) throw new BadRequestError(`"${key}" must be a list of strings`)
  return value
}

/** The JSON object in a request body */
export async function readJson (req: IncomingMessage, maxBody = MAX_BODY): Promise<Record<string, any>> {
  const value = await readJsonValue(req, maxBody)
  if (typeof value !== 'object' || value == null || Array.isArray(value)) throw new BadRequestError('request body must be a JSON object')
  return value as Record<string, any>
}

/** Any JSON value in a request body, read up to `maxBody` bytes */
export async function readJsonValue (req: IncomingMessage, maxBody = MAX_BODY): Promise<unknown> {
  const text = await readBody(req, maxBody)
  try {
    return JSON.parse(text)
  } catch (err: any) {
    throw new BadRequestError(`request body is not JSON: ${err.message}`)
  }
}

/** A request body as text, refused past `maxBody` bytes */
export async function readBody (req: IncomingMessage, maxBody = MAX_BODY): Promise<string> {
  const parts: Buffer[] = []
  let size = 0
  for await (const part of req) {
    size += part.length
    if (size > maxBody) throw new PayloadTooLargeError(`request body is over ${maxBody} bytes`)
    parts.push(part)
  }
  return Buffer.concat(parts).toString('utf8')
}
