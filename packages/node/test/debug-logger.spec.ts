import assert from 'node:assert/strict'
import { afterEach, describe, it } from 'vitest'
import { disable, enable } from '@libp2p/logger'
import { meshLogger } from '../src/debug-logger.js'

describe('meshLogger', () => {
  afterEach(() => { disable() })

  it('gives a no-op logger, with error, trace and scopes, to components no DEBUG pattern selects', () => {
    disable()
    const log = meshLogger().forComponent('libp2p:yamux')
    assert.equal(log.enabled, false)
    const scoped = log.newScope('stream-1')
    assert.equal(scoped.enabled, false)
    assert.doesNotThrow(() => { log('a %s', 'b'); log.error('boom %e', new Error('x')); log.trace('t'); scoped('c') })
  })

  it('selects components by name, as DEBUG says when the logger is asked for', () => {
    enable('libp2p:yamux*')
    const logger = meshLogger()
    assert.equal(logger.forComponent('libp2p:yamux').enabled, true)
    assert.equal(logger.forComponent('libp2p:yamux').newScope('stream-1').enabled, true)
    assert.equal(logger.forComponent('libp2p:noise').enabled, false)
  })

  it('keeps error logs of a component whose only selected name is its :error one', () => {
    enable('libp2p:noise:error')
    const log = meshLogger().forComponent('libp2p:noise')
    assert.equal(log.enabled, false)
    assert.equal((log.error as any).enabled, true)
  })

  it('scopes a silent component into a selected one', () => {
    enable('libp2p:gossipsub:stream-7')
    const log = meshLogger().forComponent('libp2p:gossipsub')
    assert.equal(log.enabled, false)
    assert.equal(log.newScope('stream-7').enabled, true)
  })
})
