import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { callOperation } from '@overmind/api'
import { lpStream } from '@libp2p/utils'
import { DELEGATE_PROTOCOL, verifyPackage } from '@overmind/node'
import { DelegateMessage, SignedAgentPackage } from '@overmind/protocols'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { agents } from '../src/agents.js'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import type { AgentPackageView, DelegationView } from '@overmind/api'
import type { OvermindNode } from '@overmind/node'

describe('agent mobility: a node lends an agent to a peer for a time', () => {
  const psk = meshKey()
  let home: OvermindNode
  let peer: OvermindNode
  let caller: OvermindNode
  let keyed: OvermindNode
  // an OpenAI-compatible endpoint that answers with the bearer token it was called with
  const endpoint = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ choices: [{ message: { content: `called with ${req.headers.authorization ?? 'no key'}` } }] }))
    })
  })
  let origin: string

  const run = async (from: OvermindNode, input: string): Promise<{ output: string, host: string }> =>
    await callOperation(from, 'agent.run', { agent: 'scribe', input, deadline: 20_000 }) as { output: string, host: string }
  const hostOf = (from: OvermindNode): string[] => from.runs.agents().filter(a => a.name === 'scribe').map(a => a.host)
  const texts = async (node: OvermindNode, zone: 'shared' | 'federation'): Promise<string[]> => {
    const found: string[] = []
    for await (const chunk of node.memory!.chunks({ zone, agent: 'scribe' })) found.push(chunk.text)
    return found
  }

  beforeAll(async () => {
    await new Promise<void>(resolve => endpoint.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(endpoint.address() as { port: number }).port}`
    home = await startTestNode({
      psk,
      memory: true,
      config: config => {
        config.agents = agents([
          { name: 'scribe', runner: 'builtin', builtin: 'echo', skills: ['notes'], description: 'Writes things down.' },
          { name: 'shell', runner: 'command', command: ['true'] },
          { name: 'writer', runner: 'http', url: `${origin}/v1`, model: 'any', apiKey: 'home-secret' }
        ])
      }
    })
    peer = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(home)], config: config => { config.delegation.accept = true } })
    caller = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(home)] })
    keyed = await startTestNode({ psk, bootstrap: [tcpAddress(home)], config: config => { config.delegation.accept = true; config.delegation.keys = { [origin]: 'keyed-secret' } } })
    await waitFor(() => hostOf(caller).includes(home.peerId) || undefined, { timeout: 20_000, message: 'the caller to see the scribe on its home' })
    await waitFor(() => peer.libp2p.getConnections(home.libp2p.peerId).length > 0 || undefined, { timeout: 10_000, message: 'home and peer to connect' })
    await home.memory!.put({ text: 'the scribe keeps the minutes of every meeting', zone: 'shared', agent: 'scribe' })
    await home.memory!.put({ text: 'minutes are filed under the meeting date', zone: 'federation', agent: 'scribe' })
    await home.memory!.put({ text: 'the scribe private shorthand', zone: 'private', agent: 'scribe' })
  })

  afterAll(async () => {
    await Promise.all([home, peer, caller, keyed].filter(n => n != null).map(async n => { await n.stop() }))
    endpoint.close()
  })

  it('exports a package signed by its node, with the agent\'s shared and federation chunks and never its private ones', async () => {
    const pkg = await callOperation(home, 'agent.export', { name: 'scribe' }) as unknown as AgentPackageView
    assert.equal(pkg.node, home.peerId)
    assert.deepEqual([pkg.agent.name, pkg.agent.runner, pkg.agent.skills], ['scribe', 'builtin', ['notes']])
    assert.deepEqual(pkg.memory.map(c => c.zone).sort(), ['federation', 'shared'])
    assert.ok(!pkg.memory.some(c => c.text.includes('shorthand')))
    const signed = SignedAgentPackage.decode(uint8ArrayFromString(pkg.signed, 'base64'))
    assert.equal(verifyPackage(signed).agent?.name, 'scribe')
    // one changed byte, and the signature is not the node's
    const tampered = signed.package.slice()
    tampered[tampered.length - 1] ^= 1
    assert.throws(() => verifyPackage({ package: tampered, signature: signed.signature }), { name: 'DelegationError' })
    await assert.rejects(callOperation(home, 'agent.export', { name: 'nobody' }), { name: 'DelegationError' })
  })

  it('is refused by a node whose config does not allow it, and for a runner the peer does not take', async () => {
    await assert.rejects(callOperation(home, 'agent.delegate', { name: 'scribe', to: caller.peerId, duration: 60_000 }), /not-allowed/)
    await assert.rejects(callOperation(home, 'agent.delegate', { name: 'shell', to: peer.peerId, duration: 60_000 }), /runner-not-allowed/)
    assert.ok(hostOf(caller).includes(home.peerId), 'the scribe stays at home')
  })

  it('runs on the peer for its period, then leaves it, with what it wrote there back home', async () => {
    const lent = await callOperation(home, 'agent.delegate', { name: 'scribe', to: peer.peerId, duration: 8_000 }) as unknown as DelegationView
    assert.equal(lent.state, 'lent')
    // offered by the peer only: runs from any node, its home too, go there
    await waitFor(() => { const hosts = hostOf(caller); return hosts.length === 1 && hosts[0] === peer.peerId ? true : undefined }, { timeout: 15_000, message: () => `the caller to see the scribe on the peer only: ${JSON.stringify(hostOf(caller))}` })
    assert.equal((await run(caller, 'from the caller')).host, peer.peerId)
    assert.equal((await run(home, 'from home')).host, peer.peerId)
    assert.deepEqual(await callOperation(caller, 'agent.run', { skill: 'notes', input: 'by skill', deadline: 20_000 }).then(r => [r.output, r.host]), ['by skill', peer.peerId])
    // the package's shared chunk is the peer's to read now; the agent writes there
    assert.ok((await texts(peer, 'shared')).includes('the scribe keeps the minutes of every meeting'))
    await peer.memory!.put({ text: 'the board met on the peer and chose a new chair', zone: 'shared', agent: 'scribe' })
    await peer.memory!.put({ text: 'a federated note the scribe wrote away from home', zone: 'federation', agent: 'scribe' })
    const incoming = (await callOperation(peer, 'agent.delegations', {}) as { incoming: DelegationView[] }).incoming
    assert.deepEqual(incoming.map(d => [d.agent, d.peer, d.state]), [['scribe', home.peerId, 'hosting']])

    const back = await waitFor(async () => {
      const { outgoing } = await callOperation(home, 'agent.delegations', {}) as { outgoing: DelegationView[] }
      return outgoing.find(d => d.agent === 'scribe' && d.state === 'back')
    }, { timeout: 30_000, message: 'the scribe to come back' })
    assert.deepEqual([back.returned, back.stored], [2, 1], 'two chunks written on the peer came back; the shared one is stored at home, the federation one replicates')
    assert.equal(peer.runs.host.get('scribe'), undefined, 'gone from the peer')
    assert.deepEqual((await callOperation(peer, 'agent.delegations', {}) as { incoming: unknown[] }).incoming, [])
    assert.ok((await texts(home, 'shared')).includes('the board met on the peer and chose a new chair'))
    await waitFor(async () => (await texts(home, 'federation')).includes('a federated note the scribe wrote away from home') || undefined, { timeout: 15_000, message: 'the federation chunk to reach home' })
    await waitFor(() => { const hosts = hostOf(caller); return hosts.length === 1 && hosts[0] === home.peerId ? true : undefined }, { timeout: 15_000, message: () => `the scribe to be offered at home again: ${JSON.stringify(hostOf(caller))}` })
    assert.equal((await run(caller, 'home again')).host, home.peerId)
  })

  it('takes a lent agent back before its time with recall', async () => {
    await callOperation(home, 'agent.delegate', { name: 'scribe', to: peer.peerId, duration: 3_600_000 })
    assert.ok(peer.runs.host.get('scribe') != null)
    await assert.rejects(callOperation(home, 'agent.delegate', { name: 'scribe', to: peer.peerId, duration: 60_000 }), /already lent/)
    const back = await callOperation(home, 'agent.recall', { name: 'scribe' }) as unknown as DelegationView
    assert.equal(back.state, 'back')
    assert.equal(peer.runs.host.get('scribe'), undefined)
    assert.equal(home.runs.host.isSuspended('scribe'), false)
  })

  it('refuses a replayed package, a return for an agent it did not lend, and garbage, and keeps serving', async () => {
    const exchange = async (from: OvermindNode, to: OvermindNode, message: Partial<DelegateMessage>): Promise<DelegateMessage> => {
      const stream = await from.libp2p.dialProtocol(to.libp2p.peerId, DELEGATE_PROTOCOL)
      const lp = lpStream(stream)
      await lp.write(DelegateMessage.encode(message as DelegateMessage))
      const answer = DelegateMessage.decode(await lp.read())
      await stream.close().catch(() => {})
      return answer
    }
    // the home's own package, sent by another node: not that node's to lend
    const pkg = await callOperation(home, 'agent.export', { name: 'scribe' }) as unknown as AgentPackageView
    const replayed = await exchange(caller, peer, { request: { package: SignedAgentPackage.decode(uint8ArrayFromString(pkg.signed, 'base64')), durationMs: 60_000n } })
    assert.deepEqual([replayed.answer?.accepted, replayed.answer?.reason], [false, 'bad-package'])
    assert.equal(peer.runs.host.get('scribe'), undefined)
    // a return of an agent the home never lent to this node
    const stray = await exchange(caller, home, { returned: { agent: 'scribe', memory: [{ id: 'x', text: 'planted', tags: [], zone: 'shared', createdAt: 1n, confidence: 1, salience: 1 }], done: true } })
    assert.deepEqual([stray.answer?.accepted, stray.answer?.reason], [false, 'unknown-agent'])
    assert.ok(!(await texts(home, 'shared')).includes('planted'))
    // bytes that are no message: the stream ends, the node goes on
    const stream = await caller.libp2p.dialProtocol(peer.libp2p.peerId, DELEGATE_PROTOCOL)
    await lpStream(stream).write(Uint8Array.of(0xff, 0xff, 0xff, 0xff))
    await waitFor(() => stream.status !== 'open' || undefined, { timeout: 10_000, message: 'the garbage stream to end' })
    assert.equal(peer.libp2p.status, 'started')
    const again = await callOperation(home, 'agent.delegate', { name: 'scribe', to: peer.peerId, duration: 60_000 }) as unknown as DelegationView
    assert.equal(again.state, 'lent')
    await callOperation(home, 'agent.recall', { name: 'scribe' })
  })
  it('lends an http agent without its API key: a peer with no key of its own refuses it, one with a key calls the endpoint with that key', async () => {
    const pkg = await callOperation(home, 'agent.export', { name: 'writer' }) as unknown as AgentPackageView
    assert.ok(!Buffer.from(pkg.signed, 'base64').includes('home-secret'), 'the package holds no key')
    assert.equal(verifyPackage(SignedAgentPackage.decode(uint8ArrayFromString(pkg.signed, 'base64'))).agent?.needsKey, true)
    await assert.rejects(callOperation(home, 'agent.delegate', { name: 'writer', to: peer.peerId, duration: 60_000 }), (err: Error) => /no-key/.test(err.message) && err.message.includes(`delegation.keys["${origin}"]`))
    assert.equal(peer.runs.host.get('writer'), undefined)
    const lent = await callOperation(home, 'agent.delegate', { name: 'writer', to: keyed.peerId, duration: 60_000 }) as unknown as DelegationView
    assert.equal(lent.state, 'lent')
    await waitFor(() => caller.runs.agents().some(a => a.name === 'writer' && a.host === keyed.peerId) || undefined, { timeout: 15_000, message: 'the caller to see the writer on the keyed peer' })
    const ran = await callOperation(caller, 'agent.run', { agent: 'writer', input: 'draft it', deadline: 20_000 }) as { output: string, host: string }
    assert.deepEqual([ran.host, ran.output], [keyed.peerId, 'called with Bearer keyed-secret'])
    await callOperation(home, 'agent.recall', { name: 'writer' })
    const back = await callOperation(caller, 'agent.run', { agent: 'writer', input: 'at home', node: home.peerId, deadline: 20_000 }) as { output: string, host: string }
    assert.deepEqual([back.host, back.output], [home.peerId, 'called with Bearer home-secret'])
  })
})
