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

export { MemoryStore, chunkView, DEFAULT_PRUNE_RULES } from './store.js'
export type {
  MemoryStoreInit, MemoryStoreEvents, MemoryStats, PutInput, ReadOptions, ChunkView, SearchQuery, SearchResult,
  SearchHit, IngestOptions, CheckOptions, IngestResult, Admission, StoredEntryEvent, Equivocation, PruneRules, Signal
} from './store.js'
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
