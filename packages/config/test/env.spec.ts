import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { ConfigError, parseConfig } from '../src/index.js'

describe('environment variables', () => {
  it('substitutes ${NAME}', () => {
    const config = parseConfig('identity:\n  keyFile: ${HOME_DIR}/peer.key\n', { env: { HOME_DIR: '/srv/node' } })
    assert.equal(config.identity.keyFile, '/srv/node/peer.key')
  })

  it('uses the default of ${NAME:-default} when NAME is unset or empty', () => {
    const text = 'api:\n  host: ${API_HOST:-0.0.0.0}\n'
    assert.equal(parseConfig(text, { env: {} }).api.host, '0.0.0.0')
    assert.equal(parseConfig(text, { env: { API_HOST: '' } }).api.host, '0.0.0.0')
    assert.equal(parseConfig(text, { env: { API_HOST: '10.0.0.1' } }).api.host, '10.0.0.1')
  })

  it('reads an unquoted substitution as a number or boolean', () => {
    const config = parseConfig('api:\n  port: ${PORT}\ndiscovery:\n  mdns: ${MDNS:-true}\n', { env: { PORT: '8080' } })
    assert.equal(config.api.port, 8080)
    assert.equal(config.discovery.mdns, true)
  })

  it('keeps a quoted substitution a string', () => {
    assert.equal(parseConfig('mesh:\n  keyFile: "${KEY}"\n', { env: { KEY: '123' } }).mesh.keyFile, '123')
  })

  it('turns $${ into a literal ${', () => {
    const config = parseConfig('mesh:\n  keyFile: "$${NOT_A_VAR}.key"\n', { env: {} })
    assert.equal(config.mesh.keyFile, '${NOT_A_VAR}.key')
  })

  it('leaves a lone $ alone', () => {
    assert.equal(parseConfig('mesh:\n  keyFile: $HOME/a$b\n', { env: {} }).mesh.keyFile, '$HOME/a$b')
  })

  it('substitutes inside lists', () => {
    const config = parseConfig('listen:\n  - /ip4/${IP}/tcp/${PORT:-4001}\n', { env: { IP: '10.1.2.3' } })
    assert.deepEqual(config.listen, ['/ip4/10.1.2.3/tcp/4001'])
  })

  it('reads process.env when no env is given', () => {
    process.env.OVERMIND_CONFIG_TEST_LEVEL = 'debug'
    try {
      assert.equal(parseConfig('log:\n  level: ${OVERMIND_CONFIG_TEST_LEVEL}\n').log.level, 'debug')
    } finally {
      delete process.env.OVERMIND_CONFIG_TEST_LEVEL
    }
  })

  it('names the unset variable, the key and the line', () => {
    assert.throws(() => parseConfig('mesh:\n  name: lab\n  keyFile: ${MESH_KEY_FILE}\n', { file: 'overmind.config.yaml', env: {} }), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.key, 'mesh.keyFile')
      assert.equal(err.line, 3)
      assert.equal(err.column, 12)
      assert.match(err.message, /^overmind\.config\.yaml:3:12: mesh\.keyFile: environment variable MESH_KEY_FILE is not set/)
      // the unresolved text must not also be reported as an invalid value
      assert.equal(err.issues.length, 1)
      return true
    })
  })

  it('reports an unset variable in a typed key once', () => {
    assert.throws(() => parseConfig('api:\n  port: ${PORT}\n', { env: {} }), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.issues.length, 1)
      assert.match(err.message, /api\.port: environment variable PORT is not set/)
      return true
    })
  })

  it('rejects malformed references', () => {
    assert.throws(() => parseConfig('mesh:\n  keyFile: "${UNCLOSED"\n', { env: {} }), { message: /^2:12: mesh\.keyFile: "\$\{" is not closed/ })
    assert.throws(() => parseConfig('mesh:\n  keyFile: "${1BAD}"\n', { env: {} }), /is not a valid reference/)
  })

  it('does not substitute inside comments or keys', () => {
    assert.deepEqual(parseConfig('# ${UNSET}\nmesh:\n  name: lab\n', { env: {} }).mesh.name, 'lab')
  })
})
