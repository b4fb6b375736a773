import { homedir } from 'node:os'
import { join } from 'node:path'
import { InvalidArgumentError, Option } from 'commander'
import { parseDuration } from '@overmind/config/duration'

export const DATA_DIR_HELP = 'data dir of the node (env OVERMIND_DATA_DIR, default ~/.overmind)'

export function dataDirOption (): Option {
  return new Option('-d, --data-dir <dir>', DATA_DIR_HELP).env('OVERMIND_DATA_DIR').default(join(homedir(), '.overmind'), '~/.overmind')
}

export function jsonOption (): Option {
  return new Option('--json', 'print JSON for scripts instead of text')
}

export function collect (value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** Parses "30s", "500ms", "2m", "1h" or a number of ms */
export function parseDurationArg (value: string): number {
  try {
    return parseDuration(/^\d+$/.test(value) ? Number(value) : value)
  } catch (err: any) {
    throw new InvalidArgumentError(err.message)
  }
}

export function parsePort (value: string): number {
  const port = Number(value)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`"${value}" is not a port number (0-65535; 0 picks any free port)`)
  }
  return port
}

export function parsePositiveInt (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) {
    throw new InvalidArgumentError(`"${value}" is not a positive whole number`)
  }
  return n
}
