import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { signChunk } from '@overmind/memory'
import { Zone } from '@overmind/protocols'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import type { PrivateKey } from '@libp2p/interface'
import type { OvermindNode } from '@overmind/node'

const DEADLINE = 1_500

/**
 * Chunks by an author outside the mesh, handed to one node only: no node
 * gossips what it did not write, and anti-entropy is slowed right down, so
 * only federated search can find them elsewhere
 */
async function holdOnly (node: OvermindNode, key: PrivateKey, texts: string[]): Promise<string[]> {
  const author = peerIdFromPrivateKey(key)
  const entries = []
  let seq = BigInt(Math.floor(Math.random() * 1e9))
  for (const text of texts) {
    const chunk = await signChunk({
      author: author.toMultihash().bytes,
      agent: 'scout',
      zone: Zone.FEDERATION,
      text,
      tags: ['field-notes'],
      hlcWallTime: BigInt(Date.now()),
      hlcLogical: 0,
      seq: seq++
    }, key)
    entries.push(chunk)
  }
  const result = await node.memory!.ingest(entries.map(e => e.signed))
  assert.equal(result.stored, texts.length)
  return entries.map(e => e.id)
}

describe('federated search', () => {
  const nodes: OvermindNode[] = []
  let a: OvermindNode
  let b: OvermindNode
  let c: OvermindNode
  let hung: OvermindNode
  let dead: OvermindNode
  let onB: string[]
  let onC: string[]

  beforeAll(async () => {
    const psk = meshKey()
    const start = async (bootstrap: string[]): Promise<OvermindNode> => {
      const node = await startTestNode({ psk, bootstrap, memory: true, config: c => { c.memory.syncInterval = 3_600_000; c.memory.queryDeadline = DEADLINE } })
      nodes.push(node)
      return node
    }
    a = await start([])
    b = await start([tcpAddress(a)])
    c = await start([tcpAddress(a)])
    hung = await start([tcpAddress(a)])
    dead = await start([tcpAddress(a)])
    await waitFor(() => [b, c, hung, dead].every(n => a.libp2p.getConnections(n.libp2p.peerId).length > 0), { message: 'a to connect to the others' })
    const outsider = await generateKeyPair('Ed25519')
    onB = await holdOnly(b, outsider, ['the tide gauge at pier 4 drifts two centimetres a week', 'recalibrate the tide gauge after storms'])
    onC = await holdOnly(c, outsider, ['the tide tables for the north harbour are off by ten minutes'])
    // one peer takes the query and never answers
    const protocol = a.libp2p.services.memoryQuery!.protocol
    await hung.libp2p.unhandle(protocol)
    await hung.libp2p.handle(protocol, () => {})
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('finds what only other nodes hold, with the node that answered as provenance', async () => {
    assert.equal(a.memory!.holds(onB[0]), false)
    const { results, peers } = await a.libp2p.services.memoryQuery!.search({ text: 'tide gauge', k: 5 }, { peers: [b.libp2p.peerId, c.libp2p.peerId] })
    assert.deepEqual(peers.map(p => p.ok), [true, true])
    const byId = new Map(results.map(r => [r.id, r]))
    assert.equal(byId.get(onB[0])?.node, b.peerId)
    assert.equal(byId.get(onB[0])?.agent, 'scout')
    assert.equal(byId.get(onC[0])?.node, c.peerId)
    assert.ok(results.every(r => r.score > 0))
  })

  // a dead peer fails at once: with a deadline of a minute the search still ends within the test's bound
  it('returns the other peers\' results before the deadline when one peer is dead', { timeout: 15_000 }, async () => {
    const peers = [b, c, dead].map(n => n.libp2p.peerId)
    await dead.stop()
    const started = Date.now()
    const found = await a.libp2p.services.memoryQuery!.search({ text: 'tide gauge', k: 5 }, { peers, deadline: 60_000 })
    const took = Date.now() - started
    process.stdout.write(`# federated search with a dead peer answered in ${took} ms (deadline 60000 ms)\n`)
    const ids = found.results.map(r => r.id)
    assert.ok(ids.includes(onB[0]) && ids.includes(onC[0]), `results ${ids.join(', ')}`)
    assert.deepEqual(found.peers.map(p => [p.peer, p.ok]), [[b.peerId, true], [c.peerId, true], [dead.peerId, false]])
    assert.ok(found.peers[2].error != null && found.peers[2].error !== 'deadline', found.peers[2].error)
  })

  it('returns the healthy peers\' results at the deadline when one peer hangs', { timeout: DEADLINE + 10_000 }, async () => {
    const peers = [b, c, hung].map(n => n.libp2p.peerId)
    const started = Date.now()
    const found = await a.libp2p.services.memoryQuery!.search({ text: 'tide gauge', k: 5 }, { peers })
    const took = Date.now() - started
    process.stdout.write(`# federated search with a hung peer answered in ${took} ms (deadline ${DEADLINE} ms)\n`)
    const ids = found.results.map(r => r.id)
    assert.ok(ids.includes(onB[0]) && ids.includes(onC[0]), `results ${ids.join(', ')}`)
    assert.deepEqual(found.peers.map(p => [p.peer, p.ok, p.error]), [[b.peerId, true, undefined], [c.peerId, true, undefined], [hung.peerId, false, 'deadline']])
  })
})
