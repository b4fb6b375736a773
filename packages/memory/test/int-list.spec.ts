import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { IntList } from '../src/int-list.js'

describe('IntList', () => {
  it('keeps every value in order as it grows, and its view holds exactly them', () => {
    const list = new IntList()
    const expected: number[] = []
    for (let i = 0; i < 10_000; i++) {
      const value = (i * 7919) % 100_003 - 50_000
      list.push(value)
      expected.push(value)
    }
    assert.equal(list.length, 10_000)
    assert.ok(list.values.length >= 10_000)
    assert.deepEqual(Array.from(list.view()), expected)
    assert.deepEqual(Array.from(new IntList().view()), [])
  })

  it('a view is a snapshot: pushes and growth after it leave it as it was', () => {
    const list = new IntList()
    for (let i = 0; i < 4; i++) list.push(i)
    const view = list.view()
    assert.equal(view.buffer, list.values.buffer, 'no copy')
    for (let i = 4; i < 100; i++) list.push(i)
    assert.notEqual(view.buffer, list.values.buffer, 'the list grew into new memory')
    assert.deepEqual(Array.from(view), [0, 1, 2, 3])
    assert.deepEqual(Array.from(list.view()), Array.from({ length: 100 }, (_, i) => i))
  })

  it('concatenates lists: the only one as a view, several as one copy in order', () => {
    const a = new IntList()
    const b = new IntList()
    for (let i = 0; i < 5; i++) a.push(i)
    for (let i = 10; i < 13; i++) b.push(i)
    const one = IntList.concat([a])
    assert.equal(one.buffer, a.values.buffer)
    assert.deepEqual(Array.from(IntList.concat([a, b])), [0, 1, 2, 3, 4, 10, 11, 12])
    assert.deepEqual(Array.from(IntList.concat([])), [])
  })
})
