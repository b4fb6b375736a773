import { timingSafeEqual, createHash } from 'node:crypto'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { isIP } from 'node:net'
import { networkInterfaces } from 'node:os'
import { RateLimiterMemory } from 'rate-limiter-flexible'
import { a2aRoutes } from './a2a-api.js'
import { agentRoutes } from './agents-api.js'
import { STREAMED, send } from './api-routes.js'
import { ERROR_KINDS, InsecureApiError } from './errors.js'
import { inviteRoutes } from './invites-api.js'
import { mcpRoutes } from './mcp-http.js'
import { memoryRoutes } from './memory-api.js'
import { metricsRoutes } from './metrics-api.js'
import { callOperation } from './operations.js'
import { rpcRoutes } from './rpc.js'
import { uiRoutes } from './ui-api.js'
import type { ApiContext, Route, RouteGroup } from './api-routes.js'
import type { InvitesPort, NodePort } from './port.js'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ApiServerInit {
  node: NodePort
  /** Served at /v1/invites */
  invites?: InvitesPort
  /** A2A: the agent a message runs when it names none and matches no skill (api.a2aDefaultAgent) */
  a2aDefaultAgent?: string
  token: string
  host: string
  port: number
  /** PEM certificate and key: the API speaks HTTPS */
  tls?: { cert: string | Buffer, key: string | Buffer }
  /** Allow plain HTTP on an address other than loopback */
  insecure?: boolean
  /** Host names, besides the listen address and loopback, that clients may use */
  allowedHosts?: string[]
  /** Browser origins, besides the API's own, that may call it */
  allowedOrigins?: string[]
  /** Largest request body in bytes (default 1 MiB) */
  maxBody?: number
  /** Requests per minute per client address; 0 = no limit (default 6000) */
  rateLimit?: number
  /** Serve the live mesh page at `/` (default true) */
  ui?: boolean
  /** Serve Prometheus metrics at `/metrics` (default true) */
  metrics?: boolean
  /** Extra routes, e.g. for tests */
  routes?: RouteGroup[]
}

export interface ApiServer {
  /** http(s)://host:port of the running server */
  readonly url: string
  close(): Promise<void>
}

/** Routes served without the token: the public A2A agent card (its extended card needs the token) */
const PUBLIC_PATHS = new Set(['/.well-known/agent-card.json'])

/** The cookie that carries the token for a browser (the live page) */
export const TOKEN_COOKIE = 'overmind_token'

const DEFAULT_MAX_BODY = 1024 * 1024
const DEFAULT_RATE_LIMIT = 6000

/**
 * The node's local HTTP API.
 *
 * Every request needs the token: `Authorization: Bearer <token>` (compared in
 * constant time), or for reads only (GET, HEAD) the cookie a browser gets from
 * `GET /?token=<token>`; only the public A2A card is served without it. Before that, every request must name this server in
 * its Host header and, when it comes from a browser, carry an Origin of this
 * server (both defeat DNS rebinding and cross-site requests), and stay within
 * its client's rate limit. Bodies are bounded. Plain HTTP is refused on any
 * address but loopback unless the caller says it is intended.
 */
