import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { IntList } from '../src/int-list.js'

describe('IntList', () => {
  it('keeps every value in order as it grows, and reads back as a plain array', () => {
    const list = new IntList()
    const expected: number[] = []
    for (let i = 0; i < 10_000; i++) {
      const value = (i * 7919) % 100_003 - 50_000
      list.push(value)
      expected.push(value)
    }
    assert.equal(list.length, 10_000)
    assert.ok(list.values.length >= 10_000)
    assert.deepEqual(list.toArray(), expected)
    assert.deepEqual(new IntList().toArray(), [])
  })
})
