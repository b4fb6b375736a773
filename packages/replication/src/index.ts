/**
 * @packageDocumentation
 *
 * Replication and federated search of Overmind memory, as libp2p services
 * over a `MemoryStore`:
 *
 * - `knowledge`: new federation entries pushed on the gossipsub topic
 *   `/overmind/<mesh>/knowledge/2` in batches, each entry checked before it is
 *   forwarded, indexed and written
 * - `memorySync`: anti-entropy over `/overmind/memory-sync/1.0.0` (version
 *   vectors out, missing entries back in bounded pages)
 * - `memoryQuery`: federated search over `/overmind/memory-query/1.0.0`
 *
 * @example
 *
 * ```TypeScript
 * import { createLibp2p } from 'libp2p'
 * import { knowledge, memorySync, memoryQuery } from '@overmind/replication'
 *
 * const node = await createLibp2p({
 *   // …transports, pubsub: gossipsub()…
 *   services: {
 *     knowledge: knowledge({ mesh: 'demo', store }),
 *     memorySync: memorySync({ store }),
 *     memoryQuery: memoryQuery({ store })
 *   }
 * })
 * const { results, peers } = await node.services.memoryQuery.search({ text: 'vacuum schedule', k: 5 })
 * ```
 */

import { Knowledge } from './knowledge.js'
import { MemoryQuery } from './memory-query.js'
import { MemorySync } from './memory-sync.js'
import type { ComponentLogger, PeerId, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { MemoryStore, RejectReason, SearchQuery, SearchResult } from '@overmind/memory'

export { knowledgeTopic, SYNC_PROTOCOL, QUERY_PROTOCOL } from './constants.js'

/** An entry a peer sent that failed a check */
export interface EntryRejection {
  reason: RejectReason
  message: string
  /** Peer id of the sender (the gossip author, or the sync peer) */
  from?: string
  via: 'gossip' | 'sync'
}

export interface KnowledgeStats {
  published: number
  /** Valid entries delivered on the topic */
  received: number
  duplicates: number
  /** Valid entries dropped because the store's queue of writes was full (anti-entropy fetches them) */
  dropped: number
  rejected: Partial<Record<RejectReason, number>>
}

export interface KnowledgeServiceEvents {
  'entry:rejected': CustomEvent<EntryRejection>
}

export interface KnowledgeService extends TypedEventTarget<KnowledgeServiceEvents> {
  readonly topic: string
  getStats(): KnowledgeStats
}

export interface KnowledgeInit {
  mesh: string
  store: MemoryStore
}

export interface KnowledgeComponents {
  logger: ComponentLogger
  pubsub?: unknown
}

export function knowledge (init: KnowledgeInit): (components: KnowledgeComponents) => KnowledgeService {
  return (components) => new Knowledge(components, init)
}

/** What one anti-entropy exchange brought */
export interface SyncReport {
  peer: string
  pages: number
  received: number
  stored: number
  duplicates: number
  rejected: number
  /** Bytes of entries received (bodies and signatures) */
  bytes: number
  ms: number
}

/** Totals over the exchanges a node started */
export interface SyncStats {
  exchanges: number
  failures: number
  pages: number
  received: number
  stored: number
  rejected: number
  bytes: number
}

export interface MemorySyncEvents {
  sync: CustomEvent<SyncReport>
  'entry:rejected': CustomEvent<EntryRejection>
}

export interface MemorySyncService extends TypedEventTarget<MemorySyncEvents> {
  readonly protocol: string
  pull(peer: PeerId, options?: { signal?: AbortSignal }): Promise<SyncReport>
  getStats(): SyncStats
}

export interface MemorySyncInit {
  store: MemoryStore
  /** Pull from one random connected peer this often (ms) @default 30_000 */
  interval?: number
  /** @default 256 */
  pageEntries?: number
  /** @default 1 MiB */
  pageBytes?: number
  /** @default 20_000 */
  messageTimeout?: number
}

export interface MemorySyncComponents {
  logger: ComponentLogger
  registrar: Registrar
  connectionManager: ConnectionManager
}

export function memorySync (init: MemorySyncInit): (components: MemorySyncComponents) => MemorySyncService {
  return (components) => new MemorySync(components, init)
}

/**
 * The `error` of a memory-query answer: `text-too-long` (over 4 KiB),
 * `bad-request` (a filter that does not decode, such as an author that is
 * not a peer id) or `unavailable` (the responder could not search). Never
 * the responder's own words.
 */
export type QueryError = 'text-too-long' | 'bad-request' | 'unavailable'

export interface PeerAnswer {
  peer: string
  ok: boolean
  results: number
  ms: number
  error?: string
}

export interface FederatedSearchResult {
  results: SearchResult[]
  peers: PeerAnswer[]
}

export interface FederatedSearchOptions {
  /** ms @default 2_000 */
  deadline?: number
  /** Peers to ask; connected peers when omitted */
  peers?: PeerId[]
  /** @default 16 */
  fanout?: number
  signal?: AbortSignal
}

export interface MemoryQueryEvents {
  query: CustomEvent<{ results: number, peers: PeerAnswer[], ms: number }>
}

export interface MemoryQueryService extends TypedEventTarget<MemoryQueryEvents> {
  readonly protocol: string
  search(query: SearchQuery, options?: FederatedSearchOptions): Promise<FederatedSearchResult>
}

export interface MemoryQueryInit {
  store: MemoryStore
  /** @default 2_000 */
  deadline?: number
}

export interface MemoryQueryComponents {
  logger: ComponentLogger
  registrar: Registrar
  connectionManager: ConnectionManager
}

export function memoryQuery (init: MemoryQueryInit): (components: MemoryQueryComponents) => MemoryQueryService {
  return (components) => new MemoryQuery(components, init)
}
