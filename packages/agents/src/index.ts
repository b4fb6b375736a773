/**
 * @packageDocumentation
 *
 * Remote runs of agents across an Overmind mesh, as one libp2p service:
 *
 * - **hosting**: the agents a node declares (a child process, an
 *   OpenAI-compatible chat endpoint, or an in-process function) run through a
 *   bounded, fair scheduler and answer `/overmind/run-agent/1.0.0` requests:
 *   accepted, busy or refused at once, then output frames as they come and a
 *   final result;
 * - **advertising**: the agents, their free slots and queue depth go into the
 *   node's heartbeat, and each agent offered to the mesh is provided in the
 *   DHT under a CID of `<mesh>/<agent>`;
 * - **routing**: `run()` picks a host (this node first, then candidates from
 *   heartbeats and the DHT ranked by load, failures and round-trip time),
 *   retries elsewhere after busy, refused or failed hosts while no output was
 *   delivered, keeps a circuit breaker per peer, and fails with a typed error
 *   (`AgentNotFoundError`, `AllHostsBusyError`, `DeadlineExceededError`,
 *   `HostFailedError`…).
 *
 * @example
 *
 * ```TypeScript
 * import { createLibp2p } from 'libp2p'
 * import { runAgent, CommandRunner } from '@overmind/agents'
 *
 * const node = await createLibp2p({
 *   // …transports, a DHT for content routing…
 *   services: {
 *     runAgent: runAgent({
 *       mesh: 'demo',
 *       agents: [{ name: 'upper', runner: new CommandRunner({ command: ['tr', 'a-z', 'A-Z'] }), expose: 'mesh', concurrency: 2, timeout: 30_000 }]
 *     })
 *   }
 * })
 *
 * const out: Uint8Array[] = []
 * const { host } = await node.services.runAgent.run('upper', new TextEncoder().encode('hello'), {
 *   deadline: 10_000,
 *   onOutput: data => { out.push(data) }
 * })
 * ```
 */

import { RunAgent } from './run-agent.js'
import type { BreakerInit } from './breaker.js'
import type { AgentHost, HostedAgent } from './host.js'
import type { QueuedRun } from './queue.js'
import type { TaskBoard } from './tasks.js'
import type { AgentRouter, RouteOptions, RunOutcome, RunTarget } from './router.js'
import type { Datastore } from 'interface-datastore'
import type { ComponentLogger, ContentRouting, PeerId, PeerStore, TypedEventTarget } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { HeartbeatService, LocalReport } from '@overmind/heartbeat'

export { RUN_PROTOCOL, MAX_INBOUND_STREAMS as MAX_INBOUND_RUN_STREAMS } from './constants.js'
export { agentCid, checkInput, skillCid } from './run-agent.js'
export { MAX_RUN_INPUT_SIZE } from '@overmind/protocols'
export { AgentHost } from './host.js'
export type { HostedAgent, HostAdmission, RunEnd, RunErrorKind, RefuseReason, RunRequestInit } from './host.js'
export { AgentRouter } from './router.js'
export type { Attempt, Candidate, CallOutcome, CallRequest, RouteOptions, RouterDeps, RouterInit, RunOutcome, RunTarget } from './router.js'
export { Scheduler } from './scheduler.js'
export type { Admission, AgentLoad, SchedulerInit, Slot } from './scheduler.js'
export { CircuitBreaker } from './breaker.js'
export type { BreakerInit, BreakerState } from './breaker.js'
export { BUILTINS, CommandRunner, FunctionRunner, HttpChatRunner, createRunner } from './runners.js'
export type { AgentFunction, CommandRunnerInit, HttpChatRunnerInit, Runner, RunnerConfig, RunnerContext, RunnerExit, RunOptions } from './runners.js'
export {
  AgentFailedError, AgentNotFoundError, AllHostsBusyError, DeadlineExceededError, HostFailedError, InvalidRunError,
  LeaseLostError, QueueExpiredError, QueueFullError, RunCancelledError, RunRefusedError, TaskNotFoundError
} from './errors.js'
export { DEFAULT_LEASE, MAX_CLAIM_WAIT, MAX_LEASE, MAX_TASK_OUTPUT, MAX_TASK_PROGRESS, MIN_LEASE, SessionRunner, TaskBoard } from './tasks.js'
export type { ClaimOptions, ClaimedTask, TaskView, WorkerView } from './tasks.js'
export { MAX_QUEUE_TTL, MAX_QUEUED, MAX_QUEUED_PER_CALLER } from './queue.js'
export type { QueuedRun } from './queue.js'

