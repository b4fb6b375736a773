import { configSchema } from '@overmind/config'

/**
 * Agent entries as the config file gives them, defaults filled in. A
 * `builtin` other than the shipped ones names a function of `agentFunctions`.
 */
export function agents (list: Array<Record<string, unknown>>): ReturnType<typeof configSchema.parse>['agents'] {
  const parsed = configSchema.parse({ agents: list.map(a => a.runner === 'builtin' ? { ...a, builtin: 'echo' } : a) }).agents
  return parsed.map((a, i) => ({ ...a, builtin: String(list[i].builtin ?? a.builtin) }))
}
