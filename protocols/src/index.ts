/**
 * @packageDocumentation
 *
 * Wire schemas of the Overmind protocols and their generated codecs.
 * Each `.proto` file at the root of this package has a spec page beside it
 * (`heartbeat.proto` → `heartbeat.md`, `memory.proto` → `memory.md`,
 * `run-agent.proto` → `run-agent.md`, `invite.proto` → `invite.md`,
 * `agent-delegate.proto` → `agent-delegate.md`); `pnpm generate` regenerates the codecs.
 *
 * @example
 *
 * ```TypeScript
 * import { Heartbeat, HEARTBEAT_LIMITS } from '@overmind/protocols'
 *
 * const bytes = Heartbeat.encode({ mesh: 'demo', seq: 1n })
 * const beat = Heartbeat.decode(bytes, { limits: HEARTBEAT_LIMITS })
 * ```
 */

export { Heartbeat, AgentAdvert, RelayedBeat, PeerBeats } from './heartbeat.js'
export {
  Zone, Embedding, Chunk, EventKind, Event, EntryKind, SignedEntry, KnowledgeBatch, VersionEntry,
  SyncRequest, SyncPage, QueryRequest, QueryResult, QueryResponse
} from './memory.js'
export {
  RunRequest, RunCancel, RunStatus, RunMessage, RunAnswer, RunOutput, RunResult
} from './run-agent.js'
export { Ticket, Redeem, RedeemStatus, Admission } from './invite.js'
export {
  AgentSpec, EnvVar, PackagedChunk, AgentPackage, SignedAgentPackage, DelegateRequest, DelegateAnswer,
  DelegateReturn, DelegateReturnAck, DelegateRecall, DelegateMessage
} from './agent-delegate.js'
export * from './limits.js'
export { lengthPrefixed, varintLength, InvalidDataLengthLengthError } from './length-prefix.js'
export type { LengthPrefixOptions } from './length-prefix.js'
export { bestConnection, linkKind, linkTakenOver, openStream, rankConnections, usable } from './connections.js'
export type { LinkKind, StreamOpener } from './connections.js'
