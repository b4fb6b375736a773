import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { IntList, IntLists } from '../src/int-list.js'

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

describe('IntLists', () => {
  it('keeps many lists apart and in order through moves and compactions, however their pushes interleave', () => {
    const lists = new IntLists()
    const expected: number[][] = []
    const random = ((seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2_147_483_648) / 2_147_483_648)(7)
    // most lists get a value or two, a few get thousands: a vocabulary's shape
    for (let step = 0; step < 200_000; step++) {
      if (expected.length === 0 || random() < 0.2) {
        assert.equal(lists.add(), expected.length)
        expected.push([])
      }
      const id = random() < 0.5 ? Math.floor(random() * Math.min(expected.length, 20)) : Math.floor(random() * expected.length)
      const value = step * 31 - 1_000_000
      lists.push(id, value)
      expected[id].push(value)
    }
    assert.equal(lists.size, expected.length)
    expected.forEach((values, id) => {
      assert.equal(lists.length(id), values.length)
      assert.deepEqual(Array.from(lists.view(id)), values, `list ${id}`)
    })
  })

  it('an empty list has an empty view, and a list that is the last grows where it is', () => {
    const lists = new IntLists()
    const a = lists.add()
    assert.deepEqual(Array.from(lists.view(a)), [])
    for (let i = 0; i < 1000; i++) lists.push(a, i)
    assert.deepEqual(Array.from(lists.view(a)), Array.from({ length: 1000 }, (_, i) => i))
    const b = lists.add()
    lists.push(b, 5)
    lists.push(a, 1000)
    assert.deepEqual(Array.from(lists.view(b)), [5])
    assert.equal(lists.view(a).at(-1), 1000)
    assert.equal(lists.length(a), 1001)
  })
})
