/** No node is running for this data dir, or its API could not be reached */
export class NodeNotRunningError extends Error {
  static override name = 'NodeNotRunningError'
  override name = 'NodeNotRunningError'
}

/** The local API refused or failed a request */
export class ApiRequestError extends Error {
  static override name = 'ApiRequestError'
  override name = 'ApiRequestError'

  constructor (message: string, readonly status?: number, readonly remoteName?: string) {
    super(message)
  }
}

/** A request to the local API is malformed */
export class BadRequestError extends Error {
  static override name = 'BadRequestError'
  override name = 'BadRequestError'
}

/** A request body or line is over its limit */
export class PayloadTooLargeError extends Error {
  static override name = 'PayloadTooLargeError'
  override name = 'PayloadTooLargeError'
}

/** The node was started without a memory store */
export class MemoryDisabledError extends Error {
  static override name = 'MemoryDisabledError'
  override name = 'MemoryDisabledError'
}

/** The local API would serve plain HTTP beyond loopback without being told to */
export class InsecureApiError extends Error {
  static override name = 'InsecureApiError'
  override name = 'InsecureApiError'
}

/** Params of an operation do not fit its schema */
export class InvalidParamsError extends Error {
  static override name = 'InvalidParamsError'
  override name = 'InvalidParamsError'

  constructor (message: string, readonly issues: Array<{ path: string, message: string }>) {
    super(message)
  }
}

/** No invite of this node has the id */
export class InviteNotFoundError extends Error {
  static override name = 'InviteNotFoundError'
  override name = 'InviteNotFoundError'
}

/**
 * How the local API reports the errors of the node's parts, by stable name:
 * the HTTP status of the REST routes and the JSON-RPC error code of the
 * bridge (-32602 for bad input, -32001… for the domain; see
 * protocols/local-api.md). Names not listed are internal errors.
 */
export const ERROR_KINDS: Record<string, { http: number, rpc: number }> = {
  InvalidParamsError: { http: 400, rpc: -32602 },
  InvalidInputError: { http: 400, rpc: -32602 },
  InvalidRunError: { http: 400, rpc: -32602 },
  BadRequestError: { http: 400, rpc: -32602 },
  EntryRejectedError: { http: 400, rpc: -32602 },
  ZoneViolationError: { http: 400, rpc: -32602 },
  ChunkNotFoundError: { http: 404, rpc: -32001 },
  AgentNotFoundError: { http: 404, rpc: -32002 },
  AllHostsBusyError: { http: 503, rpc: -32003 },
  DeadlineExceededError: { http: 504, rpc: -32004 },
  RunRefusedError: { http: 403, rpc: -32005 },
  AgentFailedError: { http: 502, rpc: -32006 },
  HostFailedError: { http: 502, rpc: -32007 },
  RunCancelledError: { http: 499, rpc: -32008 },
  NotAuthorError: { http: 403, rpc: -32009 },
  MemoryDisabledError: { http: 503, rpc: -32010 },
  StoreClosedError: { http: 503, rpc: -32010 },
  EmbedderError: { http: 502, rpc: -32011 },
  PayloadTooLargeError: { http: 413, rpc: -32012 },
  StorageError: { http: 507, rpc: -32013 },
  InvalidInviteError: { http: 400, rpc: -32602 },
  InviteNotFoundError: { http: 404, rpc: -32014 },
  QueueFullError: { http: 503, rpc: -32015 },
  TaskNotFoundError: { http: 404, rpc: -32016 },
  LeaseLostError: { http: 409, rpc: -32017 },
  DelegationError: { http: 409, rpc: -32018 }
}
