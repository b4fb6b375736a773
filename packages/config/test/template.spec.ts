import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { ConfigError, defaultConfig, parseConfig, renderConfigTemplate } from '../src/index.js'

describe('renderConfigTemplate', () => {
  it('parses back to the defaults with the given mesh name', () => {
    const config = parseConfig(renderConfigTemplate({ mesh: 'lab-7' }), { env: {} })
    const expected = defaultConfig()
    expected.mesh.name = 'lab-7'
    assert.deepEqual(config, expected)
  })

  it('parses back to exactly the defaults for the default mesh name', () => {
    assert.deepEqual(parseConfig(renderConfigTemplate({ mesh: 'overmind' }), { env: {} }), defaultConfig())
  })

  it('keeps a numeric-looking mesh name a string', () => {
    assert.equal(parseConfig(renderConfigTemplate({ mesh: '123' }), { env: {} }).mesh.name, '123')
  })

  it('writes every key with a comment above it', () => {
    const lines = renderConfigTemplate({ mesh: 'lab' }).split('\n')
    const defaults = defaultConfig()

    for (const [section, value] of Object.entries(defaults)) {
      const keys = Array.isArray(value) ? [section] : Object.keys(value)
      const indent = Array.isArray(value) ? '' : '  '

      for (const key of keys) {
        const index = lines.findIndex(line => line.startsWith(`${indent}${key}:`))
        assert.ok(index > 0, `${section}.${key} is missing`)
        assert.match(lines[index - 1], /^\s*# \S/, `${section}.${key} has no comment`)
      }
    }
  })

  it('writes durations with units', () => {
    const text = renderConfigTemplate({ mesh: 'lab' })
    assert.match(text, /^ {2}interval: 30s$/m)
    assert.match(text, /^ {2}rejoinInterval: 10s$/m)
  })

  it('explains what the file is and that environment variables work', () => {
    const text = renderConfigTemplate({ mesh: 'lab' })
    assert.match(text, /^# overmind\.config\.yaml: configuration of an Overmind Mesh node/)
    assert.match(text, /\$\{NAME\}/)
  })

  it('refuses an invalid mesh name', () => {
    assert.throws(() => renderConfigTemplate({ mesh: 'Not Valid' }), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.key, 'mesh.name')
      return true
    })
  })
})
