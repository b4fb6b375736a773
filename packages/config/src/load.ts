import { readFile } from 'node:fs/promises'
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml'
import { interpolate } from './env.js'
import { ConfigError, describeValue, formatKey } from './errors.js'
import { configSchema, fieldInfo, keysAt, schemaAt } from './schema.js'
import type { Env } from './env.js'
import type { ConfigIssue } from './errors.js'
import type { OvermindConfig } from './schema.js'
import type { Document, Node as YamlNode } from 'yaml'
import type { z } from 'zod'

export interface ParseConfigOptions {
  /** Shown in error messages; nothing is read from it */
  file?: string
  /** Variables for `${NAME}` references; defaults to `process.env` */
  env?: Env
}

export interface LoadConfigOptions {
  /** Variables for `${NAME}` references; defaults to `process.env` */
  env?: Env
}

type Path = Array<string | number>

/**
 * Parses and validates the text of an `overmind.config.yaml`. Settings it
 * leaves out take their defaults; a file with no settings at all (empty, or
 * only comments) is refused.
 *
 * @throws {ConfigError} listing every problem found, each with its key, line and column
 */
export function parseConfig (text: string, options: ParseConfigOptions = {}): OvermindConfig {
  const { file } = options
  const env = options.env ?? process.env
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })

  const locate = (offset: number): { line: number, column: number } => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }

  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map(error => ({
      ...locate(error.pos[0]),
      message: syntaxMessage(error.code, error.message, keyAt(text, error.pos[0]))
    })), { file })
  }

  const root = doc.contents

  // a file cut short or never filled in would otherwise be a node of the default mesh;
  // "null", "~" and "{}" alone are as empty as a file with no content at all
  if (root == null || (isScalar(root) && root.value == null) || (isMap(root) && root.items.length === 0)) {
    throw new ConfigError({
      line: 1,
      column: 1,
      message: 'the file holds no settings: a node needs at least mesh.name (`overmind init` writes a complete file)',
      expected: 'a mapping of settings'
    }, { file })
  }

  if (!isMap(root)) {
    throw new ConfigError({
      ...locate(root.range?.[0] ?? 0),
      message: `expected a mapping of settings such as "mesh:" and "listen:" at the top level, got ${describeValue(isSeq(root) ? [] : isScalar(root) ? root.value : {})}`,
      expected: 'a mapping'
    }, { file })
  }

  const issues: ConfigIssue[] = []
  const unresolved = new Set<string>()

  visit(doc, {
    Scalar (key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) {
        return
      }

      const path = pathOf(ancestors, node)

      try {
        const value = interpolate(node.value, env)

        // an unquoted value reads as if the variable's text had been typed there,
        // so `port: ${API_PORT}` is a number and `mdns: ${MDNS}` a boolean
        node.value = node.type === 'PLAIN' && value !== node.value ? retype(value) : value
      } catch (err) {
        const key = formatKey(path)
        unresolved.add(key)
        issues.push({
          key,
          ...locate(node.range?.[0] ?? 0),
          message: err instanceof Error ? err.message : String(err)
        })
      }
    }
  })

  let data: unknown

  try {
    data = doc.toJS({ maxAliasCount: 100 })
  } catch (err) {
    throw new ConfigError({ message: err instanceof Error ? err.message : String(err) }, { file, cause: err })
  }

  const result = configSchema.safeParse(data, { reportInput: true })

  if (!result.success) {
    for (const issue of result.error.issues) {
      for (const converted of convertIssue(issue, doc, locate)) {
        // a failed substitution already explains why the value is wrong
        if (converted.key === undefined || !unresolved.has(converted.key)) {
          issues.push(converted)
        }
      }
    }
  }

  if (issues.length > 0 || !result.success) {
    throw new ConfigError(sortIssues(issues), { file })
  }

  return result.data
}

/**
 * Reads and parses a config file.
 *
 * @throws {ConfigError} when the file does not exist, cannot be read or is invalid
 */
export async function loadConfig (path: string, options: LoadConfigOptions = {}): Promise<OvermindConfig> {
  let text: string

  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const message = code === 'ENOENT'
      ? 'config file does not exist'
      : `cannot read config file: ${err instanceof Error ? err.message : String(err)}`

    throw new ConfigError({ message }, { file: path, cause: err })
  }

  return parseConfig(text, { file: path, env: options.env })
}

function syntaxMessage (code: string, message: string, key: string): string {
  if (code === 'DUPLICATE_KEY') {
    return `duplicate key ${key}`
  }

  if (code === 'MULTIPLE_DOCS') {
    return 'invalid YAML: the file must hold a single document, but a second one starts here'
  }

  return `invalid YAML: ${message}`
}

/**
 * The key as written at `offset`: the yaml library only marks where a
 * duplicate key starts, not where it ends.
 */
