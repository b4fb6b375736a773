import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import { OPERATIONS, operation, parseParams } from './operations.js'
import { VERSION } from './version.js'
import type { NodePort } from './port.js'
import type { ChunkView } from '@overmind/memory'
import type { Operation } from './operations.js'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import { ErrorCode, ListResourcesRequestSchema, McpError, SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import type { CallToolResult, Resource, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js'

/** URI of a memory chunk as an MCP resource */
export const CHUNK_URI = 'overmind://chunks/{id}'

/** URI of the convergence signals as an MCP resource: a subscriber is told when a new one comes */
export const SIGNALS_URI = 'overmind://signals'
/** URI of the runs kept for absent hosts: a subscriber is told when one is delivered, comes back or ends */
export const QUEUED_RUNS_URI = 'overmind://runs/queued'

/** Chunks per page of `resources/list`; `nextCursor` leads to the next page */
export const RESOURCE_PAGE = 200

const INSTRUCTIONS = `Overmind Mesh node: federated memory and agents shared by many machines.
- memory_search before answering from scratch; memory_store what others should know (zone federation reaches the whole mesh, shared this node, private only you).
- memory_feedback tells the mesh which chunks helped.
- list_agents shows agents of every node; run_agent runs one wherever it is hosted and streams its output as progress.
- memory_signals lists knowledge several agents on several nodes reached on their own; subscribe to overmind://signals to hear of new ones.
- Chunks are also resources: overmind://chunks/{id}.`

/**
 * An MCP server over one node: a tool for every operation that has one (with
 * input and output schemas and annotations), and memory chunks as resources.
 * One server serves one session; create one per connection.
 */
export function createMcpServer (node: NodePort): McpServer {
  const server = new McpServer({ name: 'overmind', title: 'Overmind Mesh', version: VERSION }, {
    instructions: INSTRUCTIONS,
    capabilities: { logging: {} }
  })

  for (const op of OPERATIONS as ReadonlyArray<Operation<any>>) {
    if (op.tool == null) continue
    server.registerTool(op.tool, {
      title: op.title,
      description: op.description,
      // strict: a misspelt argument (`inptu`, `federatd`) is refused, as the JSON-RPC bridge refuses it
      inputSchema: z.strictObject(op.params),
      // loose: a result may carry more than its schema names
      outputSchema: z.looseObject(op.result),
      annotations: {
        title: op.title,
        readOnlyHint: op.readOnly,
        destructiveHint: op.destructive,
        idempotentHint: op.idempotent,
        openWorldHint: op.openWorld
      }
    }, async (params: any, extra: RequestHandlerExtra<ServerRequest, ServerNotification>): Promise<CallToolResult> => {
      const progressToken = extra._meta?.progressToken
      let progress = 0
      try {
        const result = await op.run(node, params, {
          signal: extra.signal,
          onProgress: progressToken == null
            ? undefined
            : async text => {
              progress += text.length
              await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message: text } })
            },
          // a run's progress messages, apart from its output: the count moves on by one
          onStatus: progressToken == null
            ? undefined
            : message => {
              progress += 1
              extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress, message: `[progress] ${message}` } }).catch(() => {})
            }
        })
        const text = typeof result.output === 'string' ? result.output : JSON.stringify(result, null, 2)
        return { content: [{ type: 'text', text }], structuredContent: result }
      } catch (err: any) {
        return { isError: true, content: [{ type: 'text', text: `${err.name ?? 'Error'}: ${err.message}` }] }
      }
    })
  }

  server.registerResource('chunk', new ResourceTemplate(CHUNK_URI, {
    list: async () => await listChunks(node, undefined)
  }), {
    title: 'Memory chunk',
    description: 'A chunk of federated memory: its text, zone, tags, provenance and feedback.',
    mimeType: 'application/json'
  }, async (uri, variables) => {
    const id = Array.isArray(variables.id) ? variables.id[0] : variables.id
    const get = operation('memory.get')!
    const chunk = await get.run(node, parseParams(get, { id: decodeURIComponent(id) }), {})
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(chunk, null, 2) }] }
  })

  server.registerResource('signals', SIGNALS_URI, {
    title: 'Convergence signals',
    description: 'Knowledge several agents on several nodes reached on their own, newest first (memory_signals). Subscribe to be told when a new one comes.',
    mimeType: 'application/json'
  }, async (uri) => {
    const signals = operation('memory.signals')!
    const result = await signals.run(node, parseParams(signals, {}), {})
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(result, null, 2) }] }
  })

  // the SDK's own listing has no cursor: this one pages through every chunk (and the signals first)
  server.registerResource('queued-runs', QUEUED_RUNS_URI, {
    title: 'Runs kept for absent hosts',
    description: 'Runs this node keeps until a host of their agent or skill is reachable (run_agent with queueTtl), with the output once they ran (queued_runs). Subscribe to be told when one is delivered or ends.',
    mimeType: 'application/json'
  }, async (uri) => {
    const queued = operation('agent.queued')!
    const result = await queued.run(node, parseParams(queued, {}), {})
    return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(result, null, 2) }] }
  })

  // the SDK's own listing has no cursor: this one pages through every chunk (the signals and queued runs first)
  server.server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
    const page = await listChunks(node, request.params?.cursor)
    if (request.params?.cursor != null) return page
    const first: Resource[] = [{ uri: QUEUED_RUNS_URI, name: 'queued-runs', title: 'Runs kept for absent hosts', mimeType: 'application/json' }]
    if (node.memory != null) first.unshift({ uri: SIGNALS_URI, name: 'signals', title: 'Convergence signals', mimeType: 'application/json' })
    return { ...page, resources: [...first, ...page.resources] }
  })
  subscriptions(server, [
    { uri: SIGNALS_URI, target: node.memory, event: 'signal' },
    { uri: QUEUED_RUNS_URI, target: node.runs, event: 'run:queued' }
  ])

  return server
}

