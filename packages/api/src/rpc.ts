import { ERROR_KINDS } from './errors.js'
import { STREAMED } from './api-routes.js'
import { readBody } from './api-routes.js'
import { OPERATIONS, operation, parseParams } from './operations.js'
import type { ApiContext, Route } from './api-routes.js'
import type { NodePort } from './port.js'

/** Most requests in one batch */
export const MAX_BATCH = 100

/** The standard JSON-RPC 2.0 error codes */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603
} as const

type Id = string | number | null

export interface RpcError {
  code: number
  message: string
  data?: unknown
}

export type RpcResponse =
  | { jsonrpc: '2.0', id: Id, result: unknown }
  | { jsonrpc: '2.0', id: Id, error: RpcError }

/**
 * JSON-RPC 2.0 over HTTP at `POST /rpc`: the operations of the node under
 * their method names (`memory.search`, `agent.run`, `mesh.status`…), single
 * requests or batches of up to 100. Params are by name. Notifications (no
 * id) run and get no answer; a request made only of notifications gets 204.
 */
export function rpcRoutes ({ node, maxBody }: ApiContext): Array<[string, Route]> {
  const bridge = new RpcBridge(node)
  return [
    ['POST /rpc', async (req, res) => {
      const text = await readBody(req, maxBody)
      // the client going away cancels what it asked for (a run on its host)
      const cancel = new AbortController()
      res.on('close', () => { if (!res.writableFinished) cancel.abort(new Error('the API client went away')) })
      const answer = await bridge.receive(text, cancel.signal)
      if (answer != null) return answer
      res.writeHead(204, { 'cache-control': 'no-store' })
      res.end()
      return STREAMED
    }]
  ]
}

/** Answers JSON-RPC 2.0 text with the node's operations; undefined when there is nothing to answer */
export class RpcBridge {
  constructor (private readonly node: NodePort) {}

  /** Method names, for discovery */
  names (): string[] {
    return OPERATIONS.map(op => op.method)
  }

  async receive (text: string, signal?: AbortSignal): Promise<RpcResponse | RpcResponse[] | undefined> {
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch (err: any) {
      return failure(null, RpcErrorCode.ParseError, `Parse error: ${err.message}`)
    }
    if (!Array.isArray(message)) {
      return await this.call(message, signal)
    }
    if (message.length === 0) {
      return failure(null, RpcErrorCode.InvalidRequest, 'Invalid Request: empty batch')
    }
    if (message.length > MAX_BATCH) {
      return failure(null, RpcErrorCode.InvalidRequest, `Invalid Request: a batch holds at most ${MAX_BATCH} requests, this one ${message.length}`)
    }
    const answers = (await Promise.all(message.map(async m => await this.call(m, signal))))
      .filter((a): a is RpcResponse => a != null)
    return answers.length > 0 ? answers : undefined
  }

  private async call (request: unknown, signal?: AbortSignal): Promise<RpcResponse | undefined> {
    if (typeof request !== 'object' || request == null || Array.isArray(request)) {
      return failure(null, RpcErrorCode.InvalidRequest, 'Invalid Request: expected an object')
    }
    const r = request as Record<string, unknown>
    const hasId = Object.hasOwn(r, 'id')
    const validId = !hasId || r.id === null || typeof r.id === 'string' || (typeof r.id === 'number' && Number.isFinite(r.id))
    const id: Id = hasId && validId ? r.id as Id : null
    if (r.jsonrpc !== '2.0') return failure(id, RpcErrorCode.InvalidRequest, 'Invalid Request: "jsonrpc" must be "2.0"')
    if (!validId) return failure(null, RpcErrorCode.InvalidRequest, 'Invalid Request: "id" must be a string, a number or null')
    if (typeof r.method !== 'string') return failure(id, RpcErrorCode.InvalidRequest, 'Invalid Request: "method" must be a string')
    if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null)) {
      return failure(id, RpcErrorCode.InvalidRequest, 'Invalid Request: "params" must be an object or an array')
    }
    const answer = await this.dispatch(id, r.method, r.params, signal)
    // a notification gets no answer, whatever happened
    return hasId ? answer : undefined
  }

  private async dispatch (id: Id, name: string, rawParams: unknown, signal?: AbortSignal): Promise<RpcResponse> {
    const op = operation(name)
    if (op == null) {
      return failure(id, RpcErrorCode.MethodNotFound, `Method not found: ${name}`, { methods: this.names() })
    }
    if (Array.isArray(rawParams)) {
      return failure(id, RpcErrorCode.InvalidParams, `Invalid params: ${name} takes params by name (an object)`)
    }
    try {
      const result = await op.run(this.node, parseParams(op, rawParams, { strict: true }), { signal })
      return { jsonrpc: '2.0', id, result }
    } catch (err: any) {
      return failure(id, ...errorCode(err))
    }
  }
}

/** The JSON-RPC error for an error of the node's parts */
export function errorCode (err: any): [number, string, unknown] {
  const name: string = err?.name ?? 'Error'
  const message: string = err?.message ?? String(err)
  const data: Record<string, unknown> = { name }
  for (const key of ['host', 'attempts', 'exitCode', 'reason', 'issues']) {
    if (err?.[key] !== undefined) data[key] = err[key]
  }
  const code = ERROR_KINDS[name]?.rpc
  if (code === RpcErrorCode.InvalidParams) return [code, `Invalid params: ${message}`, data]
  if (code != null) return [code, message, data]
  return [RpcErrorCode.InternalError, `Internal error: ${message}`, data]
}

function failure (id: Id, code: number, message: string, data?: unknown): RpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }
}
