/**
 * @packageDocumentation
 *
 * The Overmind node: data dir (identity, mesh key, config), the libp2p peer
 * with every Overmind service, and the daemon that `overmind start` runs,
 * with the local API of `@overmind/api` over the node (which implements its
 * `NodePort`). The API's own exports are re-exported here for convenience.
 *
 * @example
 *
 * ```TypeScript
 * import { initDataDir, runNode } from '@overmind/node'
 *
 * await initDataDir('./node-1', { mesh: 'demo' })
 * const running = await runNode({ dataDir: './node-1', listen: ['/ip4/127.0.0.1/tcp/0'] })
 * console.info(running.node.status().addresses)
 * await running.stop()
 * ```
 */

export { initDataDir, openDataDir, readMeshKey, mayCreateMemory, CONFIG_FILE, API_STATE_FILE } from './data-dir.js'
export type { DataDir, InitOptions, InitResult } from './data-dir.js'
export { joinMesh } from './join.js'
export type { JoinResult } from './join.js'
export { Invites, decodeTicket, encodeTicket, redeemInvite, INVITE_PROTOCOL, TICKET_PREFIX } from './invites.js'
export { Delegations, DELEGATE_PROTOCOL, delegation, verifyPackage } from './delegation.js'
export type { InviteView, CreatedInvite, InviteTicket, RedeemedInvite } from './invites.js'
export { OvermindNode, createEmbedder, openMemoryStore } from './node.js'
export { connectionKind } from './metrics.js'
export type { CreateOvermindNodeInit } from './node.js'
export { createOvermindLibp2p, dhtProtocol, meshStreamMuxer } from './create-node.js'
export { hostedAgent, hostedAgents } from './hosted-agents.js'
export type { OvermindServices, OvermindNodeInit, DiscoverySource } from './create-node.js'
export { MeshDialer, meshDialer } from './mesh-dialer.js'
export type { MeshDialerInit, MeshDialerComponents, BootstrapFailure } from './mesh-dialer.js'
export { runNode } from './daemon.js'
export type { RunNodeOptions, RunningNode } from './daemon.js'
export { createNodeLog } from './log.js'
export type { NodeLog, LogLevel } from './log.js'
export { DataDirError, DelegationError, InvalidKeyFileError, InvalidInviteError, InviteRefusedError } from './errors.js'
export { VERSION, AGENT_VERSION } from './version.js'

// the local API, over this node
export * from '@overmind/api'
