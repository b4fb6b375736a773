import type { Logger, TypedEventTarget } from '@libp2p/interface'
import type { RunAgentEvents, RunAgentService } from '@overmind/agents'
import type { HeartbeatStats, PeerEntry, PeerStatus, PeerStatusChange } from '@overmind/heartbeat'
import type { MemoryStats, MemoryStore } from '@overmind/memory'
import type { LinkKind } from '@overmind/protocols'
import type { MemoryQueryService } from '@overmind/replication'
import type { Registry } from 'prom-client'

/** Event-loop delay figures in milliseconds */
export interface LoopDelay {
  p50: number
  p99: number
  max: number
  mean: number
}

export interface EventLoopReport {
  /** The last complete window and what has passed of the current one */
  recent: LoopDelay & { windowMs: number }
  /** Since the node started */
  sinceStart: LoopDelay
}

/** How a node first learned of a peer */
export type DiscoverySource = 'bootstrap' | 'dht' | 'mdns' | 'inbound' | 'outbound'

/** A connection to a peer as shown to operators */
export interface ConnectionReport {
  remoteAddr: string
  direction: 'inbound' | 'outbound'
  /**
   * `direct` (TCP, WebSockets), `hole-punched` (WebRTC over UDP, signalled
   * through a relay) or `relayed` (every byte through a circuit relay)
   */
  kind: LinkKind
  /** A hole-punched link's ICE candidate pair, `local → remote` (e.g. `host 10.1.0.10:50123 → srflx 203.0.113.2:61000`) */
  ice?: string
  openedAt: number
}

/** What a node knows of hole punching a WebRTC link to one peer */
export interface HolePunchReport {
  /** `trying` while a punch runs, `hole-punched` once a WebRTC link is up, `failed` after a punch that did not work */
  state: 'trying' | 'hole-punched' | 'failed'
  /** Why the latest punch failed, in words */
  reason?: string
  /** ms since the epoch when the latest punch ended (or started, while trying) */
  at: number
  /** How long the latest punch took, in ms */
  ms?: number
  /** Punches tried so far */
  attempts: number
}

/** One peer known from heartbeats, with how it was found and how we reach it */
export interface PeerReport extends PeerEntry {
  discoveredVia?: DiscoverySource
  discoveredAt?: number
  connections: ConnectionReport[]
  /** Hole punching to it, when this node tried it */
  holePunch?: HolePunchReport
}

export interface NodeStatus {
  peerId: string
  mesh: string
  version: string
  /** Full multiaddrs, each ending in /p2p/<peerId> */
  addresses: string[]
  startedAt: number
  uptimeMs: number
  connections: number
  connectedPeers: number
  /** Open connections by kind: direct, hole-punched (WebRTC), relayed */
  links: Record<LinkKind, number>
  peers: Record<PeerStatus, number>
  dht: { protocol: string, mode: 'client' | 'server', routingTable: number }
  memory?: MemoryStats
  /** intervalMs: this node's beat interval now (configuredIntervalMs, stretched in a large mesh) */
  heartbeat: { topic: string, intervalMs: number, configuredIntervalMs: number, staleAfter: number, goneAfter: number } & HeartbeatStats
  /** Event-loop delay in ms: what heartbeats, pings and gossip wait before they run */
  eventLoop: EventLoopReport
  /** This node's name (identity.name, or the host name) */
  name: string
  /** Peers met with the same key but another mesh name (a misconfigured `mesh.name` on one side) */
  otherMeshes: OtherMeshPeer[]
  /** Median ms from a peer's write to this node storing it, over the last minute; 0 = nothing came */
  replicationLagMs: number
}

/** A peer that holds the mesh key but speaks another mesh's protocols */
export interface OtherMeshPeer {
  peerId: string
  /** The mesh name its protocols carry */
  mesh: string
  at: number
}

/** One open connection of a node, as the API and the live page show it */
export interface MeshConnection extends ConnectionReport {
  id: string
  peerId: string
  /** Round-trip time measured by libp2p's connection monitor, in ms */
  rtt?: number
}

