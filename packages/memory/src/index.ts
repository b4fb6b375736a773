/**
 * @packageDocumentation
 *
 * Federated memory without the network: signed, content-addressed knowledge
 * chunks and events in LevelDB, three zones (`private` to one agent, `shared`
 * by the agents of one node, `federation` replicated to the mesh), per-author
 * logs with version vectors for anti-entropy, and local search (approximate
 * vector search with exact re-ranking, BM25, confidence from feedback).
 *
 * @example
 *
 * ```TypeScript
 * import { MemoryStore } from '@overmind/memory'
 * import { generateKeyPair } from '@libp2p/crypto/keys'
 * import { peerIdFromPrivateKey } from '@libp2p/peer-id'
 *
 * const privateKey = await generateKeyPair('Ed25519')
 * const store = await MemoryStore.open({ path: './memory', privateKey, peerId: peerIdFromPrivateKey(privateKey) })
 * const chunk = await store.put({ text: 'vacuum runs nightly at 02:00', zone: 'federation', agent: 'ops', tags: ['postgres'] })
 * const results = await store.search({ text: 'when does vacuum run?', k: 5, agent: 'ops' })
 * await store.feedback([chunk.id], true, { agent: 'ops' })
 * await store.close()
 * ```
 */

import type { Equivocation } from './admission.js'
import type { SignalRules } from './convergence.js'
import type { Embedder } from './embedder.js'
import type { VerifiedEntry, ZoneName } from './entry.js'
import type { RejectReason, StorageProblem } from './errors.js'
import type { SpreadHit } from './links.js'
import type { RankWeights } from './rank.js'
import type { AbortOptions, ComponentLogger, PeerId, PrivateKey } from '@libp2p/interface'
import type { HybridLogicalClock } from '@overmind/hlc'

export { MemoryStore, chunkView, DEFAULT_PRUNE_RULES } from './store.js'
export type { IngestOptions, CheckOptions, Admission, Equivocation } from './admission.js'
export { DEFAULT_SIGNAL_RULES } from './convergence.js'
export { CO_USED, SAME_AS } from './consolidate.js'
export type { ConsolidationReport } from './consolidate.js'
export type { SignalRules } from './convergence.js'
export { HashingEmbedder, HttpEmbedder, tokenize } from './embedder.js'
export type { Embedder, HashingEmbedderInit, HttpEmbedderInit } from './embedder.js'
export { SentenceEmbedder } from './sentence-embedder.js'
export type { SentenceEmbedderInit } from './sentence-embedder.js'
export type { EmbedOptions } from './embedder.js'
export {
  verifyEntry, openEnvelope, checkEnvelope, checkSignature, signChunk, signEvent, entryId, isEntryId, zoneOfBytes,
  zoneFromName, zoneName, vectorFromBytes, vectorToBytes, ZONE_NAMES, NO_EVENT_FIELDS
} from './entry.js'
export type { VerifiedEntry, VerifiedChunk, VerifiedEvent, CheckedEntry, Envelope, VerifyOptions, SignatureOptions, ZoneName } from './entry.js'
export { outboundEntry } from './wire-guard.js'
export { confidence } from './fold.js'
export type { LogHead } from './version-vector.js'
export {
  EntryRejectedError, ChunkNotFoundError, InvalidInputError, NotAuthorError, ZoneViolationError, EmbedderError, StoreClosedError, StorageError
} from './errors.js'
export type { RejectReason, StorageProblem } from './errors.js'
export { folderState, checkStoreFolder, checkLogFile, diagnose, storageError } from './storage.js'
export type { Diagnosis, FolderState } from './storage.js'
export { checkStore, repairStore, createStore } from './check.js'
export type { StoreReport, CheckStoreOptions, RepairStoreOptions } from './check.js'

