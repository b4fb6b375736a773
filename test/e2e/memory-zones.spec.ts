import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { CID } from 'multiformats/cid'
import { meshKey, recordingMuxer, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import { meshStreamMuxer } from '@overmind/node'
import type { OvermindNode } from '@overmind/node'

describe('memory zones on the wire', () => {
  const wire: Uint8Array[] = []
  const nodes: OvermindNode[] = []
  let a: OvermindNode
  let b: OvermindNode
  let c: OvermindNode

  beforeAll(async () => {
    const psk = meshKey()
    const start = async (bootstrap: string[]): Promise<OvermindNode> => {
      const node = await startTestNode({ psk, bootstrap, memory: true, libp2p: { streamMuxers: [recordingMuxer(meshStreamMuxer(), data => { wire.push(data) })] } })
      nodes.push(node)
      return node
    }
    a = await start([])
    b = await start([tcpAddress(a)])
    c = await start([tcpAddress(a)])
    await waitFor(() => nodes.every(n => n.libp2p.getConnections().length >= 2), { message: 'three connected nodes' })
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('sends federation chunks to peers and nothing of the private or shared zone, whatever is stored and asked', async () => {
    const memory = a.memory!
    const secret = (i: number): string => `PRIVATE-MARKER-${i}-q7z secret runbook entry ${i} about the payroll database`
    const privateChunks = await memory.putMany(Array.from({ length: 200 }, (_, i) => ({ text: secret(i), zone: 'private' as const, agent: 'alice', tags: ['payroll'] })))
    const sharedChunks = await memory.putMany(Array.from({ length: 50 }, (_, i) => ({ text: `SHARED-MARKER-${i}-k3v local note ${i} about the payroll database`, zone: 'shared' as const })))
    const federation = await memory.putMany(Array.from({ length: 20 }, (_, i) => ({ text: `FEDERATION-MARKER-${i}-p9w public note ${i} about the payroll database`, zone: 'federation' as const })))

    // the private chunks are used every way a node can use them
    for (const chunk of privateChunks.slice(0, 20)) {
      await memory.feedback([chunk.id], true, { agent: 'alice' })
    }
    await memory.link(privateChunks[0].id, privateChunks[1].id, 'see-also', { agent: 'alice' })
    await memory.forget(privateChunks[2].id, { agent: 'alice' })
    await memory.feedback([sharedChunks[0].id], false)
    // events name their chunks by id: one about a federation chunk travels
    await memory.feedback([federation[0].id], true)
    for (let i = 0; i < 10; i++) {
      const asked = await a.libp2p.services.memoryQuery!.search({ text: `secret runbook entry ${i} payroll`, agent: 'alice', k: 20 })
      assert.ok(asked.results.some(r => r.zone === 'private'), 'alice finds her private chunks in a federated search from her node')
      await b.libp2p.services.memoryQuery!.search({ text: `PRIVATE-MARKER-${i} secret runbook payroll`, k: 20 })
      await c.libp2p.services.memoryQuery!.search({ text: `SHARED-MARKER-${i} local note payroll`, k: 20 })
    }
    // every federation chunk reaches the others, and anti-entropy runs a few rounds
    await waitFor(() => [b, c].every(n => n.memory!.stats().chunks.federation === federation.length), { message: 'federation chunks to replicate' })
    await delay(2_500)
    const found = await b.libp2p.services.memoryQuery!.search({ text: 'secret runbook payroll database', k: 50 })
    assert.ok(found.results.every(r => r.zone === 'federation'), 'peers only ever see federation chunks')
    assert.deepEqual([b, c].map(n => n.memory!.stats().chunks.private + n.memory!.stats().chunks.shared), [0, 0])

    const captured = Buffer.concat(wire)
    const contains = (text: string | Uint8Array): boolean => captured.includes(typeof text === 'string' ? Buffer.from(text) : Buffer.from(text))
    // the recording works: what may travel is in it
    assert.ok(contains('FEDERATION-MARKER-0-p9w'), 'federation text is on the wire')
    assert.ok(contains(federation[0].id), 'federation ids are on the wire')
    // what may not travel is not
    for (const chunk of [...privateChunks, ...sharedChunks]) {
      assert.equal(contains(chunk.text.slice(0, 24)), false, `text of ${chunk.zone} chunk ${chunk.id} was sent`)
      assert.equal(contains(chunk.id), false, `id of ${chunk.zone} chunk ${chunk.id} was sent`)
      assert.equal(contains(CID.parse(chunk.id).multihash.digest), false, `digest of ${chunk.zone} chunk ${chunk.id} was sent`)
    }
    process.stdout.write(`# captured ${captured.byteLength} plaintext bytes on ${nodes.length} nodes' connections; 0 private or shared texts or ids among them\n`)
  })
})
