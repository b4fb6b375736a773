/**
 * @packageDocumentation
 *
 * The heartbeat service of an Overmind node. Every `interval` it publishes a
 * signed heartbeat on the gossipsub topic `/overmind/<mesh>/heartbeat/1`
 * (node id, addresses, hosted agents, load, queue depth, software version,
 * hybrid logical clock), and it keeps a peer table of what every other node
 * announces: last seen, round-trip time from ping, and a status that turns
 * `stale`, then `gone`, as beats are missed.
 *
 * Malformed, oversized, mis-signed or foreign-mesh heartbeats are refused by
 * the topic validator, so they are never forwarded and never change state.
 *
 * @example
 *
 * ```TypeScript
 * import { createLibp2p } from 'libp2p'
 * import { gossipsub } from '@libp2p/gossipsub'
 * import { identify } from '@libp2p/identify'
 * import { ping } from '@libp2p/ping'
 * import { heartbeat } from '@overmind/heartbeat'
 *
 * const node = await createLibp2p({
 *   // transports, encrypters, muxers…
 *   services: {
 *     identify: identify(),
 *     ping: ping(),
 *     pubsub: gossipsub(),
 *     heartbeat: heartbeat({ mesh: 'demo', interval: 1_000 })
 *   }
 * })
 *
 * node.services.heartbeat.addEventListener('peer:status', (evt) => {
 *   console.info(evt.detail.peer.peerId, evt.detail.peer.status)
 * })
 * ```
 */

import { HeartbeatPublisher } from './heartbeat.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { ComponentLogger, PeerId, TypedEventTarget } from '@libp2p/interface'
import type { AddressManager, ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Ping } from '@libp2p/ping'
import type { HybridLogicalClock } from '@overmind/hlc'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { AgentAdvert } from '@overmind/protocols'
import type { RejectReason } from './errors.js'
import type { PeerEntry, PeerStatus } from './peer-table.js'

export { heartbeatTopic, heartbeatHelloProtocol, heartbeatPeersProtocol, heartbeatTopicScoreParams, DEFAULT_INTERVAL, DEFAULT_STALE_AFTER, DEFAULT_GONE_AFTER, DEFAULT_STRETCH_ABOVE } from './constants.js'
export { relayedAuthor, verifyRelayedSignature } from './relayed.js'
export { InvalidHeartbeatError } from './errors.js'
export { validateHeartbeat } from './validate.js'
export { PeerTable, missed } from './peer-table.js'
export type { RejectReason, PeerEntry, PeerStatus }

/** What the node reports about itself in each beat; omitted fields are measured or zero */
export interface LocalReport {
  agents?: AgentAdvert[]
  load?: number
  queueDepth?: number
  freeSlots?: number
  /** Chunks the node's memory holds (every zone but private) */
  memoryChunks?: number
  /** Median ms from a peer's write to this node storing it, over the last minute */
  replicationLagMs?: number
  /** STUN servers this node serves, as `/ip4|ip6|dns4|dns6/<host>/udp/<port>` */
  stun?: Multiaddr[]
}

export interface HeartbeatInit {
  /** The mesh name: part of the topic, and checked in every beat received */
  mesh: string

  /**
   * ms between beats
   *
   * @default 30_000
   */
  interval?: number

  /**
   * Members up to which beats go at `interval`. In a larger mesh each node
   * stretches its interval in proportion to the members it knows, so the
   * whole mesh publishes at most this many beats per `interval` and the
   * gossip each node handles stays bounded as the mesh grows. 0 never
   * stretches.
   *
   * @default 100
   */
  stretchAbove?: number

  /**
   * Missed beats before a peer is `stale`
   *
   * @default 2
   */
  staleAfter?: number

  /**
   * Missed beats before a peer is `gone`
   *
   * @default 5
   */
  goneAfter?: number

  /**
   * Gone peers are removed from the table after this many of their intervals
   *
   * @default 720
   */
  forgetAfter?: number

  /**
   * ms to wait for a ping answer
   *
   * @default 5_000
   */
  pingTimeout?: number

  /** Software name and version announced, e.g. "overmind/0.1.0" */
  version?: string

  /** The node's name for operators, announced in each beat */
  name?: string

  /** Called before each beat for what the node adds to its report (over what `runAgent` says) */
  report?(): LocalReport

  /** The node's clock, shared with other services that stamp events */
  clock?: HybridLogicalClock

  /** Time source in ms since the epoch */
  now?(): number
}

/** What a service that hosts agents tells each beat: agents, free slots, queue */
export interface LoadReporter {
  report(): LocalReport
}

export interface HeartbeatComponents {
  peerId: PeerId
  addressManager: AddressManager
  connectionManager: ConnectionManager
  registrar: Registrar
  logger: ComponentLogger
  pubsub: GossipSub
  ping: Ping
  /** The node's run-agent service, when it has one (a libp2p service named `runAgent`) */
  runAgent?: LoadReporter
}

export interface PeerStatusChange {
  peer: PeerEntry
  /** undefined the first time the peer is seen */
  previous?: PeerStatus
}

export interface HeartbeatRejection {
  reason: RejectReason
  message: string
  from?: string
}

export interface HeartbeatEvents {
  /** A fresh beat was received and recorded */
  heartbeat: CustomEvent<PeerEntry>
  /** A peer was seen for the first time or changed status */
  'peer:status': CustomEvent<PeerStatusChange>
  /** The topic validator refused a beat */
  'heartbeat:rejected': CustomEvent<HeartbeatRejection>
}

export interface HeartbeatStats {
  sent: number
  received: number
  /** beats taken from neighbours' peer tables (peers pulls) */
  pulled: number
  rejected: Partial<Record<RejectReason, number>>
}

export interface HeartbeatService extends TypedEventTarget<HeartbeatEvents> {
  readonly topic: string
  /** Stream protocol of the hello: one beat sent straight to a neighbour that subscribed */
  readonly helloProtocol: string
  /** Stream protocol of the peers pull: a neighbour's latest signed beat of each member it knows */
  readonly peersProtocol: string
  /** The configured interval */
  readonly interval: number
  /** The interval of this node's beats now: `interval`, stretched in a mesh larger than `stretchAbove` */
  readonly currentInterval: number
  readonly stretchAbove: number
  readonly staleAfter: number
  readonly goneAfter: number

  /** Every peer known from heartbeats, most recently seen first */
  peers(): PeerEntry[]

  getPeer(peerId: PeerId | string): PeerEntry | undefined

  getStats(): HeartbeatStats

  /** Publishes a beat now, out of schedule */
  beat(): Promise<void>
}

export function heartbeat (init: HeartbeatInit): (components: HeartbeatComponents) => HeartbeatService {
  return (components) => new HeartbeatPublisher(components, init)
}
