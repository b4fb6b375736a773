import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { ConfigError, formatDuration, parseDuration } from '../src/index.js'

describe('parseDuration', () => {
  it('takes numbers as milliseconds', () => {
    assert.equal(parseDuration(0), 0)
    assert.equal(parseDuration(250), 250)
  })

  it('parses ms, s, m, h and d', () => {
    assert.equal(parseDuration('500ms'), 500)
    assert.equal(parseDuration('30s'), 30_000)
    assert.equal(parseDuration('5m'), 300_000)
    assert.equal(parseDuration('1h'), 3_600_000)
    assert.equal(parseDuration('7d'), 604_800_000)
    assert.equal(parseDuration('1d12h'), 129_600_000)
  })

  it('parses fractions exactly', () => {
    assert.equal(parseDuration('1.5s'), 1_500)
    assert.equal(parseDuration('1.234s'), 1_234)
    assert.equal(parseDuration('.5m'), 30_000)
  })

  it('parses combined parts', () => {
    assert.equal(parseDuration('1m30s'), 90_000)
    assert.equal(parseDuration('1h2m3s4ms'), 3_723_004)
  })

  it('rejects everything else with the expected form', () => {
    for (const value of ['', 'abc', '30', '30 s', '-5s', '5w', 's', '1.s', '5sec']) {
      assert.throws(() => parseDuration(value), (err: unknown) => {
        assert.ok(err instanceof ConfigError)
        assert.match(err.message, /^expected a duration such as "30s" or "500ms", got /)
        return true
      }, value)
    }

    for (const value of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => parseDuration(value), ConfigError)
    }
  })

  it('hints at the missing unit for a bare number string', () => {
    assert.throws(() => parseDuration('30'), /add a unit: ms, s, m, h or d/)
  })
})

describe('formatDuration', () => {
  it('uses the largest exact unit', () => {
    assert.equal(formatDuration(0), '0ms')
    assert.equal(formatDuration(500), '500ms')
    assert.equal(formatDuration(30_000), '30s')
    assert.equal(formatDuration(300_000), '5m')
    assert.equal(formatDuration(7_200_000), '2h')
    assert.equal(formatDuration(7 * 86_400_000), '7d')
    assert.equal(formatDuration(1_500), '1.5s')
  })

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1_000, 1_234, 59_999, 60_000, 90_000, 3_600_000, 3_601_000]) {
      assert.equal(parseDuration(formatDuration(ms)), ms)
    }
  })

  it('rejects negative and non-finite values', () => {
    assert.throws(() => formatDuration(-1), RangeError)
    assert.throws(() => formatDuration(Number.NaN), RangeError)
  })
})