export interface RunAgentInit {
  /** The mesh name: part of the DHT key of each agent */
  mesh: string
  /** Agents this node hosts */
  agents?: HostedAgent[]
  /** Runs waiting for a slot on this node @default 64 */
  maxQueue?: number
  /** Runs one calling node may have waiting @default 16 */
  maxQueuePerCaller?: number
  /** Deadline of a run when the caller gives none, in ms @default 60_000 */
  deadline?: number
  /** Other hosts tried after a busy, refused or failed one @default 2 */
  retries?: number
  /** Longest wait for DHT providers, in ms @default 3_000 */
  lookupTimeout?: number
  /** How often provider records are renewed, in ms @default 600_000 */
  provideInterval?: number
  breaker?: BreakerInit
  /** Where the runs of `runner: session` agents wait for workers; the service starts and stops it (its own when omitted) */
  tasks?: TaskBoard
}

export interface RunAgentComponents {
  peerId: PeerId
  registrar: Registrar
  connectionManager: ConnectionManager
  contentRouting: ContentRouting
  peerStore: PeerStore
  logger: ComponentLogger
  /** Optional: hosts known from heartbeats, and where this node's load is announced */
  heartbeat: HeartbeatService
  /** Where runs kept for absent hosts are stored (the node's datastore); without it they live in memory */
  datastore?: Datastore
}

/** An agent known in the mesh, as `overmind agents` lists it */
export interface MeshAgent {
  name: string
  /** Peer id of the node that hosts it */
  host: string
  /** Hosted by this node */
  self: boolean
  expose: 'mesh' | 'local'
  version: string
  capabilities: string[]
  /** What the agent does (empty when its host gave no description) */
  description: string
  /** Skills it offers */
  skills: string[]
  concurrency: number
  freeSlots: number
  queueDepth: number
  /** The host's load average per CPU */
  load?: number
  /** Round-trip time to the host in ms */
  rtt?: number
  /** `self`, or the host's heartbeat status */
  status: string
}

/** One run seen by this node, as caller or host */
export interface RunRecord {
  role: 'caller' | 'host'
  agent: string
  /** The host (for a caller) or the calling node (for a host) */
  peer: string
  callerAgent: string
  /**
   * `ok`; `failed` (the agent or its host failed); `cancelled` (the caller
   * stopped it); `deadline` (it ran out of time); `busy` (no host had room);
   * `refused` (the host would not run it); `asked`/`accepted` while it runs
   */
  state: 'asked' | 'accepted' | 'busy' | 'refused' | 'ok' | 'failed' | 'cancelled' | 'deadline'
  frames: number
  /** The error's kind or name, when it did not end `ok` */
  error?: string
  /** Why it did not end `ok`, in words */
  reason?: string
  startedAt: number
  endedAt?: number
}

export interface RunAnsweredEvent {
  caller: string
  agent: string
  status: 'accepted' | 'busy' | 'refused'
  /** Runs of the agent holding a slot on this host when it decided */
  running: number
  /** Runs waiting on this host when it decided, this one too when it was queued */
  queued: number
}

export interface RunAgentEvents {
  'run:start': CustomEvent<RunRecord>
  'run:end': CustomEvent<RunRecord>
  /** A host answered a request from another node */
  'run:answered': CustomEvent<RunAnsweredEvent>
  /** A run kept for absent hosts was queued, went to a host, came back or ended */
  'run:queued': CustomEvent<QueuedRun>
}

export interface RunAgentService extends TypedEventTarget<RunAgentEvents> {
  readonly protocol: string
  readonly host: AgentHost
  readonly router: AgentRouter
  /** The runs of this node's session agents, waiting for workers to claim them */
  readonly tasks: TaskBoard
  /** Runs an agent by name, or `{ skill }`: any agent of the mesh that declares the skill; output goes to `options.onOutput` as it comes */
  run(target: string | RunTarget, input: Uint8Array, options?: RouteOptions): Promise<RunOutcome>
  /**
   * Keeps a run for `ttl` ms until a host of its agent or skill is
   * reachable, then delivers it; `queued` tells how it went
   */
  enqueue(target: string | RunTarget, input: Uint8Array, options: { ttl: number, callerAgent?: string }): Promise<QueuedRun>
  /** The runs kept for absent hosts (waiting, and ended in the last day), or one of them */
  queued(): QueuedRun[]
  queued(id: string): QueuedRun | undefined
  /** Every agent this node knows of: its own and those in peers' heartbeats */
  agents(): MeshAgent[]
  /** Runs in progress and the latest finished ones */
  runs(): { active: RunRecord[], recent: RunRecord[] }
  /** Hosts of `agent` found in DHT provider records */
  providers(agent: string, options?: { signal?: AbortSignal }): Promise<string[]>
  /** Publishes the provider records of this node's mesh agents now */
  provide(): Promise<void>
  /** What this node tells the mesh in its heartbeat */
  report(): LocalReport
}

export function runAgent (init: RunAgentInit): (components: RunAgentComponents) => RunAgentService {
  return (components) => new RunAgent(components, init)
}
