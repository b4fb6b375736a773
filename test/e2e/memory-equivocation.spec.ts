import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { pbStream } from '@libp2p/utils'
import { entryId } from '@overmind/memory'
import { Chunk, EntryKind, KnowledgeBatch, SignedEntry, SyncPage, SyncRequest, Zone } from '@overmind/protocols'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { PrivateKey } from '@libp2p/interface'
import type { OvermindNode } from '@overmind/node'

/** The signing domain of protocols/memory.md */
const DOMAIN = uint8ArrayFromString('overmind/memory/1\n')

async function signedChunk (node: OvermindNode, key: PrivateKey, text: string, seq: bigint): Promise<SignedEntry> {
  const body = Chunk.encode({ author: node.libp2p.peerId.toMultihash().bytes, agent: 'default', zone: Zone.FEDERATION, text, tags: [], hlcWallTime: BigInt(Date.now()), hlcLogical: 0, seq })
  const signature = await key.sign(uint8ArrayConcat([DOMAIN, body]))
  return { kind: EntryKind.CHUNK, body, signature: new Uint8Array(signature) }
}

describe('a member that signs two entries with one seq', () => {
  // forker ─ relay ─ receiver
  let relay: OvermindNode
  let receiver: OvermindNode
  let forker: OvermindNode
  let key: PrivateKey

  /** The receiver refuses any direct connection with the forker until the sync part: gossip between them goes through the relay */
  let apart = true

  beforeAll(async () => {
    const psk = meshKey()
    key = await generateKeyPair('Ed25519')
    const forkerId = key.publicKey.toString()
    const notTheForker = (peer: { toString(): string }): boolean => apart && peer.toString() === forkerId
    relay = await startTestNode({ psk, memory: true })
    receiver = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(relay)], libp2p: { connectionGater: { denyDialPeer: notTheForker, denyInboundEncryptedConnection: notTheForker } } })
    forker = await startTestNode({ psk, memory: true, privateKey: key, bootstrap: [tcpAddress(relay)] })
    const topic = forker.libp2p.services.knowledge!.topic
    // the forker publishes what it likes
    forker.libp2p.services.pubsub.topicValidators.delete(topic)
    await waitFor(() => relay.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(forker.libp2p.peerId)) &&
      receiver.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(relay.libp2p.peerId)), { message: 'the three nodes to share the topic' })
  })

  afterAll(async () => {
    await Promise.all([relay, receiver, forker].map(async n => n?.stop()))
  })

  it('is caught on gossip and in sync pages: the entry held first stays, the other is never folded, the author is flagged', async () => {
    const topic = forker.libp2p.services.knowledge!.topic
    const publish = async (entry: SignedEntry): Promise<void> => {
      await forker.libp2p.services.pubsub.publish(topic, KnowledgeBatch.encode({ entries: [SignedEntry.encode(entry)] }))
    }
    const first = await signedChunk(forker, key, 'the release branch is cut on Mondays', 1n)
    const second = await signedChunk(forker, key, 'the release branch is cut on Fridays', 1n)
    // held by the forker too, so anti-entropy brings it where a gossip message published before the mesh formed did not
    assert.equal((await forker.memory!.ingest([first])).stored, 1)
    await publish(first)
    await waitFor(() => receiver.memory!.holds(entryId(first.body)), { timeout: 60_000, message: 'the first entry to reach the receiver' })

    // gossip: the relay rejects the second at the first hop, so it goes no further
    assert.equal(receiver.libp2p.getConnections(forker.libp2p.peerId).length, 0, 'the receiver hears the forker only through the relay')
    await publish(second)
    await waitFor(() => (relay.libp2p.services.knowledge!.getStats().rejected.equivocation ?? 0) > 0, { message: 'the relay to reject the second entry' })
    assert.deepEqual(relay.memory!.stats().equivocations.authors, [forker.peerId])
    await delay(300)
    assert.equal(receiver.memory!.stats().equivocations.entries, 0, 'the second entry was not forwarded')

    // sync: the forker answers the receiver's pull with the second entry; the page is not the sender's fault
    apart = false
    const protocol = receiver.libp2p.services.memorySync!.protocol
    await forker.libp2p.unhandle(protocol)
    await forker.libp2p.handle(protocol, async (stream) => {
      const pb = pbStream(stream)
      await pb.read(SyncRequest)
      await pb.write({ entries: [SignedEntry.encode(second)], done: true }, SyncPage)
      await stream.close()
    })
    await receiver.libp2p.dial(forker.libp2p.getMultiaddrs()[0])
    await receiver.libp2p.services.memorySync!.pull(forker.libp2p.peerId)
    assert.deepEqual(receiver.memory!.stats().equivocations, { authors: [forker.peerId], entries: 1 })

    for (const node of [relay, receiver]) {
      assert.equal(node.memory!.holds(entryId(second.body)), false)
      const [hit] = await node.memory!.search({ text: 'when is the release branch cut?', k: 5 })
      assert.equal(hit.text, 'the release branch is cut on Mondays')
      assert.deepEqual(node.status().memory?.equivocations.authors, [forker.peerId])
    }
  })
})
