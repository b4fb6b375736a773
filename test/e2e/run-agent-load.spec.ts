import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { agents } from '../src/agents.js'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import type { TestNodeOptions } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { RunAnsweredEvent } from '@overmind/agents'
import type { OvermindNode } from '@overmind/node'

const CONCURRENCY = 2
const MAX_QUEUE = 8
const PER_CALLER = 4
const RUN_MS = 400

interface Sent { caller: string, ok: boolean, error?: string, message?: string, settledAt: number }

/** A node hosting `work` (RUN_MS a run) with CONCURRENCY slots and a queue of MAX_QUEUE, `perCaller` of it for one caller */
async function startHost (psk: Uint8Array, perCaller: number, libp2p?: TestNodeOptions['libp2p']): Promise<OvermindNode> {
  return await startTestNode({
    psk,
    agentFunctions: { work: async (input) => { await delay(RUN_MS); return input } },
    config: c => {
      c.runs.maxQueue = MAX_QUEUE
      c.runs.maxQueuePerCaller = perCaller
      c.agents = agents([{ name: 'work', runner: 'builtin', builtin: 'work', concurrency: CONCURRENCY }])
    },
    libp2p
  })
}

/** `count` runs of `work` on `host` from `from`, all at once */
function flood (from: OvermindNode, host: OvermindNode, name: string, count: number): Array<Promise<Sent>> {
  return Array.from({ length: count }, async (_, i) => {
    try {
      await from.libp2p.services.runAgent.run('work', new TextEncoder().encode(`${name}-${i}`), { node: host.peerId, deadline: 60_000 })
      return { caller: name, ok: true, settledAt: Date.now() }
    } catch (err: any) {
      return { caller: name, ok: false, error: err.name, message: err.message, settledAt: Date.now() }
    }
  })
}

