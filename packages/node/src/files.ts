/** Names of the files in a data dir, for code that must not load the node (the CLI's client commands) */

export const CONFIG_FILE = 'overmind.config.yaml'
export const DEFAULT_MESH_KEY_FILE = 'mesh.key'
export const DEFAULT_PEER_KEY_FILE = 'peer.key'
export const DEFAULT_TOKEN_FILE = 'api.token'
/** Written by a running node: where its local API listens */
export { API_STATE_FILE } from '@overmind/api/client'
/** Invites this node made that can still be redeemed (holds their secrets: mode 0600) */
export const INVITES_FILE = 'invites.json'
