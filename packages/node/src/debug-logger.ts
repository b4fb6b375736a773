import { enabled, logger } from '@libp2p/logger'
import type { ComponentLogger, Logger } from '@libp2p/interface'

/**
 * The libp2p component logger of a node: `DEBUG=libp2p:*`, `DEBUG=overmind:*`
 * and the like select components by name, as with `defaultLogger()`.
 *
 * libp2p asks for a logger per stream (`newScope`), and a `weald` logger
 * costs a terminal check (`isatty`) and a few objects each time, even when
 * nothing is logged; on a busy node that is a few per cent of the process.
 * A logger whose names no `DEBUG` pattern selects is one shared no-op here,
 * decided when it is asked for.
 */
export function meshLogger (): ComponentLogger {
  return { forComponent: named }
}

function named (name: string): Logger {
  if (enabled(name) || enabled(`${name}:error`) || enabled(`${name}:trace`)) return logger(name)
  return silent(name)
}

function silent (name: string): Logger {
  const log = (() => {}) as unknown as Logger
  return Object.assign(log, {
    enabled: false,
    error: log,
    trace: log,
    newScope: (scope: string) => named(`${name}:${scope}`)
  })
}
