import { stringify } from 'yaml'
import { z } from 'zod'
import { formatDuration } from './duration.js'
import { ConfigError, describeValue } from './errors.js'
import { MESH_NAME_EXPECTED, configSchema, defaultConfig, fieldInfo, isValidMeshName } from './schema.js'

export interface TemplateOptions {
  /** Written as `mesh.name` */
  mesh: string
}

const HEADER = [
  '# overmind.config.yaml: configuration of an Overmind Mesh node.',
  '#',
  '# Every setting is listed with its default value. Remove a key, or a whole',
  '# section, to use the default.',
  '#',
  '# Values may read environment variables: ${NAME}, or ${NAME:-fallback} to use',
  '# "fallback" when NAME is unset or empty. Write $${ for a literal "${".',
  '# In an unquoted value the result is read as YAML would read it (numbers,',
  '# true/false); quote the value to keep it a string.',
  '#',
  '# Durations take a unit: 500ms, 30s, 5m, 1h. Relative file paths are inside',
  '# the data directory.'
]

/**
 * The commented config file `overmind init` writes. It is generated from the
 * schema, so every key is present with its current default and it parses
 * back to `defaultConfig()` with only `mesh.name` changed.
 *
 * @throws {ConfigError} when `mesh` is not a valid mesh name
 */
export function renderConfigTemplate (options: TemplateOptions): string {
  if (!isValidMeshName(options.mesh)) {
    throw new ConfigError({
      key: 'mesh.name',
      message: `expected ${MESH_NAME_EXPECTED}, got ${describeValue(options.mesh)}`,
      expected: MESH_NAME_EXPECTED
    })
  }

  const values: Record<string, unknown> = defaultConfig()
  values.mesh = { ...defaultConfig().mesh, name: options.mesh }

  const lines = [...HEADER]

  for (const [key, schema] of Object.entries(configSchema.shape)) {
    const children = sectionShape(schema)
    lines.push('', `# ${fieldInfo.get(schema)?.doc ?? key}`)

    if (children === undefined) {
      lines.push(...renderKey(key, values[key], schema, ''))
      const example = fieldInfo.get(schema)?.example
      if (example != null) {
        lines.push('# for example:', ...example.map(line => `# ${line}`))
      }
      continue
    }

    const section = values[key] as Record<string, unknown>
    lines.push(`${key}:`)

    for (const [child, childSchema] of Object.entries(children)) {
      lines.push(`  # ${fieldInfo.get(childSchema)?.doc ?? child}`)
      lines.push(...renderKey(child, section[child], childSchema, '  '))
    }
  }

  return `${lines.join('\n')}\n`
}

function sectionShape (schema: z.ZodType): Record<string, z.ZodType> | undefined {
  if (schema instanceof z.ZodPipe && schema.out instanceof z.ZodObject) {
    return schema.out.shape as Record<string, z.ZodType>
  }

  return undefined
}

function renderKey (key: string, value: unknown, schema: z.ZodType, indent: string): string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return [`${indent}${key}: []`]
    }

    return [`${indent}${key}:`, ...value.map(item => `${indent}  - ${scalar(item)}`)]
  }

  if (fieldInfo.get(schema)?.duration === true && typeof value === 'number') {
    return [`${indent}${key}: ${formatDuration(value)}`]
  }

  return [`${indent}${key}: ${scalar(value)}`]
}

function scalar (value: unknown): string {
  // lets the yaml library decide when quoting is needed, e.g. a mesh named "123"
  return stringify(value, { lineWidth: 0 }).trimEnd()
}
