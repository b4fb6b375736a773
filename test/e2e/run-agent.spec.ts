import assert from 'node:assert/strict'
import { readFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { skillCid } from '@overmind/agents'
import { agents } from '../src/agents.js'
import { gater, meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { alive, delay, waitFor } from '../src/wait.js'
import type { AgentFunction } from '@overmind/agents'
import type { OvermindNode } from '@overmind/node'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Writes parts with a pause between them */
const ticker: AgentFunction = async function * (input) {
  for (let i = 1; i <= 5; i++) {
    yield `${text(input)} ${i}\n`
    await delay(150)
  }
}

describe('run_agent across a 5-node mesh', () => {
  const psk = meshKey()
  const nodes: OvermindNode[] = []
  let keepAwayFromC = true
  let cPeer = ''
  let scratch = ''

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'run-agent-'))
    const common = (config: any): void => {
      config.discovery.targetPeers = 2
      config.runs.provideInterval = 5_000
    }
    // A, B, C, D, E in a line: each bootstraps from the one before
    const a = await startTestNode({
      psk,
      config: common,
      // A may not connect to C until the test lets it
      libp2p: { connectionGater: gater(peer => keepAwayFromC && peer.toString() === cPeer) }
    })
    nodes.push(a)
    const b = await startTestNode({ psk, config: common, bootstrap: [tcpAddress(a)] })
    nodes.push(b)
    const c = await startTestNode({
      psk,
      bootstrap: [tcpAddress(b)],
      agentFunctions: { ticker },
      libp2p: { connectionGater: gater(peer => keepAwayFromC && peer.equals(a.libp2p.peerId)) },
      config: config => {
        common(config)
        config.agents = agents([
          { name: 'scribe', runner: 'builtin', builtin: 'ticker', concurrency: 2, skills: ['transcribe'] },
          { name: 'sleeper', runner: 'command', command: ['sh', '-c', `sleep 60 & echo $! >> ${join(scratch, 'pids')}; echo $$ >> ${join(scratch, 'pids')}; echo started; wait`] },
          { name: 'private-tool', runner: 'builtin', builtin: 'echo', expose: 'local' }
        ])
      }
    })
    cPeer = c.peerId
    nodes.push(c)
    const d = await startTestNode({ psk, config: common, bootstrap: [tcpAddress(c)] })
    nodes.push(d)
    nodes.push(await startTestNode({ psk, config: common, bootstrap: [tcpAddress(d)] }))
    // A hears of C's agents through gossip relayed by the others
    await waitFor(() => a.libp2p.services.runAgent.agents().some(x => x.name === 'scribe' && x.host === cPeer), { timeout: 20_000, message: 'A never heard of scribe on C' })
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
    await rm(scratch, { recursive: true, force: true })
  })

  it('runs an agent hosted only on C from A, which is not connected to C, with output in order as it comes', async () => {
    const [a] = nodes
    assert.equal(a.libp2p.getConnections(nodes[2].libp2p.peerId).length, 0, 'A starts without a connection to C')
    const listed = a.libp2p.services.runAgent.agents().find(x => x.name === 'scribe')
    assert.equal(listed?.host, cPeer)
    assert.equal(listed?.freeSlots, 2)
    keepAwayFromC = false
    const frames: Array<{ text: string, at: number }> = []
    const started = Date.now()
    const outcome = await a.libp2p.services.runAgent.run('scribe', bytes('tick'), {
      deadline: 20_000,
      onOutput: data => { frames.push({ text: text(data), at: Date.now() }) }
    })
    assert.equal(outcome.host, cPeer)
    assert.equal(frames.map(f => f.text).join(''), 'tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n')
    assert.equal(frames.length, 5, 'one frame per part the agent wrote')
    // streamed: the first frame came while the agent was still writing (4 pauses of 150 ms follow it)
    assert.ok(frames[4].at - frames[0].at >= 400, `frames arrived ${frames.map(f => f.at - started).join(', ')} ms after the start`)
  })

  it('finds C as a host of the agent in the DHT', async () => {
    const e = nodes[4]
    const providers = await waitFor(async () => {
      const found = await e.libp2p.services.runAgent.providers('scribe')
      return found.includes(cPeer) ? found : undefined
    }, { timeout: 30_000, interval: 1_000, message: 'E never found C in the DHT provider records of scribe' })
    assert.ok(providers.includes(cPeer))
  })

  it('finds C as a host of a skill in the DHT, and C runs its agent with that skill when asked by the skill alone (pinned)', async () => {
    const e = nodes[4]
    const cid = await skillCid(e.mesh, 'transcribe')
    await waitFor(async () => {
      for await (const provider of e.libp2p.contentRouting.findProviders(cid, { signal: AbortSignal.timeout(5_000) })) {
        if (provider.id.toString() === cPeer) return true
      }
      return undefined
    }, { timeout: 30_000, interval: 1_000, message: 'E never found C in the DHT provider records of the skill' })
    // as a caller that found C in the DHT only would ask it: pinned to C, by the skill
    const out: string[] = []
    const outcome = await e.libp2p.services.runAgent.run({ skill: 'transcribe' }, bytes('tock'), { node: cPeer, deadline: 20_000, onOutput: d => { out.push(text(d)) } })
    assert.equal(outcome.host, cPeer)
    assert.equal(out.join(''), 'tock 1\ntock 2\ntock 3\ntock 4\ntock 5\n')
  })

  it('fails fast with AgentNotFoundError for an agent that exists nowhere', async () => {
    // the DHT lookup is bounded by runs.lookupTimeout (3 s): a lookup that ran into
    // the deadline would end in DeadlineExceededError instead
    await assert.rejects(nodes[0].libp2p.services.runAgent.run('nowhere', bytes(''), { deadline: 10_000 }), { name: 'AgentNotFoundError' })
  })

  it('refuses a local-only agent to other nodes and runs it for its own node', async () => {
    const [a, , c] = nodes
    await assert.rejects(a.libp2p.services.runAgent.run('private-tool', bytes('x'), { node: cPeer, deadline: 10_000 }), (err: any) => {
      assert.equal(err.name, 'RunRefusedError')
      assert.equal(err.reason, 'not-exposed')
      return true
    })
    // it is not announced either, so routing without a pinned host does not find it
    await assert.rejects(a.libp2p.services.runAgent.run('private-tool', bytes('x'), { deadline: 10_000 }), { name: 'AgentNotFoundError' })
    const out: string[] = []
    const outcome = await c.libp2p.services.runAgent.run('private-tool', bytes('mine'), { onOutput: d => { out.push(text(d)) } })
    assert.equal(outcome.host, cPeer)
    assert.equal(out.join(''), 'mine')
  })

  it('kills the remote command and its children when the caller cancels', async () => {
    const [a] = nodes
    const controller = new AbortController()
    const out: string[] = []
    const run = a.libp2p.services.runAgent.run('sleeper', bytes(''), { signal: controller.signal, deadline: 60_000, onOutput: d => { out.push(text(d)) } })
    const pids = await waitFor(async () => {
      const ids = (await readFile(join(scratch, 'pids'), 'utf8').catch(() => '')).trim().split('\n').filter(x => x !== '').map(Number)
      return ids.length >= 2 && out.join('').includes('started') ? ids : undefined
    }, { timeout: 10_000, message: 'the command never started on C' })
    assert.ok(pids.every(alive))
    controller.abort(new Error('the user pressed ctrl-c'))
    await assert.rejects(run, { name: 'RunCancelledError' })
    await waitFor(() => pids.every(pid => !alive(pid)), { timeout: 10_000, message: () => `processes still alive: ${pids.filter(alive).join(', ')}` })
    await waitFor(() => nodes[2].libp2p.services.runAgent.host.active === 0 ? true : undefined, { timeout: 5_000, message: 'C still counts the run as active' })
  })
})
