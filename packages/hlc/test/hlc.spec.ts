import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { ClockDriftError, HybridLogicalClock, compareTimestamps } from '../src/index.js'

describe('hybrid logical clock', () => {
  it('never goes backwards when the wall clock does', () => {
    let wall = 1_000
    const clock = new HybridLogicalClock({ wallClock: () => wall })
    const a = clock.now()
    wall = 500
    const b = clock.now()
    assert.ok(compareTimestamps(b, a) > 0)
    assert.deepEqual(b, { wallTime: 1_000, logical: 1 })
  })

  it('follows physical time when it moves forward', () => {
    let wall = 1_000
    const clock = new HybridLogicalClock({ wallClock: () => wall })
    clock.now()
    clock.now()
    wall = 2_000
    assert.deepEqual(clock.now(), { wallTime: 2_000, logical: 0 })
  })

  it('orders a receive event after the remote send event', () => {
    const clock = new HybridLogicalClock({ wallClock: () => 1_000 })
    const remote = { wallTime: 1_500, logical: 7 }
    const received = clock.update(remote)
    assert.ok(compareTimestamps(received, remote) > 0)
    assert.ok(compareTimestamps(clock.now(), received) > 0)
  })

  it('refuses a remote timestamp too far in the future', () => {
    const clock = new HybridLogicalClock({ wallClock: () => 1_000, maxDrift: 100 })
    assert.throws(() => clock.update({ wallTime: 2_000, logical: 0 }), (err: Error) => err.name === ClockDriftError.name)
    assert.deepEqual(clock.peek(), { wallTime: 0, logical: 0 })
  })

  it('rejects malformed timestamps', () => {
    const clock = new HybridLogicalClock()
    assert.throws(() => clock.update({ wallTime: -1, logical: 0 }), TypeError)
    assert.throws(() => clock.update({ wallTime: 1, logical: 1.5 }), TypeError)
  })
})
