import { timingSafeEqual, createHash } from 'node:crypto'
import { createServer } from 'node:http'
import { STREAMED } from './api-routes.js'
import { agentRoutes } from './agents-api.js'
import { memoryRoutes } from './memory-api.js'
import type { Route } from './api-routes.js'
import type { OvermindNode } from './node.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ApiServerInit {
  node: OvermindNode
  token: string
  host: string
  port: number
}

export interface ApiServer {
  /** http://host:port of the running server */
  readonly url: string
  close(): Promise<void>
}


/**
 * The node's local HTTP API. Every request needs `Authorization: Bearer
 * <token>` (compared in constant time), and a Host header naming this server,
 * which defeats DNS rebinding from web pages.
 */
export async function startApiServer (init: ApiServerInit): Promise<ApiServer> {
  const routes = new Map<string, Route>([
    ['GET /v1/status', () => init.node.status()],
    ['GET /v1/peers', () => init.node.peers()],
    ...memoryRoutes(init.node),
    ...agentRoutes(init.node)
  ])
  const expected = digest(init.token)
  let allowedHosts = new Set<string>()

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(err => {
      send(res, 500, { error: { name: 'InternalError', message: err.message } })
    })
  })

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!allowedHosts.has(req.headers.host ?? '')) {
      send(res, 421, { error: { name: 'MisdirectedRequest', message: 'Host header does not name this server' } })
      return
    }
    if (!authorised(req.headers.authorization, expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="overmind"')
      send(res, 401, { error: { name: 'Unauthorized', message: 'missing or wrong bearer token (see api.token in the data dir)' } })
      return
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const found = match(routes, req.method ?? 'GET', url.pathname)
    if (found == null) {
      const known = [...routes.keys()].some(r => pathMatches(r.split(' ')[1], url.pathname) != null)
      send(res, known ? 405 : 404, { error: { name: known ? 'MethodNotAllowed' : 'NotFound', message: `${req.method} ${url.pathname} is not an API route` } })
      return
    }
    try {
      const result = await found.route(req, res, url, found.params)
      if (result !== STREAMED) send(res, 200, result)
    } catch (err: any) {
      if (res.headersSent) {
        res.destroy(err)
        return
      }
      send(res, statusOf(err), { error: { name: err.name ?? 'Error', message: err.message } })
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(init.port, init.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = init.host.includes(':') ? `[${init.host}]` : init.host
  allowedHosts = new Set([`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`])

  return {
    url: `http://${host}:${port}`,
    close: async () => {
      await new Promise<void>(resolve => {
        server.close(() => { resolve() })
        server.closeAllConnections()
      })
    }
  }
}

function match (routes: Map<string, Route>, method: string, path: string): { route: Route, params: Record<string, string> } | undefined {
  for (const [key, route] of routes) {
    const [m, pattern] = key.split(' ')
    if (m !== method) continue
    const params = pathMatches(pattern, path)
    if (params != null) return { route, params }
  }
  return undefined
}

/** `/v1/memory/chunks/:id` against a path: the params, or undefined */
function pathMatches (pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/')
  const got = path.split('/')
  if (want.length !== got.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (got[i] === '') return undefined
      params[want[i].slice(1)] = decodeURIComponent(got[i])
    } else if (want[i] !== got[i]) {
      return undefined
    }
  }
  return params
}

/** HTTP status for the errors of the node's parts, by stable name */
function statusOf (err: { name?: string }): number {
  switch (err.name) {
    case 'InvalidInputError':
    case 'InvalidRunError':
    case 'BadRequestError':
    case 'EntryRejectedError':
      return 400
    case 'NotAuthorError':
      return 403
    case 'ChunkNotFoundError':
      return 404
    case 'PayloadTooLargeError':
      return 413
    case 'EmbedderError':
      return 502
    case 'StoreClosedError':
    case 'MemoryDisabledError':
      return 503
    default:
      return 500
  }
}

function digest (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/** Hashing both sides first makes the comparison constant-time whatever the lengths */
function authorised (header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  return match != null && timingSafeEqual(digest(match[1]), expected)
}

function send (res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), 'cache-control': 'no-store' })
  res.end(json)
}
