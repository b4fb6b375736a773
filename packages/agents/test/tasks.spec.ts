import assert from 'node:assert/strict'
import { defaultLogger } from '@libp2p/logger'
import { MemoryDatastore } from 'datastore-core'
import { describe, it, vi } from 'vitest'
import { AgentHost, LeaseLostError, SessionRunner, TaskBoard, TaskNotFoundError } from '../src/index.js'
import type { RunOptions } from '../src/index.js'

const log = defaultLogger().forComponent('test:tasks')
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

function options (extra: Partial<RunOptions> = {}): RunOptions {
  return { signal: new AbortController().signal, caller: 'peerA/agent', callerAgent: 'agent', ...extra }
}

async function board (datastore = new MemoryDatastore()): Promise<TaskBoard> {
  const b = new TaskBoard({ log })
  await b.start(datastore)
  return b
}

describe('TaskBoard', () => {
  it('hands a run to a worker, passes its progress to the caller and its output back', async () => {
    const tasks = await board()
    const progress: string[] = []
    const result = tasks.offer('reviewer', text('review this'), options({ onProgress: m => { progress.push(m) } }))
    const claimed = await tasks.claim({ lease: 5_000 })
    assert.ok(claimed != null)
    assert.deepEqual([claimed.agent, claimed.input, claimed.caller, claimed.callerAgent, claimed.attempt], ['reviewer', 'review this', 'peerA', 'agent', 1])
    assert.equal(tasks.list()[0].state, 'claimed')
    assert.equal(await tasks.claim(), undefined, 'a claimed run is not handed out twice')
    tasks.progress(claimed.id, claimed.lease, 'half way')
    assert.equal(tasks.list()[0].progress, 'half way')
    await tasks.complete(claimed.id, claimed.lease, 'looks good')
    assert.equal(await result, 'looks good')
    assert.deepEqual(progress, ['half way'])
    assert.deepEqual(tasks.list(), [])
    // a worker repeating its complete (its answer was lost) gets the same answer; a fail with that lease is refused
    await tasks.complete(claimed.id, claimed.lease, 'looks good')
    assert.throws(() => tasks.fail(claimed.id, claimed.lease, 'no'), TaskNotFoundError)
  })

  it('a claim that waits gets the next run of its agent, and only of its agent', async () => {
    const tasks = await board()
    const waiting = tasks.claim({ agents: ['b'], wait: 5_000 })
    const a = tasks.offer('a', text('for a'), options())
    const b = tasks.offer('b', text('for b'), options())
    const claimed = await waiting
    assert.equal(claimed?.agent, 'b')
    assert.equal((await tasks.claim({ agents: ['b'] })), undefined)
    const other = await tasks.claim()
    assert.equal(other?.agent, 'a')
    // what the workers look like now: both runs claimed, one more worker waiting for a run of a
    const ready = tasks.claim({ agents: ['a'], wait: 1_000 })
    const seen = Object.fromEntries(tasks.workers().map(w => [w.agent, w]))
    assert.deepEqual([seen.a.claimsWaiting, seen.a.claimed, seen.a.waiting, seen.b.claimsWaiting, seen.b.claimed], [1, 1, 0, 0, 1])
    assert.ok((seen.b.lastAskedAt ?? 0) > 0)
    assert.equal(await ready, undefined)
    tasks.fail(other.id, other.lease, 'cannot do a')
    await assert.rejects(a, { name: 'AgentFailedError', message: 'cannot do a' })
    await tasks.complete(claimed!.id, claimed!.lease, 'done b')
    assert.equal(await b, 'done b')
    // nothing waits: a claim without wait answers at once, one with wait gives up after it
    const t0 = Date.now()
    assert.equal(await tasks.claim({ wait: 200 }), undefined)
    assert.ok(Date.now() - t0 >= 190)
  })

  it('puts a run back when its lease runs out: another worker completes it once, the first is refused', async () => {
    const tasks = await board()
    const result = tasks.offer('reviewer', text('x'), options())
    const first = await tasks.claim({ lease: 1_000 })
    assert.ok(first != null)
    // the first worker goes quiet; the second waits for the run to come back
    const second = await tasks.claim({ wait: 5_000 })
    assert.ok(second != null)
    assert.equal(second.id, first.id)
    assert.equal(second.attempt, 2)
    assert.notEqual(second.lease, first.lease)
    assert.throws(() => tasks.progress(first.id, first.lease, 'still here'), LeaseLostError)
    await assert.rejects(tasks.complete(first.id, first.lease, 'late answer'), LeaseLostError)
    await tasks.complete(second.id, second.lease, 'the answer')
    assert.equal(await result, 'the answer')
  })

  it('progress renews the lease', async () => {
    const tasks = await board()
    void tasks.offer('reviewer', text('x'), options()).catch(() => {})
    const claimed = await tasks.claim({ lease: 1_000 })
    assert.ok(claimed != null)
    for (let i = 0; i < 4; i++) {
      await new Promise(resolve => setTimeout(resolve, 500))
      tasks.progress(claimed.id, claimed.lease)
    }
    // 2 s after the claim, on a 1 s lease: still held
    assert.equal(tasks.list()[0].state, 'claimed')
    assert.equal(tasks.list()[0].attempt, 1)
    tasks.stop()
  })

  it('a cancelled run leaves the board, and its worker hears so', async () => {
    const tasks = await board()
    const cancel = new AbortController()
    const result = tasks.offer('reviewer', text('x'), options({ signal: cancel.signal }))
    const claimed = await tasks.claim()
    assert.ok(claimed != null)
    cancel.abort(new Error('the caller went away'))
    await assert.rejects(result, /the caller went away/)
    assert.throws(() => tasks.progress(claimed.id, claimed.lease, 'x'), TaskNotFoundError)
    assert.deepEqual(tasks.list(), [])
  })

  it('journals a completed run with a key: asked again after a restart, it answers without a worker', async () => {
    const datastore = new MemoryDatastore()
    let tasks = await board(datastore)
    const result = tasks.offer('reviewer', text('x'), options({ key: 'peerA\nrun-1' }))
    const claimed = await tasks.claim({ wait: 2_000 })
    await tasks.complete(claimed!.id, claimed!.lease, 'done once')
    assert.equal(await result, 'done once')
    tasks.stop()
    // a new board on the same datastore: the node after a crash
    tasks = await board(datastore)
    assert.equal(await tasks.offer('reviewer', text('x'), options({ key: 'peerA\nrun-1' })), 'done once')
    assert.deepEqual(tasks.list(), [], 'no worker was asked')
    // the same key from another caller node is another run
    const other = tasks.offer('reviewer', text('x'), options({ key: 'peerB\nrun-1' }))
    assert.equal((await tasks.claim({ wait: 2_000 }))?.attempt, 1)
    tasks.stop()
    await assert.rejects(other, { name: 'RunCancelledError' })
  })

  it('runs through the host like any agent: the scheduler bounds the runs waiting for workers', async () => {
    const tasks = await board()
    const host = new AgentHost([{ name: 'reviewer', runner: new SessionRunner(tasks, 'reviewer'), expose: 'mesh', concurrency: 1, timeout: 60_000 }], { maxQueue: 1, maxQueuePerCaller: 1 })
    const first = host.admit({ agent: 'reviewer', input: text('one'), caller: 'c1', remote: true, timeout: 60_000 })
    const second = host.admit({ agent: 'reviewer', input: text('two'), caller: 'c2', remote: true, timeout: 60_000 })
    const third = host.admit({ agent: 'reviewer', input: text('three'), caller: 'c3', remote: true, timeout: 60_000 })
    assert.deepEqual([first.status, second.status, third.status], ['accepted', 'accepted', 'busy'])
    assert.ok(first.status === 'accepted' && second.status === 'accepted')
    const out1 = first.frames.next()
    const claimed = await tasks.claim({ wait: 2_000 })
    assert.equal(claimed?.input, 'one')
    assert.equal(tasks.list().length, 1, 'the second run waits in the scheduler, not on the board')
    await tasks.complete(claimed!.id, claimed!.lease, 'ONE')
    assert.equal(new TextDecoder().decode((await out1).value as Uint8Array), 'ONE')
    assert.equal((await first.frames.next()).done, true)
    const out2 = second.frames.next()
    const next = await tasks.claim({ wait: 2_000 })
    assert.equal(next?.input, 'two')
    await tasks.fail(next!.id, next!.lease, 'not today')
    const end = await out2
    assert.equal(end.done, true)
    assert.deepEqual([(end.value as any).ok, (end.value as any).error, (end.value as any).message], [false, 'agent-failed', 'not today'])
  })

  it('advertises a free slot only while a worker asks: callers try hosts that can serve first', async () => {
    const tasks = await board()
    const host = new AgentHost([
      { name: 'reviewer', runner: new SessionRunner(tasks, 'reviewer'), expose: 'mesh', concurrency: 2, timeout: 60_000 },
      { name: 'other', runner: new SessionRunner(tasks, 'other'), expose: 'mesh', concurrency: 1, timeout: 60_000 }
    ], { maxQueue: 8, maxQueuePerCaller: 8 })
    vi.useFakeTimers({ toFake: ['Date'] })
    try {
      assert.equal(host.freeSlots('reviewer'), 0, 'no worker yet')
      // a claim waiting now counts, for its agent only
      const waiting = tasks.claim({ agents: ['reviewer'], wait: 30_000 })
      assert.equal(host.freeSlots('reviewer'), 2)
      assert.equal(host.freeSlots('other'), 0)
      const run = host.admit({ agent: 'reviewer', input: text('one'), caller: 'c1', remote: true, timeout: 60_000 })
      assert.ok(run.status === 'accepted')
      const output = run.frames.next()
      const claimed = await waiting
      assert.ok(claimed != null)
      assert.equal(host.freeSlots('reviewer'), 1, 'one slot runs')
      await tasks.complete(claimed.id, claimed.lease, 'done')
      assert.equal(new TextDecoder().decode((await output).value as Uint8Array), 'done')
      assert.equal((await run.frames.next()).done, true)
      // the worker asked a moment ago; a lease later with no ask, the agent has no worker again
      assert.equal(host.freeSlots('reviewer'), 2)
      vi.setSystemTime(Date.now() + 61_000)
      assert.equal(host.freeSlots('reviewer'), 0)
      // a worker for any agent serves both
      await tasks.claim()
      assert.deepEqual([host.freeSlots('reviewer'), host.freeSlots('other')], [2, 1])
    } finally {
      vi.useRealTimers()
    }
  })
})
