import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { pbStream } from '@libp2p/utils'
import { MAX_QUERY_TEXT_LENGTH, QueryRequest, QueryResponse, RunMessage, RunRequest, RunStatus } from '@overmind/protocols'
import { agents } from '../src/agents.js'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import type { Stream } from '@libp2p/interface'
import type { AgentFunction } from '@overmind/agents'
import type { OvermindNode } from '@overmind/node'

/** Waits, silent, until its run is cancelled */
const waiter: AgentFunction = async function * (_input, { signal }) {
  await new Promise<void>((_resolve, reject) => {
    signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true })
  })
  yield ''
}

/** The unsigned varint of 2^63: a length prefix no message of ours may have */
const PREFIX_2_63 = new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])

describe('hostile streams', () => {
  const psk = meshKey()
  let host: OvermindNode
  let caller: OvermindNode

  beforeAll(async () => {
    host = await startTestNode({
      psk,
      memory: true,
      agentFunctions: { waiter },
      config: config => { config.agents = agents([{ name: 'echo', runner: 'builtin', builtin: 'echo' }, { name: 'waiter', runner: 'builtin', builtin: 'waiter' }]) }
    })
    caller = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(host)] })
    await waitFor(() => caller.libp2p.services.runAgent.agents().some(a => a.name === 'echo'), { message: 'the caller to hear of the echo agent' })
  })

  afterAll(async () => {
    await Promise.all([host, caller].map(async n => n?.stop()))
  })

  /**
   * Opens a stream that announces a 2^63 byte message and sends nothing
   * more, then makes an honest exchange of the same protocol on the same
   * connection: by the time it is over, the host has reset the first stream
   * (it would otherwise hold it until its read deadline, 10 s or more)
   */
  async function refusedBeforeAnHonestExchange (protocol: string, honest: () => Promise<unknown>): Promise<void> {
    const stream: Stream = await caller.libp2p.dialProtocol(host.libp2p.peerId, protocol, { runOnLimitedConnection: true })
    stream.send(PREFIX_2_63)
    await honest()
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(stream.status, 'reset', `the ${protocol} stream is ${stream.status} after an honest exchange that began after it`)
    assert.equal(host.libp2p.status, 'started')
  }

  it('run-agent: the host resets the stream at once and runs the next request', async () => {
    await refusedBeforeAnHonestExchange(host.libp2p.services.runAgent.protocol, async () => {
      const outcome = await caller.libp2p.services.runAgent.run('echo', new TextEncoder().encode('still here'), { node: host.peerId })
      assert.equal(outcome.host, host.peerId)
    })
  })

  it('memory-sync: the responder resets the stream at once and answers the next pull', async () => {
    await refusedBeforeAnHonestExchange(host.libp2p.services.memorySync!.protocol, async () => {
      await caller.libp2p.services.memorySync!.pull(host.libp2p.peerId)
    })
  })

  it('memory-query: the responder resets the stream at once and answers the next query', async () => {
    await refusedBeforeAnHonestExchange(host.libp2p.services.memoryQuery!.protocol, async () => {
      const { peers } = await caller.libp2p.services.memoryQuery!.search({ text: 'anything' })
      assert.deepEqual(peers.map(p => [p.peer, p.ok]), [[host.peerId, true]])
    })
  })

  /** A raw memory-query to the host: what any member could send */
  async function query (request: Partial<QueryRequest>): Promise<QueryResponse> {
    const stream = await caller.libp2p.dialProtocol(host.libp2p.peerId, host.libp2p.services.memoryQuery!.protocol)
    const pb = pbStream(stream)
    await pb.write({ text: 'anything', k: 5, tags: [], agent: '', authors: [], since: 0n, until: 0n, ...request }, QueryRequest)
    const response = await pb.read(QueryResponse)
    await stream.close()
    return response
  }

  it('memory-query: answers a request it cannot serve with a fixed error, never its decoder\'s words', async () => {
    // a multihash that announces 0x99 bytes of digest and carries two
    assert.deepEqual(await query({ authors: [Uint8Array.of(0x12, 0x99, 0x01, 0x02)] }), { results: [], error: 'bad-request' })
    assert.deepEqual(await query({ text: 'x'.repeat(MAX_QUERY_TEXT_LENGTH + 1) }), { results: [], error: 'text-too-long' })
    // the same peer's next query is answered
    assert.equal((await query({ text: 'anything' })).error, '')
  })

  it('run-agent: a second request on a run\'s stream resets it and ends the run', async () => {
    const stream = await caller.libp2p.dialProtocol(host.libp2p.peerId, host.libp2p.services.runAgent.protocol)
    const pb = pbStream(stream)
    const request = (): RunRequest => ({ requestId: crypto.getRandomValues(new Uint8Array(16)), agent: 'waiter', input: new Uint8Array(0), timeoutMs: 60_000, callerAgent: '', skill: '', key: '', progress: false })
    await pb.write(request(), RunRequest)
    assert.equal((await pb.read(RunMessage)).answer?.status, RunStatus.ACCEPTED)
    const running = (): number => host.libp2p.services.runAgent.runs().active.filter(r => r.agent === 'waiter').length
    assert.equal(running(), 1)
    await pb.write(request(), RunRequest)
    // no result, no answer to the second request: the stream ends in a reset
    await assert.rejects(pb.read(RunMessage), (err: Error) => {
      assert.equal(stream.status, 'reset', `${err.name}: ${err.message}`)
      return true
    })
    await waitFor(() => running() === 0, { message: 'the run to end on the host' })
    assert.equal(host.libp2p.status, 'started')
  })

  it('run-agent: a request naming both an agent and a skill, or neither, or with a key over its limit, is a bad request; a skill the host lacks is an unknown agent', async () => {
    const answer = async (fields: Partial<RunRequest>): Promise<string | undefined> => {
      const stream = await caller.libp2p.dialProtocol(host.libp2p.peerId, host.libp2p.services.runAgent.protocol)
      const pb = pbStream(stream)
      await pb.write({ requestId: crypto.getRandomValues(new Uint8Array(16)), agent: '', input: new Uint8Array(0), timeoutMs: 10_000, callerAgent: '', skill: '', key: '', progress: false, ...fields }, RunRequest)
      const first = await pb.read(RunMessage)
      await stream.close().catch(() => {})
      return first.answer?.status === RunStatus.REFUSED ? first.answer.reason : String(first.answer?.status)
    }
    assert.equal(await answer({ agent: 'waiter', skill: 'waiting' }), 'bad-request')
    assert.equal(await answer({}), 'bad-request')
    assert.equal(await answer({ skill: 'juggling' }), 'unknown-agent')
    // a run's key is at most 128 bytes
    assert.equal(await answer({ agent: 'waiter', key: 'k'.repeat(129) }), 'bad-request')
    assert.equal(host.libp2p.status, 'started')
  })
})