describe('run_agent under overload', () => {
  const psk = meshKey()
  let host: OvermindNode
  let x: OvermindNode
  let y: OvermindNode
  let peak = { queued: 0, active: 0 }
  let sampler: ReturnType<typeof setInterval> | undefined

  beforeAll(async () => {
    host = await startHost(psk, PER_CALLER)
    x = await startTestNode({ psk, bootstrap: [tcpAddress(host)] })
    y = await startTestNode({ psk, bootstrap: [tcpAddress(host)] })
    await waitFor(() => [x, y].every(n => n.libp2p.getConnections(host.libp2p.peerId).length > 0), { timeout: 10_000 })
    const service = host.libp2p.services.runAgent
    sampler = setInterval(() => {
      peak = { queued: Math.max(peak.queued, service.host.queueDepth), active: Math.max(peak.active, service.host.active) }
    }, 5)
  })

  afterAll(async () => {
    clearInterval(sampler)
    await Promise.all([host, x, y].map(async n => { await n?.stop() }))
  })

  it('answers 10× its capacity at once with accepted or busy, completes every accepted run and shares the queue fairly', async () => {
    const answered: RunAnsweredEvent[] = []
    host.libp2p.services.runAgent.addEventListener('run:answered', evt => { answered.push(evt.detail) })
    // capacity: 2 running + 8 waiting; two callers send 50 each, all at once
    const sent = Promise.all([...flood(x, host, 'x', 50), ...flood(y, host, 'y', 50)])
    // the host's load reaches the callers in its next heartbeats
    const seen = await waitFor(() => {
      const advert = x.libp2p.services.runAgent.agents().find(a => a.name === 'work' && a.host === host.peerId)
      return advert != null && advert.freeSlots === 0 && advert.queueDepth > 0 ? advert : undefined
    }, { timeout: 5_000, message: 'X never saw the host busy in a heartbeat' })
    assert.ok(seen.queueDepth <= MAX_QUEUE)
    const results = await sent
    const accepted = results.filter(r => r.ok)
    const busy = results.filter(r => !r.ok)
    const others = [...new Set(busy.filter(r => r.error !== 'AllHostsBusyError').map(r => `${r.error}: ${r.message}`))]
    assert.deepEqual(others, [], 'every refusal is a busy answer')
    assert.ok(accepted.length >= CONCURRENCY + MAX_QUEUE - 1 && accepted.length <= CONCURRENCY + MAX_QUEUE + CONCURRENCY, `${accepted.length} accepted`)
    // busy only when full: the host decided each busy answer with every slot taken and its queue,
    // or the caller's share of it, full (and answered at once: admission never waits)
    await waitFor(() => answered.filter(a => a.status === 'busy').length >= busy.length, { timeout: 5_000, message: 'the host to count every busy answer' })
    const busyAnswers = answered.filter(a => a.status === 'busy')
    assert.equal(busyAnswers.length, busy.length, 'the host counted every busy answer')
    const early = busyAnswers.filter(a => a.running < CONCURRENCY || a.queued < PER_CALLER)
    assert.deepEqual(early, [], 'a busy answer while the host had room')
    // fair: neither caller takes the whole queue, and their runs are served in turns
    const perCaller = (name: string): number => accepted.filter(r => r.caller === name).length
    assert.ok(perCaller('x') >= PER_CALLER && perCaller('y') >= PER_CALLER, `x got ${perCaller('x')}, y got ${perCaller('y')}`)
    const order = accepted.sort((a, b) => a.settledAt - b.settledAt).map(r => r.caller).join('')
    assert.doesNotMatch(order, /x{5}|y{5}/, `completion order ${order}`)
    // bounded: the host never held more than its slots and its queue
    assert.ok(peak.active <= CONCURRENCY, `peak active ${peak.active}`)
    assert.ok(peak.queued <= MAX_QUEUE, `peak queued ${peak.queued}`)
    assert.ok(peak.queued >= MAX_QUEUE - 1, `the queue was used (peak ${peak.queued})`)
    await waitFor(() => host.libp2p.services.runAgent.host.queueDepth === 0 && host.libp2p.services.runAgent.host.active === 0 ? true : undefined, { timeout: 5_000 })
  })

  it('keeps room for a caller that comes after another\'s flood', async () => {
    const xs = flood(x, host, 'x', 30)
    await delay(100)
    const ys = await Promise.all(flood(y, host, 'y', 3))
    const xr = await Promise.all(xs)
    assert.equal(ys.filter(r => r.ok).length, 3, `the late caller got all its runs in: ${ys.filter(r => !r.ok).map(r => `${r.error}: ${r.message}`).join('; ')}`)
    const lastX = Math.max(...xr.filter(r => r.ok).map(r => r.settledAt))
    assert.ok(Math.max(...ys.map(r => r.settledAt)) <= lastX, 'the late caller did not wait behind the whole flood')
  })
})

describe('run_agent to a host still finishing the connection', () => {
  // the host takes a while after its stream muxer is up before it hands the
  // connection to libp2p, as a loaded host does: streams the caller opens
  // meanwhile wait as "early streams"
  const SLOW_UPGRADE_MS = 500
  const psk = meshKey()
  let host: OvermindNode
  let caller: OvermindNode

  beforeAll(async () => {
    host = await startHost(psk, MAX_QUEUE, { connectionGater: { denyInboundUpgradedConnection: async () => { await delay(SLOW_UPGRADE_MS); return false } } })
    caller = await startTestNode({ psk })
  })

  afterAll(async () => {
    await Promise.all([host, caller].map(async n => { await n?.stop() }))
  })

  it('answers every run of a burst sent before the host finished accepting the connection, on that connection', async () => {
    const connection = await caller.libp2p.dial(multiaddr(tcpAddress(host)))
    const results = await Promise.all(flood(caller, host, 'c', 30))
    const failed = results.filter(r => !r.ok && r.error !== 'AllHostsBusyError').map(r => `${r.error}: ${r.message}`)
    assert.deepEqual([...new Set(failed)], [], 'every run is accepted or answered busy')
    assert.ok(results.filter(r => r.ok).length >= CONCURRENCY, `${results.filter(r => r.ok).length} accepted`)
    assert.equal(connection.status, 'open', 'the connection the burst went over is still open')
  })
})
