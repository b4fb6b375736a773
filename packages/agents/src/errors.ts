/** No node of the mesh hosts the agent, or none lets this node run it */
export class AgentNotFoundError extends Error {
  static override name = 'AgentNotFoundError'
  override name = 'AgentNotFoundError'
}

/** Every host that has the agent answered busy */
export class AllHostsBusyError extends Error {
  static override name = 'AllHostsBusyError'
  override name = 'AllHostsBusyError'
}

/** The run's deadline passed before it finished */
export class DeadlineExceededError extends Error {
  static override name = 'DeadlineExceededError'
  override name = 'DeadlineExceededError'
}

/** The host went away or broke the protocol during the run */
export class HostFailedError extends Error {
  static override name = 'HostFailedError'
  override name = 'HostFailedError'
}

/** A host refused the run for a reason retrying cannot fix (`not-exposed`, `bad-request`) */
export class RunRefusedError extends Error {
  static override name = 'RunRefusedError'
  override name = 'RunRefusedError'
  constructor (readonly reason: string, message: string) {
    super(message)
  }
}

/** The agent ran and failed (non-zero exit, runner error) */
export class AgentFailedError extends Error {
  static override name = 'AgentFailedError'
  override name = 'AgentFailedError'
  constructor (message: string, readonly exitCode?: number) {
    super(message)
  }
}

/** The run was cancelled by its caller */
export class RunCancelledError extends Error {
  static override name = 'RunCancelledError'
  override name = 'RunCancelledError'
}

/** A run request is not acceptable (empty agent name, input too large…) */
export class InvalidRunError extends Error {
  static override name = 'InvalidRunError'
  override name = 'InvalidRunError'
}

/** The message of an abort reason or error, or `fallback` when it has none */
export function reasonText (reason: unknown, fallback: string): string {
  if (reason instanceof Error && reason.message !== '') return reason.message
  return typeof reason === 'string' && reason !== '' ? reason : fallback
}

/** A queued run's time ran out before any host of its agent or skill was reachable */
export class QueueExpiredError extends Error {
  static override name = 'QueueExpiredError'
  override name = 'QueueExpiredError'
}

/** This node keeps no more runs for absent hosts (per calling agent, or in all) */
export class QueueFullError extends Error {
  static override name = 'QueueFullError'
  override name = 'QueueFullError'
}

/** No run with that id waits for a worker (it ended, was cancelled or timed out) */
export class TaskNotFoundError extends Error {
  static override name = 'TaskNotFoundError'
  override name = 'TaskNotFoundError'
}

/** The worker's lease on a run ran out: the run went back to wait for a worker */
export class LeaseLostError extends Error {
  static override name = 'LeaseLostError'
  override name = 'LeaseLostError'
}
