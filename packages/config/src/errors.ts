/**
 * One problem found in a config file. `key` is a dotted path such as
 * `heartbeat.interval` or `listen[2]`; `line` and `column` are 1-based.
 */
export interface ConfigIssue {
  key?: string
  line?: number
  column?: number
  message: string
  /** What would have been accepted, when that can be said in a phrase */
  expected?: string
}

export interface ConfigErrorOptions {
  file?: string
  cause?: unknown
}

/**
 * Thrown for anything wrong with a config file: unreadable file, YAML syntax,
 * unset environment variables and schema violations. All problems found in
 * one pass are collected in `issues` and printed one per line, so a user can
 * fix everything in one go. The single-value fields describe the first issue.
 */
export class ConfigError extends Error {
  override name = 'ConfigError'
  declare readonly file?: string
  declare readonly key?: string
  declare readonly line?: number
  declare readonly column?: number
  declare readonly expected?: string
  readonly issues: ConfigIssue[]

  constructor (issues: ConfigIssue | ConfigIssue[], options: ConfigErrorOptions = {}) {
    const list = Array.isArray(issues) ? [...issues] : [issues]
    const message = list.length === 0
      ? formatIssue({ message: 'invalid configuration' }, options.file)
      : list.map(issue => formatIssue(issue, options.file)).join('\n')

    super(message, options.cause === undefined ? undefined : { cause: options.cause })

    const first = list[0]
    this.issues = list
    if (options.file !== undefined) this.file = options.file
    if (first?.key !== undefined) this.key = first.key
    if (first?.line !== undefined) this.line = first.line
    if (first?.column !== undefined) this.column = first.column
    if (first?.expected !== undefined) this.expected = first.expected
  }
}

/**
 * `<file>:<line>:<column>: <key>: <problem>`, leaving out whatever is unknown,
 * which is the shape editors and terminals turn into clickable locations.
 */
export function formatIssue (issue: ConfigIssue, file?: string): string {
  const location = [file, issue.line, issue.column]
    .filter(part => part !== undefined && part !== '')
    .join(':')

  return [location, issue.key, issue.message]
    .filter(part => part !== undefined && part !== '')
    .join(': ')
}

/**
 * Turns a path from the parsed document into the form users write keys in:
 * `heartbeat.interval`, `listen[2]`.
 */
export function formatKey (path: ReadonlyArray<PropertyKey>): string {
  let out = ''

  for (const part of path) {
    if (typeof part === 'number') {
      out += `[${part}]`
    } else {
      const name = String(part)
      if (/^[A-Za-z_$][\w$-]*$/.test(name)) {
        out += out === '' ? name : `.${name}`
      } else {
        out += `[${JSON.stringify(name)}]`
      }
    }
  }

  return out
}

/**
 * How a rejected value is shown after "got": literal for scalars, a word for
 * collections, because echoing a whole mapping back is not helpful.
 */
export function describeValue (value: unknown): string {
  if (value === null || value === undefined) return 'an empty value'
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)
  }
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  return String(value)
}
