import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { AgentHost, AgentRouter, FunctionRunner } from '../src/index.js'
import type { CallOutcome, CallRequest, Candidate, RouterDeps } from '../src/index.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const done = (frames = 0): CallOutcome => ({ status: 'done', end: { ok: true, message: '', frames, durationMs: 1 } })

function deps (known: Candidate[], call: (peer: string, req: CallRequest) => Promise<CallOutcome>, lookup: Candidate[] = []): RouterDeps {
  return { self: 'me', known: () => known, lookup: async () => lookup, call }
}

describe('AgentRouter', () => {
  it('fails with AgentNotFoundError when nobody hosts the agent', async () => {
    const router = new AgentRouter(deps([], async () => done()))
    await assert.rejects(router.run('ghost', bytes('')), { name: 'AgentNotFoundError' })
  })

  it('runs by skill: asks each host for its agent by name, a DHT provider by the skill alone, and names the skill when nobody offers it', async () => {
    const asked: Array<[string, string, string | undefined]> = []
    const known: Candidate[] = [
      { peer: 'h1', agent: 'sum-1', source: 'heartbeat', freeSlots: 0, rtt: 1 },
      { peer: 'h2', agent: 'sum-2', source: 'heartbeat', freeSlots: 1, rtt: 9 }
    ]
    const targets: unknown[] = []
    let heard = true
    const router = new AgentRouter({
      self: 'me',
      known: target => { targets.push(target); return target.skill === 'summarize' && heard ? known : [] },
      lookup: async target => target.skill === 'summarize' ? [{ peer: 'far', source: 'dht' }] : [],
      call: async (peer, req) => { asked.push([peer, req.agent, req.skill]); return { status: 'busy' } }
    }, { retries: 5 })
    await assert.rejects(router.run({ skill: 'summarize' }, bytes('')), { name: 'AllHostsBusyError' })
    // the one with a free slot first
    assert.deepEqual(asked.splice(0), [['h2', 'sum-2', 'summarize'], ['h1', 'sum-1', 'summarize']])
    assert.deepEqual(targets[0], { skill: 'summarize' })
    // no heartbeat names a host: the provider found in the DHT, asked with the skill alone
    heard = false
    await assert.rejects(router.run({ skill: 'summarize' }, bytes('')), { name: 'AllHostsBusyError' })
    assert.deepEqual(asked, [['far', '', 'summarize']])
    await assert.rejects(router.run({ skill: 'juggling' }, bytes('')), (err: Error) => {
      assert.equal(err.name, 'AgentNotFoundError')
      assert.match(err.message, /no node of the mesh offers an agent with the skill "juggling"/)
      return true
    })
  })

  it('spreads runs by skill over its hosts by the runs it has in flight, and moves on when a host fails', async () => {
    const hosts: string[] = []
    const known: Candidate[] = [
      { peer: 'h1', agent: 'a', source: 'heartbeat', freeSlots: 1, rtt: 1 },
      { peer: 'h2', agent: 'b', source: 'heartbeat', freeSlots: 1, rtt: 2 }
    ]
    let down = ''
    const router = new AgentRouter(deps(known, async peer => {
      if (peer === down) throw new Error(`${peer} is down`)
      hosts.push(peer)
      await new Promise(resolve => setTimeout(resolve, 20))
      return done()
    }))
    await Promise.all([0, 1].map(async () => await router.run({ skill: 's' }, bytes(''))))
    assert.deepEqual(hosts.sort(), ['h1', 'h2'])
    down = 'h1'
    const outcome = await router.run({ skill: 's' }, bytes(''))
    assert.equal(outcome.host, 'h2')
    assert.deepEqual(outcome.attempts.map(a => [a.host, a.outcome]), [['h1', 'failed'], ['h2', 'ok']])
  })

  it('tries this node first, then ranks peers by free slots, queue depth and round-trip time', async () => {
    const asked: string[] = []
    const known: Candidate[] = [
      { peer: 'slow', source: 'heartbeat', freeSlots: 1, queueDepth: 0, rtt: 80 },
      { peer: 'full', source: 'heartbeat', freeSlots: 0, queueDepth: 3, rtt: 1 },
      { peer: 'fast', source: 'heartbeat', freeSlots: 1, queueDepth: 0, rtt: 2 },
      { peer: 'me', source: 'local', freeSlots: 0 }
    ]
    const router = new AgentRouter(deps(known, async peer => { asked.push(peer); return { status: 'busy' } }), { retries: 3 })
    await assert.rejects(router.run('a', bytes('')), { name: 'AllHostsBusyError' })
    assert.deepEqual(asked, ['me', 'fast', 'slow', 'full'])
  })

  it('asks the DHT only when no heartbeat names a host', async () => {
    const asked: string[] = []
    const router = new AgentRouter(deps([], async peer => { asked.push(peer); return done() }, [{ peer: 'far', source: 'dht' }]))
    const outcome = await router.run('a', bytes(''))
    assert.equal(outcome.host, 'far')
    assert.deepEqual(asked, ['far'])

    // with a host in heartbeats, the DHT is never asked
    const near = new AgentRouter({
      self: 'me',
      known: () => [{ peer: 'near', source: 'heartbeat' }],
      lookup: async () => { throw new Error('the DHT must not be asked') },
      call: async () => done()
    })
    assert.equal((await near.run('a', bytes(''))).host, 'near')
  })

  it('retries on the next host after a failure before any output, within the retry budget', async () => {
    const asked: string[] = []
    const known: Candidate[] = ['h1', 'h2', 'h3', 'h4'].map((peer, i) => ({ peer, source: 'heartbeat', rtt: i }))
    const router = new AgentRouter(deps(known, async peer => {
      asked.push(peer)
      if (peer !== 'h3') throw new Error(`${peer} is down`)
      return done()
    }), { retries: 2 })
    const outcome = await router.run('a', bytes(''))
    assert.equal(outcome.host, 'h3')
    assert.deepEqual(outcome.attempts.map(a => a.outcome), ['failed', 'failed', 'ok'])

    const limited = new AgentRouter(deps(known, async () => { throw new Error('down') }), { retries: 1 })
    await assert.rejects(limited.run('a', bytes('')), (err: any) => err.name === 'HostFailedError' && err.attempts.length === 2)
  })

  it('does not retry once output reached the caller: HostFailedError', async () => {
    const known: Candidate[] = [{ peer: 'h1', source: 'heartbeat' }, { peer: 'h2', source: 'heartbeat' }]
    const asked: string[] = []
    const router = new AgentRouter(deps(known, async (peer, req) => {
      asked.push(peer)
      await req.onOutput(bytes('partial'))
      throw new Error('connection reset')
    }))
    const out: string[] = []
    await assert.rejects(router.run('a', bytes(''), { onOutput: d => { out.push(new TextDecoder().decode(d)) } }), { name: 'HostFailedError' })
    assert.deepEqual(asked, ['h1'])
    assert.deepEqual(out, ['partial'])
  })

  it('fails with DeadlineExceededError at the deadline', { timeout: 5_000 }, async () => {
    const router = new AgentRouter(deps([{ peer: 'h', source: 'heartbeat' }], async (_peer, req) => await new Promise((_resolve, reject) => {
      req.signal.addEventListener('abort', () => { reject(req.signal.reason) })
    })))
    await assert.rejects(router.run('a', bytes(''), { deadline: 200 }), { name: 'DeadlineExceededError' })
  })

  it('skips a peer whose circuit is open, and probes it again after the cooldown', async () => {
    let now = 0
    const asked: string[] = []
    let healthy = false
    const known: Candidate[] = [{ peer: 'flaky', source: 'heartbeat', freeSlots: 1, rtt: 1 }, { peer: 'steady', source: 'heartbeat', freeSlots: 0, rtt: 50 }]
    const router = new AgentRouter(deps(known, async peer => {
      asked.push(peer)
      if (peer === 'flaky' && !healthy) throw new Error('down')
      return done()
    }), { retries: 1, breaker: { threshold: 2, cooldown: 1000, now: () => now } })
    for (let i = 0; i < 4; i++) await router.run('a', bytes(''))
    assert.deepEqual(asked, ['flaky', 'steady', 'flaky', 'steady', 'steady', 'steady'])
    assert.equal(router.circuits().flaky, 'open')
    now = 1000
    healthy = true
    asked.length = 0
    assert.equal((await router.run('a', bytes(''))).host, 'flaky')
    assert.equal(router.circuits().flaky, 'closed')
  })

  it('reports a local-only agent refused by its host as RunRefusedError', async () => {
    const host = new AgentHost([{ name: 'secret', runner: new FunctionRunner(async () => 'x'), expose: 'local', concurrency: 1, timeout: 1000 }], { maxQueue: 1, maxQueuePerCaller: 1 })
    const router = new AgentRouter(deps([], async (_peer, req) => {
      const adm = host.admit({ agent: req.agent, input: req.input, caller: 'other', remote: true, timeout: req.timeout })
      return adm.status === 'refused' ? { status: 'refused', reason: adm.reason, message: adm.message } : { status: 'busy' }
    }))
    await assert.rejects(router.run('secret', bytes(''), { node: 'host-peer' }), (err: any) => err.name === 'RunRefusedError' && err.reason === 'not-exposed')
  })
})

