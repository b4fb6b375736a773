import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { Scheduler } from '../src/index.js'
import type { Slot } from '../src/index.js'

describe('Scheduler', () => {
  it('starts runs up to the concurrency, queues the rest and answers busy when the queue is full', async () => {
    const s = new Scheduler({ maxQueue: 2, maxQueuePerCaller: 10 })
    s.addAgent('a', 2)
    const first = s.admit('a', 'x')
    const second = s.admit('a', 'x')
    const third = s.admit('a', 'x')
    const fourth = s.admit('a', 'x')
    const fifth = s.admit('a', 'x')
    assert.deepEqual([first.status, second.status, third.status, fourth.status, fifth.status], ['accepted', 'accepted', 'accepted', 'accepted', 'busy'])
    assert.equal(third.status === 'accepted' && third.position, 0)
    assert.equal(fourth.status === 'accepted' && fourth.position, 1)
    assert.deepEqual(s.load('a'), { concurrency: 2, running: 2, queued: 2 })
    assert.equal(s.queueDepth, 2)

    let started = false
    void (third as any).slot.then(() => { started = true })
    const slot = await (first as any).slot as Slot
    slot.release()
    slot.release() // twice is harmless
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(started, true)
    assert.deepEqual(s.load('a'), { concurrency: 2, running: 2, queued: 1 })
  })

  it('serves waiting callers round-robin, so one caller\'s flood does not starve another', async () => {
    const s = new Scheduler({ maxQueue: 100, maxQueuePerCaller: 100 })
    s.addAgent('a', 1)
    const order: string[] = []
    const hold = s.admit('a', 'setup')
    const waits: Array<Promise<void>> = []
    const enqueue = (caller: string): void => {
      const adm = s.admit('a', caller)
      assert.equal(adm.status, 'accepted')
      if (adm.status === 'accepted') {
        waits.push(adm.slot.then(slot => { order.push(caller); slot.release() }))
      }
    }
    for (let i = 0; i < 10; i++) enqueue('flood')
    for (let i = 0; i < 3; i++) enqueue('other')
    assert.equal(hold.status, 'accepted')
    if (hold.status === 'accepted') (await hold.slot).release()
    await Promise.all(waits)
    // "other" is served every second turn, not after the ten "flood" runs
    assert.deepEqual(order.slice(0, 6), ['flood', 'other', 'flood', 'other', 'flood', 'other'])
    assert.equal(order.length, 13)
  })

  it('keeps room in the queue for other callers', () => {
    const s = new Scheduler({ maxQueue: 8, maxQueuePerCaller: 4 })
    s.addAgent('a', 1)
    const flood = Array.from({ length: 20 }, () => s.admit('a', 'flood').status)
    assert.equal(flood.filter(x => x === 'accepted').length, 5) // one running, four queued
    const other = Array.from({ length: 4 }, () => s.admit('a', 'other').status)
    assert.deepEqual(other, ['accepted', 'accepted', 'accepted', 'accepted'])
    assert.equal(s.admit('a', 'third').status, 'busy') // the queue is full now
  })

  it('takes a run out of the queue when its signal aborts', async () => {
    const s = new Scheduler({ maxQueue: 4, maxQueuePerCaller: 4 })
    s.addAgent('a', 1)
    s.admit('a', 'x')
    const controller = new AbortController()
    const queued = s.admit('a', 'x', controller.signal)
    assert.equal(s.queueDepth, 1)
    controller.abort(new Error('gone'))
    assert.equal(queued.status, 'accepted')
    if (queued.status === 'accepted') await assert.rejects(queued.slot, /gone/)
    assert.equal(s.queueDepth, 0)
  })

  it('fails every waiting run when cleared', async () => {
    const s = new Scheduler({ maxQueue: 4, maxQueuePerCaller: 4 })
    s.addAgent('a', 1)
    s.admit('a', 'x')
    const queued = s.admit('a', 'y')
    assert.equal(queued.status, 'accepted')
    s.clear(new Error('stopping'))
    if (queued.status === 'accepted') await assert.rejects(queued.slot, /stopping/)
    assert.equal(s.queueDepth, 0)
  })
})
