import { BadRequestError, PayloadTooLargeError } from './errors.js'
import type { InvitesPort, NodePort } from './port.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A route answers with a JSON value, or writes the response itself and returns `STREAMED` */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>) => unknown

export const STREAMED = Symbol('streamed')

/**
 * What a group of routes is given when the API starts. Route keys are
 * `"METHOD /path/:param"`; `"* /prefix/*"` takes every method and every path
 * under the prefix (for handlers that route by themselves).
 */
export interface ApiContext {
  node: NodePort
  /** The node's invites, when it runs as a daemon with a data dir */
  invites?: InvitesPort
  /** A2A: the agent a message runs when it names none and matches no skill */
  a2aDefaultAgent?: string
  /** http(s)://host:port of the API, once it listens */
  url(): string
  /** Largest request body, in bytes */
  maxBody: number
  /** Runs `fn` when the API closes (timers, sessions) */
  onClose(fn: () => void | Promise<void>): void
}

export type RouteGroup = (context: ApiContext) => Array<[string, Route]>

/** Answers with a JSON body */
export function send (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)), 'cache-control': 'no-store', ...headers })
  res.end(json)
}

/** Writes one NDJSON line, waiting while the client's buffer is full */
export async function writeLine (res: ServerResponse, value: unknown): Promise<void> {
  if (res.destroyed) return
  if (!res.write(JSON.stringify(value) + '\n')) await new Promise(resolve => res.once('drain', resolve))
}

/** A request body as text, refused past `maxBody` bytes */
export async function readBody (req: IncomingMessage, maxBody: number): Promise<string> {
  const parts: Buffer[] = []
  let size = 0
  for await (const part of req) {
    size += part.length
    if (size > maxBody) throw new PayloadTooLargeError(`request body is over ${maxBody} bytes`)
    parts.push(part)
  }
  return Buffer.concat(parts).toString('utf8')
}

/** The JSON object in a request body, read up to `maxBody` bytes */
export async function readJson (req: IncomingMessage, maxBody: number): Promise<Record<string, any>> {
  let value: unknown
  try {
    value = JSON.parse(await readBody(req, maxBody))
  } catch (err: any) {
    if (err.name === 'PayloadTooLargeError') throw err
    throw new BadRequestError(`request body is not JSON: ${err.message}`)
  }
  if (typeof value !== 'object' || value == null || Array.isArray(value)) throw new BadRequestError('request body must be a JSON object')
  return value as Record<string, any>
}
