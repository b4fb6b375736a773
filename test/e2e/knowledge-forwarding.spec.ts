import assert from 'node:assert/strict'
import { afterAll, describe, it } from 'vitest'
import { gater, meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { OvermindNode } from '@overmind/node'

describe('knowledge topic: validate, then forward; write behind', () => {
  const nodes: OvermindNode[] = []
  let release = (): void => {}
  afterAll(async () => {
    release()
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('forwards an entry to the next hop while the middle node\'s disk is stalled, and stores it there once the disk is back', async () => {
    // author ─ middle ─ receiver: the receiver can only hear the author through the middle node
    const psk = meshKey()
    const stalled = new Promise<void>(resolve => { release = resolve })
    let stalledWrites = 0
    const middle = await startTestNode({
      psk,
      memory: true,
      beforeMemoryWrite: async () => {
        stalledWrites++
        await stalled
      }
    })
    nodes.push(middle)
    let receiver: OvermindNode | undefined
    const author = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(middle)], libp2p: { connectionGater: gater(peer => receiver != null && peer.equals(receiver.libp2p.peerId)) } })
    nodes.push(author)
    receiver = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(middle)], libp2p: { connectionGater: gater(peer => peer.equals(author.libp2p.peerId)) } })
    nodes.push(receiver)
    const topic = middle.libp2p.services.knowledge!.topic
    // gossipsub's own mesh on the topic (the class has it; its interface does not)
    const meshes = (node: OvermindNode): string[] => (node.libp2p.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }).getMeshPeers(topic)
    await waitFor(() => meshes(middle).length === 2 && meshes(author).includes(middle.peerId) && meshes(receiver!).includes(middle.peerId), {
      timeout: 30_000,
      message: 'the middle node to carry the topic between the other two'
    })

    /** Entries the middle node has on disk: what it would serve to a peer's sync */
    const onDisk = async (): Promise<number> => {
      let n = 0
      for await (const _ of middle.memory!.missing([])) n++
      return n
    }
    const chunk = await author.memory!.put({ text: 'the middle node forwards this before its disk has taken it' })
    await waitFor(() => receiver!.memory!.holds(chunk.id), { timeout: 20_000, message: 'the entry to reach the receiver through the stalled middle node' })
    assert.equal(author.libp2p.getConnections(receiver.libp2p.peerId).length, 0, 'the author never reached the receiver itself')
    assert.equal(await onDisk(), 0, 'the middle node forwarded it before writing it')
    assert.ok(stalledWrites >= 1, 'the middle node queued the write')
    assert.equal(middle.memory!.stats().backlog.writes, 1)
    assert.equal(middle.libp2p.services.knowledge!.getStats().received, 1)
    assert.equal((await middle.memory!.search({ text: 'middle node forwards', k: 1 }))[0]?.id, chunk.id, 'searchable on the middle node while its write waits')

    // a second message while the write is still held: forwarding goes on
    const next = await author.memory!.put({ text: 'and this one too' })
    await waitFor(() => receiver!.memory!.holds(next.id), { timeout: 20_000, message: 'the second entry to reach the receiver' })
    await delay(100)
    assert.equal(await onDisk(), 0)

    release()
    await waitFor(async () => await onDisk() === 2, { message: 'the middle node to write both once its disk is back' })
    const digests = await Promise.all(nodes.map(async n => (await n.memory!.digest()).digest))
    assert.equal(new Set(digests).size, 1, 'all three hold the same memory')
  })

  it('publishes the chunks of one write in one message, though the store indexes them over many turns of the event loop', async () => {
    const psk = meshKey()
    const writer = await startTestNode({ psk, memory: true })
    nodes.push(writer)
    const reader = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(writer)] })
    nodes.push(reader)
    const topic = writer.libp2p.services.knowledge!.topic
    await waitFor(() => writer.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(reader.libp2p.peerId)), { timeout: 30_000, message: 'the reader to subscribe' })
    let messages = 0
    reader.libp2p.services.pubsub.addEventListener('message', evt => { if (evt.detail.topic === topic) messages++ })
    const written = await writer.memory!.putMany(Array.from({ length: 300 }, (_, i) => ({ text: `runbook step ${i}: drain the node, patch it, then return it to the pool`, zone: 'federation' as const })))
    await waitFor(() => written.every(c => reader.memory!.holds(c.id)), { timeout: 30_000, message: 'the reader to hold all 300 chunks' })
    assert.equal(reader.libp2p.services.knowledge!.getStats().received, 300, 'all of them came by gossip')
    assert.equal(messages, 1)
  })
})
