export type Env = Record<string, string | undefined>

export class InterpolationError extends Error {
  override name = 'InterpolationError'
}

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^]*))?$/

/**
 * Replaces `${NAME}` and `${NAME:-default}` in `text` with values from `env`.
 * As in a shell, the default is used when the variable is unset or empty.
 * `$${` stands for a literal `${`; any other `$` is left alone.
 *
 * @throws {InterpolationError} for an unset variable without a default or a malformed reference
 */
export function interpolate (text: string, env: Env): string {
  let out = ''
  let index = 0

  while (index < text.length) {
    const dollar = text.indexOf('$', index)

    if (dollar === -1) {
      out += text.slice(index)
      break
    }

    out += text.slice(index, dollar)

    if (text.startsWith('$${', dollar)) {
      out += '${'
      index = dollar + 3
      continue
    }

    if (!text.startsWith('${', dollar)) {
      out += '$'
      index = dollar + 1
      continue
    }

    const close = text.indexOf('}', dollar + 2)

    if (close === -1) {
      throw new InterpolationError('"${" is not closed with "}" (write "$${" for a literal "${")')
    }

    const reference = text.slice(dollar + 2, close)
    const match = REFERENCE.exec(reference)

    if (match == null) {
      throw new InterpolationError(`"\${${reference}}" is not a valid reference; use \${NAME} or \${NAME:-default}`)
    }

    const [, name, fallback] = match
    const value = env[name]

    if (fallback !== undefined && (value === undefined || value === '')) {
      out += fallback
    } else if (value === undefined) {
      throw new InterpolationError(`environment variable ${name} is not set (use \${${name}:-default} to give a default)`)
    } else {
      out += value
    }

    index = close + 1
  }

  return out
}
