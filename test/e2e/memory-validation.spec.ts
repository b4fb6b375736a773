import assert from 'node:assert/strict'
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { pbStream } from '@libp2p/utils'
import { entryId } from '@overmind/memory'
import { Chunk, EntryKind, KnowledgeBatch, SignedEntry, SyncPage, SyncRequest, Zone } from '@overmind/protocols'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { gater, meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { RejectReason } from '@overmind/memory'
import type { OvermindNode } from '@overmind/node'
import type { EntryRejection } from '@overmind/replication'

/** The signing domain of protocols/memory.md */
const DOMAIN = uint8ArrayFromString('overmind/memory/1\n')

interface Attacker {
  node: OvermindNode
  key: PrivateKey
}

let seq = 1_000n

function chunkBody (author: PeerId, overrides: Partial<Chunk> = {}): Chunk {
  return {
    author: author.toMultihash().bytes,
    agent: 'default',
    zone: Zone.FEDERATION,
    text: `a fact no honest node wrote ${Math.random()}`,
    tags: [],
    hlcWallTime: BigInt(Date.now()),
    hlcLogical: 0,
    seq: seq++,
    ...overrides
  }
}

async function sign (body: Uint8Array, key: PrivateKey): Promise<SignedEntry> {
  const signature = await key.sign(uint8ArrayConcat([DOMAIN, body]))
  return { kind: EntryKind.CHUNK, body: new Uint8Array(body), signature: new Uint8Array(signature) }
}

describe('memory entries from a hostile member', () => {
  // attacker ─ relay ─ receiver: only the relay reaches the receiver
  let psk: Uint8Array
  let relay: OvermindNode
  let receiver: OvermindNode
  const attackers: Attacker[] = []
  const rejectedAtRelay: Array<{ reason: string, via: string }> = []
  const rejectedAtReceiver: string[] = []

  beforeAll(async () => {
    psk = meshKey()
    relay = await startTestNode({ psk, memory: true })
    receiver = await startTestNode({ psk, memory: true, bootstrap: [tcpAddress(relay)] })
    const onRejected = (evt: CustomEvent<EntryRejection>): void => { rejectedAtRelay.push({ reason: evt.detail.reason, via: evt.detail.via }) }
    relay.libp2p.services.knowledge!.addEventListener('entry:rejected', onRejected)
    relay.libp2p.services.memorySync!.addEventListener('entry:rejected', onRejected)
    receiver.libp2p.services.knowledge!.addEventListener('entry:rejected', evt => { rejectedAtReceiver.push(evt.detail.reason) })
    await waitFor(() => receiver.libp2p.getConnections(relay.libp2p.peerId).length > 0, { message: 'the receiver to connect to the relay' })
  })

  afterEach(async () => {
    // one attacker at a time keeps the process light
    await Promise.all(attackers.splice(0).map(async a => { await a.node.stop() }))
  })

  afterAll(async () => {
    await Promise.all([relay, receiver].map(async n => n?.stop()))
  })

  /** A member that publishes whatever it likes on the knowledge topic, never connected to the receiver */
  async function newAttacker (): Promise<Attacker> {
    const key = await generateKeyPair('Ed25519')
    const node = await startTestNode({ psk, memory: true, privateKey: key, bootstrap: [tcpAddress(relay)], libp2p: { connectionGater: gater(peer => peer.equals(receiver.libp2p.peerId)) } })
    const attacker = { node, key }
    attackers.push(attacker)
    const topic = node.libp2p.services.knowledge!.topic
    node.libp2p.services.pubsub.topicValidators.delete(topic)
    await waitFor(() => node.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(relay.libp2p.peerId)) &&
      relay.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(node.libp2p.peerId)), { message: 'attacker and relay to share the topic' })
    return attacker
  }

  const rejected = (reason: RejectReason): number => relay.libp2p.services.knowledge!.getStats().rejected[reason] ?? 0

  const cases: Array<[string, RejectReason, (a: Attacker) => Promise<Uint8Array>]> = [
    ['bytes that are not a protobuf entry', 'malformed', async () => new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])],
    ['a message larger than an entry may be', 'oversized', async a => SignedEntry.encode(await sign(new Uint8Array(70 * 1024).fill(7), a.key))],
    ['a chunk whose text is over 32 KiB', 'oversized', async a => SignedEntry.encode(await sign(Chunk.encode(chunkBody(a.node.libp2p.peerId, { text: 'x'.repeat(40 * 1024) })), a.key))],
    ['a chunk with a forged signature', 'bad-signature', async a => {
      const entry = await sign(Chunk.encode(chunkBody(a.node.libp2p.peerId)), a.key)
      entry.signature[0] ^= 0xff
      return SignedEntry.encode(entry)
    }],
    ['a chunk that names another node as its author', 'bad-author', async a => SignedEntry.encode(await sign(Chunk.encode(chunkBody(relay.libp2p.peerId)), a.key))],
    ['a chunk in a zone that does not exist', 'unknown-zone', async a => {
      const body = Chunk.encode(chunkBody(a.node.libp2p.peerId))
      // author (2 + 38 bytes) and agent (2 + 7 bytes) come first, then the zone field: tag 0x18, value 3
      assert.deepEqual([body[49], body[50]], [0x18, 3])
      body[50] = 9
      return SignedEntry.encode(await sign(body, a.key))
    }],
    ['a chunk of the private zone', 'zone-not-replicated', async a => SignedEntry.encode(await sign(Chunk.encode(chunkBody(a.node.libp2p.peerId, { zone: Zone.PRIVATE })), a.key))],
    ['a chunk body not in canonical encoding', 'malformed', async a => {
      // a valid chunk followed by an unknown field 15
      const body = uint8ArrayConcat([Chunk.encode(chunkBody(a.node.libp2p.peerId)), new Uint8Array([0x78, 0x01])])
      return SignedEntry.encode(await sign(body, a.key))
    }]
  ]

  for (const [what, reason, make] of cases) {
    it(`rejects ${what} (${reason}) at the first hop, stores nothing and forwards nothing`, async () => {
      const attacker = await newAttacker()
      const data = await make(attacker)
      const id = idOf(data)
      const chunksBefore = relay.memory!.stats().chunks.federation
      const before = rejected(reason)
      // a message of the topic is a batch of entries; garbage stays garbage
      const message = reason === 'malformed' && what.startsWith('bytes') ? data : KnowledgeBatch.encode({ entries: [data as Uint8Array<ArrayBuffer>] })
      await attacker.node.libp2p.services.pubsub.publish(attacker.node.libp2p.services.knowledge!.topic, message)
      await waitFor(() => rejected(reason) > before, { message: `the relay to reject ${what}` })
      await delay(300)
      assert.equal(relay.libp2p.status, 'started')
      assert.equal(relay.memory!.stats().chunks.federation, chunksBefore)
      if (id != null) assert.equal(relay.memory!.holds(id), false)
      assert.deepEqual(rejectedAtReceiver, [])
      assert.equal(rejectedAtRelay.at(-1)?.reason, reason)
    })
  }

  it('rejects a whole message when one of its entries is forged, and stores none of it', async () => {
    const attacker = await newAttacker()
    const good = await sign(Chunk.encode(chunkBody(attacker.node.libp2p.peerId)), attacker.key)
    const forged = await sign(Chunk.encode(chunkBody(attacker.node.libp2p.peerId)), attacker.key)
    forged.signature[3] ^= 0x01
    const before = rejected('bad-signature')
    await attacker.node.libp2p.services.pubsub.publish(attacker.node.libp2p.services.knowledge!.topic, KnowledgeBatch.encode({ entries: [SignedEntry.encode(good), SignedEntry.encode(forged)] }))
    await waitFor(() => rejected('bad-signature') > before, { message: 'the relay to reject the batch' })
    await delay(300)
    assert.equal(relay.memory!.holds(entryId(good.body)), false, 'the valid entry of a rejected message is not kept either')
    assert.deepEqual(rejectedAtReceiver, [])
  })

  it('makes a sender of bad entries lose its standing at the relay', async () => {
    const attacker = await newAttacker()
    const pubsub = relay.libp2p.services.pubsub as unknown as { getScore(peerId: string): number }
    assert.ok(pubsub.getScore(attacker.node.peerId) >= 0)
    for (let i = 0; i < 5; i++) {
      const entry = await sign(Chunk.encode(chunkBody(attacker.node.libp2p.peerId)), attacker.key)
      entry.signature[1] ^= 0x01
      await attacker.node.libp2p.services.pubsub.publish(attacker.node.libp2p.services.knowledge!.topic, KnowledgeBatch.encode({ entries: [SignedEntry.encode(entry)] }))
    }
    // scores are refreshed on gossipsub's own heartbeat, once a second
    await waitFor(() => pubsub.getScore(attacker.node.peerId) < -80, { timeout: 5_000, message: () => `the attacker's score (${pubsub.getScore(attacker.node.peerId)}) to fall below the graylist threshold` })
  })

  it('graylists a sender after a few bad entries: the relay reads nothing more from it', async () => {
    const attacker = await newAttacker()
    const sender = attacker.node.libp2p.peerId
    // an RPC gossipsub drops unread, as it does everything a graylisted peer sends
    const pubsub = relay.libp2p.services.pubsub as unknown as { acceptFrom(id: string): boolean }
    const acceptFrom = pubsub.acceptFrom
    let dropped = 0
    pubsub.acceptFrom = function (id: string): boolean {
      const accept = acceptFrom.call(this, id)
      if (!accept && id === sender.toString()) dropped++
      return accept
    }
    try {
      const before = rejected('bad-signature')
      const checked = (): number => rejected('bad-signature') - before
      // one at a time, each read (and refused) or dropped before the next, so none is in flight when the sender is graylisted
      for (let i = 0; i < 20; i++) {
        const seen = { checked: checked(), dropped }
        const entry = await sign(Chunk.encode(chunkBody(sender)), attacker.key)
        entry.signature[2] ^= 0x01
        await attacker.node.libp2p.services.pubsub.publish(attacker.node.libp2p.services.knowledge!.topic, KnowledgeBatch.encode({ entries: [SignedEntry.encode(entry)] }))
        await waitFor(() => checked() > seen.checked || dropped > seen.dropped, { interval: 5, message: `the relay to refuse or drop bad message ${i + 1}` })
      }
      assert.ok(checked() <= 5, `the relay checked ${checked()} of 20 bad messages before it stopped reading their sender`)
      assert.ok(dropped >= 15, `the relay dropped ${dropped} RPCs of the sender`)
      assert.equal(relay.libp2p.status, 'started')
    } finally {
      pubsub.acceptFrom = acceptFrom
    }
  })

  it('still takes in and forwards the entries of honest members', async () => {
    const chunk = await relay.memory!.put({ text: 'an honest fact about the relay' })
    await waitFor(() => receiver.memory!.holds(chunk.id), { message: 'the honest chunk to reach the receiver' })
    const mine = await receiver.memory!.put({ text: 'an honest fact about the receiver' })
    await waitFor(() => relay.memory!.holds(mine.id), { message: 'the receiver chunk to reach the relay' })
  })

  it('refuses a sync page with a forged entry: the exchange fails, nothing of it is stored, the node keeps running', async () => {
    const attacker = await newAttacker()
    const { node, key } = attacker
    const good = await sign(Chunk.encode(chunkBody(node.libp2p.peerId, { seq: 1n })), key)
    const forged = await sign(Chunk.encode(chunkBody(node.libp2p.peerId, { seq: 2n })), key)
    forged.signature[5] ^= 0x10
    const protocol = relay.libp2p.services.memorySync!.protocol
    await node.libp2p.unhandle(protocol)
    await node.libp2p.handle(protocol, async (stream) => {
      const pb = pbStream(stream)
      await pb.read(SyncRequest)
      await pb.write({ entries: [SignedEntry.encode(good), SignedEntry.encode(forged)], done: true }, SyncPage)
      await stream.close()
    })
    const before = rejectedAtRelay.length
    await assert.rejects(relay.libp2p.services.memorySync!.pull(node.libp2p.peerId), /invalid entries/)
    assert.deepEqual(rejectedAtRelay.slice(before), [{ reason: 'bad-signature', via: 'sync' }])
    assert.equal(relay.memory!.holds(entryId(forged.body)), false)
    assert.equal(relay.libp2p.status, 'started')
  })

  it('survives a sync responder that sends a page over the size limit', async () => {
    const { node } = await newAttacker()
    const protocol = relay.libp2p.services.memorySync!.protocol
    await node.libp2p.unhandle(protocol)
    await node.libp2p.handle(protocol, async (stream) => {
      const pb = pbStream(stream)
      await pb.read(SyncRequest)
      // a length prefix of 64 MiB, then junk
      stream.send(uint8ArrayConcat([new Uint8Array([0x80, 0x80, 0x80, 0x20]), new Uint8Array(1024)]))
    })
    await assert.rejects(relay.libp2p.services.memorySync!.pull(node.libp2p.peerId))
    assert.equal(relay.libp2p.status, 'started')
    const chunk = await relay.memory!.put({ text: 'the relay still writes' })
    await waitFor(() => receiver.memory!.holds(chunk.id), { message: 'the relay to keep replicating' })
  })
})

/** The id of the chunk in an encoded entry, when it decodes */
function idOf (data: Uint8Array): string | undefined {
  try {
    return entryId(SignedEntry.decode(data).body)
  } catch {
    return undefined
  }
}