/** What happens in the mesh, as a node sees it */
export interface MeshEvents {
  /** A fresh heartbeat arrived */
  heartbeat: CustomEvent<PeerEntry>
  /** A peer was seen for the first time or changed status */
  'peer:status': CustomEvent<PeerStatusChange>
  /** A connection of this node opened or closed */
  'mesh:connection': CustomEvent<{ action: 'open' | 'close', connection: MeshConnection }>
}

/**
 * All the local API asks of a node: who it is, its memory, its runs and the
 * mesh around it. Every interface (REST, JSON-RPC, MCP, A2A, the page,
 * metrics) is written against this, never against libp2p or its services.
 */
export interface NodePort {
  readonly peerId: string
  /** Software name and version, e.g. overmind/0.1.0 */
  readonly version: string
  readonly mesh: string
  /** The node's name for operators */
  readonly name: string
  status(): NodeStatus
  /** Every member known: from heartbeats, and connected ones not heard from yet */
  peers(): PeerReport[]
  /** Open connections */
  connections(): MeshConnection[]
  /** Heartbeats, peer status changes and connections as they happen */
  readonly events: TypedEventTarget<MeshEvents>
  /** The node's memory; absent when it runs without one */
  readonly memory?: MemoryStore
  /** Search across the mesh; absent when the node has no memory */
  readonly federated?: Pick<MemoryQueryService, 'search'>
  /** Runs of agents, on this node or routed to hosts of the mesh */
  readonly runs: Pick<RunAgentService, 'run' | 'agents' | 'runs' | 'enqueue' | 'queued' | 'tasks'> & TypedEventTarget<RunAgentEvents>
  /** Agents lent to and by this node; absent when the node does not run the service */
  readonly delegation?: DelegationPort
  /** Prometheus metrics of the node */
  readonly registry: Registry
  /** A debug logger for a part of the API, in the node's logging */
  logger(component: string): Logger
}

/** An invite as the API shows it: never its secret */
export interface InviteView {
  id: string
  createdAt: number
  expiresAt: number
  usesLeft: number
  redeemed: Array<{ peerId: string, name: string, at: number }>
  /** Addresses of its door while it is open */
  door: string[]
}

export interface CreatedInvite extends InviteView {
  /** The string to hand to the joining operator: a secret until it expires or is used up */
  ticket: string
}

/** The invites of a node that runs with a data dir (`overmind invite`) */
export interface InvitesPort {
  create(options: { expiresInMs?: number, uses?: number }): Promise<CreatedInvite>
  list(): InviteView[]
  /** false when no live invite has this id */
  revoke(id: string): Promise<boolean>
}

/** An agent package as `overmind agent export` writes it */
export interface AgentPackageView {
  format: 'overmind-agent-package/1'
  mesh: string
  /** Peer id of the home node, whose key signed it */
  node: string
  createdAt: number
  /** The agent as an `agents[]` entry of the config, without secrets */
  agent: Record<string, unknown>
  /** Its top chunks by salience × confidence */
  memory: Array<{ id: string, text: string, tags: string[], zone: string, createdAt: number, confidence: number, salience: number }>
  /** The signed package (`SignedAgentPackage`), base64: what the fields above show */
  signed: string
}

/** An agent lent by this node (outgoing) or hosted for another (incoming) */
export interface DelegationView {
  agent: string
  /** The node that hosts it (outgoing) or lent it (incoming) */
  peer: string
  direction: 'outgoing' | 'incoming'
  /** outgoing: lent, back; incoming: hosting, returning (its memory on the way home) */
  state: string
  startedAt: number
  expiresAt: number
  /** outgoing, once back: chunks the peer gave back, and those this node stored as its own */
  returned?: number
  stored?: number
  endedAt?: number
}

/** Agent mobility (`overmind agent export`, `delegate`, `recall`) */
export interface DelegationPort {
  export(name: string, options?: { top?: number }): Promise<AgentPackageView>
  delegate(name: string, peer: string, duration: number): Promise<DelegationView>
  recall(name: string): Promise<DelegationView>
  list(): { outgoing: DelegationView[], incoming: DelegationView[] }
}