/** A resource a session may subscribe to, updated on an event of a target */
interface Subscribable {
  uri: string
  /** Absent when the node lacks the part (no memory store) */
  target?: EventTarget
  event: string
}

/**
 * `resources/subscribe` for the signals and the queued runs: a subscribed
 * session gets `notifications/resources/updated` when the node folds a new
 * signal, or a queued run moves on
 */
function subscriptions (server: McpServer, resources: Subscribable[]): void {
  server.server.registerCapabilities({ resources: { subscribe: true } })
  const listeners = new Map<string, () => void>()
  const stop = (resource: Subscribable): void => {
    const listener = listeners.get(resource.uri)
    if (listener != null) resource.target?.removeEventListener(resource.event, listener)
    listeners.delete(resource.uri)
  }
  server.server.setRequestHandler(SubscribeRequestSchema, async (request) => {
    const resource = resources.find(r => r.uri === request.params.uri)
    if (resource == null) throw new McpError(ErrorCode.InvalidParams, `only ${resources.map(r => r.uri).join(' and ')} can be subscribed to`)
    if (resource.target == null) throw new McpError(ErrorCode.InvalidParams, 'this node has no memory store')
    if (listeners.has(resource.uri)) return {}
    const listener = (): void => { server.server.sendResourceUpdated({ uri: resource.uri }).catch(() => {}) }
    resource.target.addEventListener(resource.event, listener)
    listeners.set(resource.uri, listener)
    return {}
  })
  server.server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
    const resource = resources.find(r => r.uri === request.params.uri)
    if (resource != null) stop(resource)
    return {}
  })
  const closed = server.server.onclose
  server.server.onclose = () => {
    for (const resource of resources) stop(resource)
    closed?.()
  }
}

/**
 * One page of chunk resources: the `memory.list` operation, as the bridge
 * runs it. The cursor is opaque to clients.
 */
async function listChunks (node: NodePort, cursor: string | undefined): Promise<{ resources: Resource[], nextCursor?: string }> {
  if (node.memory == null) return { resources: [] }
  const list = operation('memory.list')!
  let params
  try {
    params = parseParams(list, { cursor, limit: RESOURCE_PAGE })
  } catch {
    throw new McpError(ErrorCode.InvalidParams, `not a cursor of this server: ${JSON.stringify(String(cursor).slice(0, 64))}`)
  }
  const page = await list.run(node, params, {}) as { chunks: ChunkView[], nextCursor?: string }
  return {
    resources: page.chunks.map(chunk => ({ uri: `overmind://chunks/${chunk.id}`, name: chunk.text.slice(0, 80), title: 'Memory chunk', mimeType: 'application/json', description: `${chunk.zone} chunk by ${chunk.agent} on ${chunk.author}` })),
    ...(page.nextCursor != null ? { nextCursor: page.nextCursor } : {})
  }
}
