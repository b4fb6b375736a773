import {
  AgentFailedError, AgentNotFoundError, AllHostsBusyError, DeadlineExceededError, HostFailedError,
  InvalidRunError, RunCancelledError, RunRefusedError
} from '@overmind/agents'

/**
 * The causes a report counts failed runs by: the codes the agents package
 * uses where it has one (`busy`, `agent-failed`, `refused`, `cancelled`);
 * `wrong-output` is a run that succeeded with other output than its agent
 * gives, `other` an error none of these
 */
export const RUN_CAUSES = ['busy', 'deadline', 'agent-failed', 'no-host', 'host-failed', 'refused', 'cancelled', 'invalid', 'wrong-output', 'other'] as const
export type RunCause = typeof RUN_CAUSES[number]

/** The cause of each error the node's router raises, by the error's name */
const BY_ERROR: Record<string, RunCause> = {
  [AllHostsBusyError.name]: 'busy',
  [DeadlineExceededError.name]: 'deadline',
  [AgentFailedError.name]: 'agent-failed',
  [AgentNotFoundError.name]: 'no-host',
  [HostFailedError.name]: 'host-failed',
  [RunRefusedError.name]: 'refused',
  [RunCancelledError.name]: 'cancelled',
  [InvalidRunError.name]: 'invalid'
}

/** The cause of a failed run, from the error `overmind run` would report */
export function runCause (err: unknown): RunCause {
  const name = err instanceof Error ? err.name : ''
  return BY_ERROR[name] ?? 'other'
}
