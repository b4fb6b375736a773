/**
 * @packageDocumentation
 *
 * What a client of a running node needs, without loading the node or the
 * servers: the CLI's commands that talk to a running node import only this.
 */

export { ApiClient } from './api-client.js'
export type { ApiState } from './api-client.js'
export { NodeNotRunningError, ApiRequestError } from './errors.js'
export { VERSION } from './version.js'
export { API_STATE_FILE } from './files.js'
export type { NodeStatus, PeerReport } from './port.js'
export type { RunProgress } from './agents-api.js'
export type { ImportProgress } from './memory-api.js'
