/**
 * @packageDocumentation
 *
 * What a client of a running node needs, without loading the node itself
 * (libp2p, the memory store, the servers): the CLI's commands that talk to a
 * running node import only this.
 */

export { ApiClient } from './api-client.js'
export type { ApiState } from './api-client.js'
export { NodeNotRunningError, ApiRequestError } from './errors.js'
export { VERSION } from './version.js'
export { CONFIG_FILE, API_STATE_FILE } from './files.js'
export type { NodeStatus, PeerReport } from './node.js'
export type { RunProgress } from './agents-api.js'
export type { ImportProgress } from './memory-api.js'