function keyAt (text: string, offset: number): string {
  const rest = text.slice(offset).split('\n')[0]
  const match = /^(.*?):(?:\s|$)/.exec(rest)

  return (match?.[1] ?? rest).trim()
}

/**
 * The config path of a scalar from the chain of its ancestors in the document.
 */
function pathOf (ancestors: readonly unknown[], node: unknown): Path {
  const path: Path = []

  ancestors.forEach((ancestor, index) => {
    const child = ancestors[index + 1] ?? node

    if (isPair(ancestor)) {
      path.push(isScalar(ancestor.key) ? String(ancestor.key.value) : String(ancestor.key))
    } else if (isSeq(ancestor)) {
      path.push(ancestor.items.indexOf(child as YamlNode))
    }
  })

  return path
}

/**
 * Reads substituted text the way YAML reads an unquoted value, but only
 * turns it into a number or boolean: anything else stays the string it was.
 */
function retype (text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false })

  if (doc.errors.length === 0 && isScalar(doc.contents) &&
    (typeof doc.contents.value === 'number' || typeof doc.contents.value === 'boolean')) {
    return doc.contents.value
  }

  return text
}

function convertIssue (
  issue: z.core.$ZodIssue,
  doc: Document,
  locate: (offset: number) => { line: number, column: number }
): ConfigIssue[] {
  const path = issue.path.filter((part): part is string | number => typeof part !== 'symbol')

  if (issue.code === 'unrecognized_keys') {
    const known = keysAt(path) ?? []
    const parent = path.length === 0 ? doc.contents : doc.getIn(path, true)

    return issue.keys.map(name => {
      const pair = isMap(parent)
        ? parent.items.find(item => isScalar(item.key) ? String(item.key.value) === name : String(item.key) === name)
        : undefined
      const keyNode = pair?.key as YamlNode | undefined
      const suggestion = suggest(name, known, path)

      return {
        key: formatKey([...path, name]),
        ...positionOf(keyNode ?? nodeAt(doc, path), locate),
        message: suggestion === undefined
          ? `unknown key; expected one of ${known.map(k => `"${k}"`).join(', ')}`
          : `unknown key, did you mean "${suggestion}"?`
      }
    })
  }

  const info = fieldInfo.get(schemaAt(path) ?? configSchema)
  const params = issue.code === 'custom' ? issue.params : undefined
  const expected = typeof params?.expected === 'string' ? params.expected : info?.expected
  let message: string

  if (issue.code === 'custom') {
    message = issue.message
  } else if (expected !== undefined) {
    message = `expected ${expected}, got ${describeValue(issue.input)}`
  } else {
    message = issue.message
  }

  return [{
    ...(path.length === 0 ? {} : { key: formatKey(path) }),
    ...positionOf(nodeAt(doc, path), locate),
    message,
    ...(expected === undefined ? {} : { expected })
  }]
}

/**
 * The node for a path, or its closest ancestor that exists in the document
 * (a default-filled key has no node of its own).
 */
function nodeAt (doc: Document, path: Path): unknown {
  for (let length = path.length; length > 0; length--) {
    const node = doc.getIn(path.slice(0, length), true)

    if (node != null) {
      return node
    }
  }

  return doc.contents
}

function positionOf (node: unknown, locate: (offset: number) => { line: number, column: number }): { line?: number, column?: number } {
  const range = (node as YamlNode | null | undefined)?.range

  return range == null ? {} : locate(range[0])
}

function sortIssues (issues: ConfigIssue[]): ConfigIssue[] {
  return issues
    .map((issue, index) => ({ issue, index }))
    .sort((a, b) =>
      (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) ||
      (a.issue.column ?? Infinity) - (b.issue.column ?? Infinity) ||
      a.index - b.index)
    .map(({ issue }) => issue)
}

/**
 * The known key a misspelt one most likely meant: a case-insensitive match,
 * else the nearest by edit distance if close enough to be a typo. At the top
 * level, a key that belongs to exactly one section is suggested with it
 * (`mdns` → `discovery.mdns`).
 */
function suggest (name: string, known: string[], path: Path): string | undefined {
  const lower = name.toLowerCase()
  const exact = known.find(key => key.toLowerCase() === lower)

  if (exact !== undefined) {
    return exact
  }

  let best: string | undefined
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1

  for (const key of known) {
    const distance = editDistance(lower, key.toLowerCase())

    if (distance < bestDistance) {
      best = key
      bestDistance = distance
    }
  }

  if (best !== undefined || path.length > 0) {
    return best
  }

  const homes = known
    .filter(section => keysAt([section])?.some(key => key.toLowerCase() === lower) === true)
    .map(section => `${section}.${keysAt([section])?.find(key => key.toLowerCase() === lower) ?? name}`)

  return homes.length === 1 ? homes[0] : undefined
}

function editDistance (a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)

  for (let i = 1; i <= a.length; i++) {
    const current = [i]

    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      )
    }

    previous = current
  }

  return previous[b.length]
}
