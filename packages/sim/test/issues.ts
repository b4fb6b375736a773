import assert from 'node:assert/strict'
import { ConfigError } from '@overmind/config'
import { parseScenario } from '../src/index.js'

/** The lines of the error a scenario is refused with; fails the test if it is accepted */
export function issuesOf (text: string, file = 'scenario.yaml'): string[] {
  try {
    parseScenario(text, { file })
  } catch (err: any) {
    assert.ok(err instanceof ConfigError, err.message)
    return err.message.split('\n')
  }
  assert.fail('the scenario was accepted')
}