export interface MemoryStoreInit {
  /**
   * Folder of the LevelDB database. A store is created in it when it is
   * missing or empty (unless `create` is false); a folder that holds a store
   * is opened as it is or not at all
   */
  path: string
  /** @default true */
  create?: boolean
  /** The node's identity: signs every chunk and event written here */
  privateKey: PrivateKey
  peerId: PeerId
  /** @default a HashingEmbedder */
  embedder?: Embedder
  /**
   * The node's hybrid logical clock: stamps every entry written here and is
   * advanced by every entry received. Share it with the heartbeat.
   */
  clock?: HybridLogicalClock
  /**
   * Zones whose entries may leave this node and be accepted from peers.
   * `private` is never one of them.
   *
   * @default ['federation']
   */
  replicatedZones?: ZoneName[]
  /** @default 'federation' */
  defaultZone?: ZoneName
  /**
   * Entries from peers accepted but not yet written, at most. Gossip beyond
   * it is dropped (anti-entropy fetches it later); sync pages wait.
   *
   * @default 8192
   */
  maxPending?: number
  /** @default a logger of its own */
  logger?: ComponentLogger
  /**
   * Reads (search hits, `get`) are counted here and written as one use
   * event per zone, agent and count this often, ms; 0 writes them only when
   * `flushUses` is called. Reads counted when the store closes are dropped.
   *
   * @default 600000 (10 minutes)
   */
  useInterval?: number
  /** How far confidence and salience move a search score @default { confidence: 0.2, salience: 0.1 } */
  rankWeights?: RankWeights
  /** When this node archives or forgets its own chunks (see `prune`) */
  prune?: Partial<PruneRules>
  /**
   * How often the consolidation pass runs (`consolidate`: links chunks used
   * together and near-duplicates, applies the prune rules), ms; 0 runs it
   * only when asked
   *
   * @default 3600000 (1 hour)
   */
  consolidateInterval?: number
  /** Cosine similarity from which the consolidation pass takes two chunks for near-duplicates @default 0.95 */
  duplicateSimilarity?: number
  /** When chunks of several agents and nodes make a convergence signal (convergence.ts) */
  signals?: Partial<SignalRules>
  /**
   * Awaited before each batch is written: a simulator's slow or stalled
   * disk, or a test's proof that nothing waits for the disk
   */
  beforeWrite?(entries: number): Promise<void>
  /**
   * Awaited after each batch is written, before it counts as written: a
   * test's disk whose sync fails after the data reached it
   */
  afterWrite?(entries: number): Promise<void>
}

/**
 * The rules by which a node archives (or forgets) chunks it wrote: unused
 * for `after` ms (no read, feedback or link), and then either faded
 * (salience under `salienceBelow`) or distrusted (confidence under
 * `confidenceBelow`)
 */
export interface PruneRules {
  /** Whether the consolidation pass applies them @default true */
  enabled: boolean
  /** What a pruned chunk becomes: archived (search skips it unless asked) or forgotten (a tombstone) @default 'archive' */
  action: 'archive' | 'forget'
  /** @default 604800000 (7 days) */
  after: number
  /** @default 0.2 (a chunk never used falls under it after about 160 hours) */
  salienceBelow: number
  /** @default 0.25 (e.g. 3 failures and no success) */
  confidenceBelow: number
}


export interface PutInput {
  text: string
  /** @default the store's defaultZone */
  zone?: ZoneName
  /** The agent writing; owns the chunk in the private zone @default 'default' */
  agent?: string
  tags?: string[]
}

export interface ReadOptions extends AbortOptions {
  /** The agent reading: sees its own private chunks, shared and federation @default 'default' */
  agent?: string
}

/** A chunk as callers see it: content, provenance and folded state */
export interface ChunkView {
  id: string
  author: string
  agent: string
  zone: ZoneName
  text: string
  tags: string[]
  createdAt: number
  hlc: { wallTime: number, logical: number }
  seq: number
  model?: string
  confidence: number
  successes: number
  failures: number
  /** Links from this chunk, each with its weight (0 to 1) */
  links: Array<{ relation: string, to: string, weight: number }>
  /** Salience now: 1 just written, + 1 per use, each decaying by 0.99 an hour */
  salience: number
  /** Uses recorded by events (reads written as use events, feedback, links) */
  uses: number
  /** Set aside by its author (the prune rules): search skips it unless asked */
  archived: boolean
}

