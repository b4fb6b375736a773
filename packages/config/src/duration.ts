import { ConfigError, describeValue } from './errors.js'

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000
}

// `ms` must come before `m` so "500ms" is not read as 500 minutes + "s"
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y

export const DURATION_EXPECTED = 'a duration such as "30s" or "500ms"'

/**
 * Converts a duration to milliseconds. Numbers are taken as milliseconds;
 * strings need a unit (`ms`, `s`, `m`, `h`, `d`) and may combine parts, e.g.
 * `1m30s`. A bare number in a string is refused because nobody can tell
 * whether "30" meant seconds or milliseconds.
 *
 * @throws {ConfigError} when the value is not a non-negative duration
 */
export function parseDuration (value: string | number): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) {
      return value
    }

    throw invalid(value)
  }

  if (typeof value !== 'string') {
    throw invalid(value)
  }

  const text = value.trim()

  if (/^\d+(\.\d+)?$/.test(text)) {
    throw invalid(value, 'add a unit: ms, s, m, h or d')
  }

  let total = 0
  let index = 0

  while (index < text.length) {
    PART.lastIndex = index
    const match = PART.exec(text)

    if (match == null) {
      throw invalid(value)
    }

    total += Number.parseFloat(match[1]) * UNITS[match[2]]
    index = PART.lastIndex
  }

  if (index === 0) {
    throw invalid(value)
  }

  // "1.234s" would otherwise come out as 1233.9999999999998
  return Math.round(total * 1e6) / 1e6
}

/**
 * Writes milliseconds in the largest unit that represents them exactly, so
 * `parseDuration(formatDuration(ms)) === ms` for whole milliseconds.
 */
export function formatDuration (ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`expected a non-negative number of milliseconds, got ${ms}`)
  }

  if (ms < 1_000 || !Number.isInteger(ms)) {
    return `${ms}ms`
  }

  for (const unit of ['d', 'h', 'm', 's']) {
    if (ms % UNITS[unit] === 0) {
      return `${ms / UNITS[unit]}${unit}`
    }
  }

  return `${ms / 1_000}s`
}

function invalid (value: unknown, hint?: string): ConfigError {
  const suffix = hint === undefined ? '' : ` (${hint})`

  return new ConfigError({
    message: `expected ${DURATION_EXPECTED}, got ${describeValue(value)}${suffix}`,
    expected: DURATION_EXPECTED
  })
}
