import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { CircuitBreaker } from '../src/index.js'

describe('CircuitBreaker', () => {
  it('opens after repeated failures, lets one probe through after the cooldown and closes on success', () => {
    let now = 0
    const b = new CircuitBreaker({ threshold: 3, cooldown: 1000, now: () => now })
    b.failure()
    b.failure()
    assert.equal(b.state, 'closed')
    assert.equal(b.allow(), true)
    b.failure()
    assert.equal(b.state, 'open')
    assert.equal(b.allow(), false)
    now = 1000
    assert.equal(b.state, 'half-open')
    assert.equal(b.allow(), true)
    assert.equal(b.allow(), false, 'only one probe at a time')
    b.success()
    assert.equal(b.state, 'closed')
    assert.equal(b.recentFailures, 0)
  })

  it('doubles the cooldown after a failed probe', () => {
    let now = 0
    const b = new CircuitBreaker({ threshold: 1, cooldown: 1000, now: () => now })
    b.failure()
    now = 1000
    assert.equal(b.allow(), true)
    b.failure()
    assert.equal(b.state, 'open')
    now = 2500
    assert.equal(b.state, 'open')
    now = 3000
    assert.equal(b.state, 'half-open')
  })

  it('frees the probe when the call tells nothing (busy)', () => {
    let now = 0
    const b = new CircuitBreaker({ threshold: 1, cooldown: 10, now: () => now })
    b.failure()
    now = 10
    assert.equal(b.allow(), true)
    b.neutral()
    assert.equal(b.allow(), true)
  })
})