export async function startApiServer (init: ApiServerInit): Promise<ApiServer> {
  if (!isLoopback(init.host) && init.tls == null && init.insecure !== true) {
    throw new InsecureApiError(`the local API would listen on ${init.host} without TLS: set api.tlsCert and api.tlsKey, listen on loopback (api.host: 127.0.0.1), or pass --insecure if plain HTTP is really intended`)
  }
  const maxBody = init.maxBody ?? DEFAULT_MAX_BODY
  let url = ''
  const closing: Array<() => void | Promise<void>> = []
  const context: ApiContext = { node: init.node, invites: init.invites, a2aDefaultAgent: init.a2aDefaultAgent, url: () => url, maxBody, onClose: fn => { closing.push(fn) } }
  const groups: RouteGroup[] = [
    ({ node }) => [
      ['GET /v1/status', async () => await callOperation(node, 'mesh.status', { members: false })],
      ['GET /v1/peers', async () => (await callOperation(node, 'mesh.peers', {})).peers]
    ],
    memoryRoutes,
    inviteRoutes,
    agentRoutes,
    rpcRoutes,
    mcpRoutes,
    a2aRoutes,
    ...(init.metrics !== false ? [metricsRoutes] : []),
    ...(init.ui !== false ? [uiRoutes] : []),
    ...(init.routes ?? [])
  ]
  const routes = new Map<string, Route>(groups.flatMap(group => group(context)))
  const expected = digest(init.token)
  const rate = init.rateLimit ?? DEFAULT_RATE_LIMIT
  const limiter = rate > 0 ? new RateLimiterMemory({ points: rate, duration: 60 }) : undefined
  const allowedOrigins = new Set(init.allowedOrigins ?? [])
  let allowedHosts = new Set<string>()

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch(err => {
      if (res.headersSent) {
        res.destroy(err)
      } else {
        send(res, 500, { error: { name: 'InternalError', message: err.message } })
      }
    })
  }
  const server: Server = init.tls != null ? createHttpsServer({ cert: init.tls.cert, key: init.tls.key }, listener) : createHttpServer(listener)

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader('x-content-type-options', 'nosniff')
    if (!allowedHosts.has((req.headers.host ?? '').toLowerCase())) {
      send(res, 421, { error: { name: 'MisdirectedRequest', message: 'Host header does not name this server' } })
      return
    }
    const origin = req.headers.origin
    if (origin != null && !originAllowed(origin)) {
      send(res, 403, { error: { name: 'ForbiddenOrigin', message: `requests from ${origin} are not allowed (api.allowedOrigins)` } })
      return
    }
    if (limiter != null) {
      try {
        await limiter.consume(req.socket.remoteAddress ?? 'unknown')
      } catch (limit: any) {
        if (limit instanceof Error) throw limit
        res.setHeader('retry-after', Math.max(1, Math.ceil(limit.msBeforeNext / 1000)))
        send(res, 429, { error: { name: 'TooManyRequests', message: `over ${rate} requests per minute from this client (api.rateLimit)` } })
        return
      }
    }
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = req.method ?? 'GET'
    const login = method === 'GET' && url.pathname === '/' ? url.searchParams.get('token') : null
    if (login != null) {
      // the page's sign-in link: trade the token for a cookie and drop it from the address bar
      if (!matches(login, expected)) {
        unauthorised(res)
        return
      }
      const secure = init.tls != null ? '; Secure' : ''
      res.setHeader('set-cookie', `${TOKEN_COOKIE}=${encodeURIComponent(login)}; Path=/; HttpOnly; SameSite=Strict${secure}`)
      res.writeHead(303, { location: '/', 'cache-control': 'no-store' })
      res.end()
      return
    }
    // the public A2A card says who this node is and how to authenticate; everything else needs the token
    if (!(method === 'GET' && PUBLIC_PATHS.has(url.pathname)) && !authorised(req, expected)) {
      unauthorised(res)
      return
    }
    const length = Number(req.headers['content-length'] ?? 0)
    if (length > maxBody) {
      send(res, 413, { error: { name: 'PayloadTooLargeError', message: `request body is over ${maxBody} bytes (api.maxBody)` } })
      req.resume()
      return
    }
    const found = match(routes, method, url.pathname)
    if (found == null) {
      const known = [...routes.keys()].some(r => pathMatches(r.split(' ')[1], url.pathname) != null)
      send(res, known ? 405 : 404, { error: { name: known ? 'MethodNotAllowed' : 'NotFound', message: `${method} ${url.pathname} is not an API route` } })
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

  function originAllowed (origin: string): boolean {
    if (allowedOrigins.has(origin)) return true
    try {
      const parsed = new URL(origin)
      return allowedHosts.has(parsed.host.toLowerCase()) && parsed.protocol === (init.tls != null ? 'https:' : 'http:')
    } catch {
      return false
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
  allowedHosts = new Set([init.host, 'localhost', '127.0.0.1', '::1', ...hostAddresses(init.host), ...(init.allowedHosts ?? [])]
    .map(h => `${hostPart(h)}:${port}`.toLowerCase()))
  const shown = isWildcard(init.host) ? '127.0.0.1' : init.host
  url = `${init.tls != null ? 'https' : 'http'}://${hostPart(shown)}:${port}`

  return {
    url,
    close: async () => {
      await Promise.all(closing.splice(0).map(async fn => { await fn() }))
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
    if (m !== method && m !== '*') continue
    const params = pathMatches(pattern, path)
    if (params != null) return { route, params }
  }
  return undefined
}

/** `/v1/memory/chunks/:id` or `/prefix/*` against a path: the params, or undefined */
function pathMatches (pattern: string, path: string): Record<string, string> | undefined {
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -2)
    return path === prefix || path.startsWith(prefix + '/') ? { rest: path.slice(prefix.length) } : undefined
  }
  const want = pattern.split('/')
  const got = path.split('/')
  if (want.length !== got.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(':')) {
      if (got[i] === '') return undefined
      try {
        params[want[i].slice(1)] = decodeURIComponent(got[i])
      } catch {
        return undefined
      }
    } else if (want[i] !== got[i]) {
      return undefined
    }
  }
  return params
}

/** HTTP status for the errors of the node's parts, by stable name */
export function statusOf (err: { name?: string }): number {
  return ERROR_KINDS[err.name ?? '']?.http ?? 500
}

function isWildcard (host: string): boolean {
  return host === '0.0.0.0' || host === '::'
}

function isLoopback (host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

/** For a wildcard bind: every address of this machine, since clients may use any */
function hostAddresses (host: string): string[] {
  if (!isWildcard(host)) return []
  return Object.values(networkInterfaces()).flatMap(list => (list ?? []).map(i => i.address))
}

function hostPart (host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

function digest (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

/** Hashing both sides first makes the comparison constant-time whatever the lengths */
function matches (token: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(token), expected)
}

function authorised (req: IncomingMessage, expected: Buffer): boolean {
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
  if (bearer != null) return matches(bearer[1], expected)
  // a cookie only ever reads: anything that changes state needs the header
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  const cookie = cookieValue(req.headers.cookie, TOKEN_COOKIE)
  return cookie != null && matches(cookie, expected)
}

function cookieValue (header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) {
      try {
        return decodeURIComponent(value.join('='))
      } catch {
        return undefined
      }
    }
  }
  return undefined
}

function unauthorised (res: ServerResponse): void {
  res.setHeader('WWW-Authenticate', 'Bearer realm="overmind"')
  send(res, 401, { error: { name: 'Unauthorized', message: 'missing or wrong bearer token (see api.token in the data dir)' } })
}
