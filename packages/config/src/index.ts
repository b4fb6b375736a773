/**
 * @packageDocumentation
 *
 * Loads and validates `overmind.config.yaml`, the config file of an Overmind
 * Mesh node. Every key has a default, `${NAME}` and `${NAME:-default}` read
 * environment variables, and every problem is reported with its key, line
 * and column.
 *
 * @example
 *
 * ```ts
 * import { loadConfig, renderConfigTemplate } from '@overmind/config'
 * import { writeFile } from 'node:fs/promises'
 *
 * await writeFile('overmind.config.yaml', renderConfigTemplate({ mesh: 'lab' }))
 *
 * const config = await loadConfig('overmind.config.yaml')
 * config.heartbeat.interval // 30000 (milliseconds)
 * ```
 *
 * Problems come out as a `ConfigError` with one line per problem:
 *
 * ```text
 * overmind.config.yaml:12:3: heartbeat.interval: expected a duration such as "30s" or "500ms", got true
 * ```
 */

export { configSchema, defaultConfig } from './schema.js'
export type { OvermindConfig } from './schema.js'
export { parseConfig, loadConfig } from './load.js'
export type { ParseConfigOptions, LoadConfigOptions } from './load.js'
export { ConfigError } from './errors.js'
export type { ConfigIssue, ConfigErrorOptions } from './errors.js'
export { parseDuration, formatDuration } from './duration.js'
export { renderConfigTemplate } from './template.js'
export { updateConfigFile } from './edit.js'
export type { TemplateOptions } from './template.js'
