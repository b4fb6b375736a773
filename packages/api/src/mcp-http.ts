import { randomUUID } from 'node:crypto'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import { STREAMED, readBody, send } from './api-routes.js'
import { createMcpServer } from './mcp.js'
import type { ApiContext, Route } from './api-routes.js'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { ServerResponse } from 'node:http'

/** Most MCP sessions open at once; past it the least recently used one is closed */
export const MAX_MCP_SESSIONS = 64

/** A session unused for this long is closed */
export const MCP_SESSION_IDLE = 30 * 60_000

interface Session {
  transport: StreamableHTTPServerTransport
  server: McpServer
  lastUsed: number
}

/**
 * MCP over Streamable HTTP at `/mcp`: POST carries client messages (answers
 * come as JSON or as an SSE stream with progress), GET opens the session's
 * stream of server messages, DELETE ends the session. A session starts with
 * an `initialize` request and is named by the `Mcp-Session-Id` header after.
 */
export function mcpRoutes ({ node, maxBody, onClose }: ApiContext): Array<[string, Route]> {
  const sessions = new Map<string, Session>()

  const close = (id: string): void => {
    const session = sessions.get(id)
    if (session == null) return
    sessions.delete(id)
    session.server.close().catch(() => {})
  }

  /** Closes idle sessions, and with `room`, the least recently used ones until one more fits */
  const sweep = (room = false): void => {
    const now = Date.now()
    for (const [id, session] of sessions) {
      if (now - session.lastUsed > MCP_SESSION_IDLE) close(id)
    }
    while (room && sessions.size >= MAX_MCP_SESSIONS) {
      const oldest = [...sessions.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed)[0]
      close(oldest[0])
    }
  }

  const timer = setInterval(sweep, Math.min(MCP_SESSION_IDLE, 60_000))
  timer.unref()
  onClose(() => {
    clearInterval(timer)
    for (const id of [...sessions.keys()]) close(id)
  })

  const route: Route = async (req, res) => {
    const header = req.headers['mcp-session-id']
    const id = Array.isArray(header) ? header[0] : header
    let body: unknown
    if (req.method === 'POST') {
      const text = await readBody(req, maxBody)
      try {
        body = JSON.parse(text)
      } catch (err: any) {
        rpcError(res, 400, -32700, `Parse error: ${err.message}`)
        return STREAMED
      }
    } else if (req.method !== 'GET' && req.method !== 'DELETE') {
      res.setHeader('allow', 'GET, POST, DELETE')
      rpcError(res, 405, -32000, `${req.method} is not part of the Streamable HTTP transport`)
      return STREAMED
    }

    if (id != null) {
      const session = sessions.get(id)
      if (session == null) {
        rpcError(res, 404, -32001, 'Session not found: start a new one with initialize')
        return STREAMED
      }
      session.lastUsed = Date.now()
      await session.transport.handleRequest(req, res, body)
      if (req.method === 'DELETE') close(id)
      return STREAMED
    }

    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      rpcError(res, 400, -32000, 'Bad Request: no Mcp-Session-Id header, and the message is not an initialize request')
      return STREAMED
    }
    sweep(true)
    const server = createMcpServer(node)
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: sessionId => {
        sessions.set(sessionId, { transport, server, lastUsed: Date.now() })
      }
    })
    transport.onclose = () => {
      if (transport.sessionId != null) sessions.delete(transport.sessionId)
    }
    await server.connect(transport)
    await transport.handleRequest(req, res, body)
    return STREAMED
  }

  return [['* /mcp', route]]
}

function rpcError (res: ServerResponse, status: number, code: number, message: string): void {
  send(res, status, { jsonrpc: '2.0', error: { code, message }, id: null })
}