describe('AgentHost', () => {
  it('refuses runs while stopped and admits them again once started', async () => {
    const host = new AgentHost([{ name: 'a', runner: new FunctionRunner(async () => 'ok'), expose: 'mesh', concurrency: 1, timeout: 1000 }], { maxQueue: 1, maxQueuePerCaller: 1 })
    host.stop()
    const stopped = host.admit({ agent: 'a', input: bytes(''), caller: 'x', remote: true, timeout: 1000 })
    assert.equal(stopped.status, 'refused')
    host.start()
    const admitted = host.admit({ agent: 'a', input: bytes(''), caller: 'x', remote: true, timeout: 1000 })
    assert.equal(admitted.status, 'accepted')
    if (admitted.status !== 'accepted') return
    const frames: string[] = []
    for await (const frame of admitted.frames) frames.push(new TextDecoder().decode(frame))
    assert.deepEqual(frames, ['ok'])
  })

  it('ends a run at its timeout with error timeout', async () => {
    const host = new AgentHost([{
      name: 'slow',
      runner: new FunctionRunner(async (_input, { signal }) => await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }) })),
      expose: 'mesh',
      concurrency: 1,
      timeout: 60_000
    }], { maxQueue: 1, maxQueuePerCaller: 1 })
    const adm = host.admit({ agent: 'slow', input: bytes(''), caller: 'c', remote: true, timeout: 100 })
    assert.equal(adm.status, 'accepted')
    if (adm.status !== 'accepted') return
    let next = await adm.frames.next()
    while (next.done !== true) next = await adm.frames.next()
    assert.equal(next.value.ok, false)
    assert.equal(next.value.error, 'timeout')
    assert.deepEqual(host.load('slow'), { concurrency: 1, running: 0, queued: 0 })
  })

  it('splits output into frames of at most 64 KiB', async () => {
    const big = new Uint8Array(150 * 1024).fill(7)
    const host = new AgentHost([{ name: 'big', runner: new FunctionRunner(async () => big), expose: 'mesh', concurrency: 1, timeout: 1000 }], { maxQueue: 0, maxQueuePerCaller: 1 })
    const adm = host.admit({ agent: 'big', input: bytes(''), caller: 'c', remote: false, timeout: 1000 })
    if (adm.status !== 'accepted') throw new Error('not accepted')
    const sizes: number[] = []
    let next = await adm.frames.next()
    while (next.done !== true) {
      sizes.push(next.value.byteLength)
      next = await adm.frames.next()
    }
    assert.deepEqual(sizes, [65536, 65536, 22528])
    assert.equal(next.value.frames, 3)
  })

  it('gives the slot back when an accepted run is abandoned before it starts', async () => {
    const host = new AgentHost([{ name: 'a', runner: new FunctionRunner(async () => 'x'), expose: 'mesh', concurrency: 1, timeout: 1000 }], { maxQueue: 1, maxQueuePerCaller: 1 })
    const controller = new AbortController()
    const adm = host.admit({ agent: 'a', input: bytes(''), caller: 'c', remote: true, timeout: 1000, signal: controller.signal })
    assert.equal(adm.status, 'accepted')
    controller.abort()
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual(host.load('a'), { concurrency: 1, running: 0, queued: 0 })
  })
})
