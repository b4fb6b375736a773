import { timingSafeEqual, createHash } from 'node:crypto'
import { createServer } from 'node:http'
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

type Route = (req: IncomingMessage) => unknown

/**
 * The node's local HTTP API. Every request needs `Authorization: Bearer
 * <token>` (compared in constant time), and a Host header naming this server,
 * which defeats DNS rebinding from web pages.
 */
export async function startApiServer (init: ApiServerInit): Promise<ApiServer> {
  const routes = new Map<string, Route>([
    ['GET /v1/status', () => init.node.status()],
    ['GET /v1/peers', () => init.node.peers()]
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
    const path = new URL(req.url ?? '/', 'http://localhost').pathname
    const route = routes.get(`${req.method} ${path}`)
    if (route == null) {
      const known = [...routes.keys()].some(r => r.endsWith(` ${path}`))
      send(res, known ? 405 : 404, { error: { name: known ? 'MethodNotAllowed' : 'NotFound', message: `${req.method} ${path} is not an API route` } })
      return
    }
    send(res, 200, await route(req))
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