export interface SearchQuery extends ReadOptions {
  text: string
  /** @default 10 */
  k?: number
  zones?: ZoneName[]
  tags?: string[]
  /** Chunks written by these agents only */
  agents?: string[]
  /** Chunks of these author nodes only (peer id strings) */
  authors?: string[]
  /** createdAt bounds in ms since the epoch */
  since?: number
  until?: number
  /** Search only the zones that replicate (what a peer may be shown) */
  replicatedOnly?: boolean
  /** Skip the approximate graph and scan every vector */
  exact?: boolean
  /** Archived chunks too (skipped otherwise) */
  archived?: boolean
  /** Rank by vector similarity alone: no BM25, no confidence (what the graph's recall is measured on) */
  vectorOnly?: boolean
  /**
   * Spread activation along links this many hops (0 to 2): a chunk linked
   * from a hit scores the hit's score × the link's weight × 0.5 per hop,
   * and takes a place among the results when that beats them
   *
   * @default 0
   */
  spread?: number
}

export interface SearchResult extends ChunkView {
  score: number
  similarity: number
  lexical: number
  /** The node that answered (this node for local results) */
  node: string
  /** When the result came through a link from another result (`spread`): that chunk, the relation and the hops */
  via?: SpreadHit['via']
}

/** A search result with the entry it came from, as stored: what a peer is sent */
export interface SearchHit {
  result: SearchResult
  /** The encoded SignedEntry */
  bytes: Uint8Array
}

export interface IngestResult {
  stored: number
  duplicates: number
  rejected: Array<{ reason: RejectReason, message: string }>
  /**
   * Valid entries whose author had signed another entry with the same seq:
   * kept as evidence, not stored. Not the sender's fault: a peer that holds
   * the other one passes on what it was given.
   */
  equivocations: number
}

export interface StoredEntryEvent {
  entry: VerifiedEntry
  origin: 'local' | 'remote'
}

export interface MemoryStoreEvents {
  /**
   * After an entry is indexed: a local one once it is durable, one from a
   * peer once it is queued to be written
   */
  entry: CustomEvent<StoredEntryEvent>
  /** An entry from a peer was valid but the queue of writes was full: anti-entropy fetches it later */
  'entry:dropped': CustomEvent<{ id: string }>
  /** A batch of entries is written (local ones synced to disk) */
  written: CustomEvent<{ ids: string[] }>
  /** An author signed two different entries with one seq: the one held stays, the other is kept as evidence */
  equivocation: CustomEvent<Equivocation>
  /** A convergence signal this node did not hold before (raised here or by a peer) */
  signal: CustomEvent<Signal>
}

/** A convergence signal: agents on several nodes wrote the same knowledge (memory.md) */
export interface Signal {
  /** Its first chunk's id */
  id: string
  /** The text of the chunk nearest the group's centroid (at most 256 bytes) */
  topic: string
  /** Mean similarity of the chunks to their centroid, 0 to 1 */
  score: number
  /** 1 − the similarity of the closest older chunk to the centroid, 0 to 1 */
  novelty: number
  /** Its chunks, in id order */
  chunks: string[]
  /** The agents that wrote the chunks held here, as node and agent name */
  agents: Array<{ node: string, agent: string }>
  /** Their nodes (peer ids) */
  nodes: string[]
  /** When it was first raised (the raiser's clock), ms since the epoch */
  raisedAt: number
  /** The nodes that raised it */
  raisedBy: string[]
}

export interface MemoryStats {
  chunks: Record<ZoneName, number>
  forgotten: number
  events: number
  authors: number
  /** Convergence signals held */
  signals: number
  model: string
  /** Chunks (forgotten ones too) in the vector and lexical indexes */
  indexed: { vectors: number, lexical: number }
  /** Work behind the writes: entries waiting to be written, vectors waiting for the graph or an embedder */
  backlog: { writes: number, graph: number, embedding: number, dropped: number }
  /** Why the store acknowledges no write, while a failed write keeps it from writing */
  failure?: { problem: StorageProblem, path: string, message: string, since: number }
  /** Authors caught signing two entries with one seq, and the entries kept as evidence */
  equivocations: { authors: string[], entries: number }
  /**
   * The store was repaired after damage and may have lost entries of its own
   * that peers hold: it takes local writes once a sync with a peer has
   * brought its own logs back, so no seq that left the node is used again
   */
  awaitingSync: boolean
}
