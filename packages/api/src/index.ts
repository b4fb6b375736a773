/**
 * @packageDocumentation
 *
 * The local API of an Overmind node: one table of operations (memory, runs,
 * mesh) served as REST for the CLI, a JSON-RPC bridge, MCP, A2A, the live
 * mesh page and Prometheus metrics, all written against `NodePort`, the
 * narrow view of a node they need. `@overmind/node` implements the port and
 * starts the server; `@overmind/api/client` is the client side alone.
 *
 * @example
 *
 * ```TypeScript
 * import { startApiServer } from '@overmind/api'
 *
 * const api = await startApiServer({ node, token, host: '127.0.0.1', port: 0 })
 * console.info(api.url)
 * ```
 */

export { startApiServer, TOKEN_COOKIE } from './api-server.js'
export type { ApiServer, ApiServerInit } from './api-server.js'
export type { ApiContext, Route, RouteGroup } from './api-routes.js'
export { OPERATIONS, callOperation, operation, operationSchemas, parseParams, isPeerId } from './operations.js'
export type { Operation, OperationContext } from './operations.js'
export { RpcErrorCode } from './rpc.js'
export type { RpcResponse, RpcError } from './rpc.js'
export { createMcpServer } from './mcp.js'
export { exportChunks, importLines } from './memory-api.js'
export type { ImportProgress } from './memory-api.js'
export type { RunProgress } from './agents-api.js'
export { meshSnapshot } from './ui-api.js'
export type { MeshSnapshot, MeshEvent } from './ui-api.js'
export { splitLines } from './ndjson.js'
export { offlinePort } from './offline.js'
export { ApiClient } from './api-client.js'
export type { ApiState } from './api-client.js'
export { API_STATE_FILE } from './files.js'
export { NodeNotRunningError, ApiRequestError, BadRequestError, PayloadTooLargeError, MemoryDisabledError, InsecureApiError, InvalidParamsError, InviteNotFoundError, ERROR_KINDS } from './errors.js'
export type {
  NodePort, NodeStatus, PeerReport, ConnectionReport, HolePunchReport, OtherMeshPeer, MeshConnection, MeshEvents,
  EventLoopReport, LoopDelay, DiscoverySource, InvitesPort, InviteView, CreatedInvite, AgentPackageView, DelegationPort, DelegationView
} from './port.js'
