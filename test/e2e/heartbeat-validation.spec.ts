import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { Heartbeat, PeerBeats } from '@overmind/protocols'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { PeerId } from '@libp2p/interface'
import type { OvermindConfig } from '@overmind/config'
import type { OvermindNode } from '@overmind/node'

/** Keeps a node from ever connecting to the given others, in either direction */
function never (...others: Array<() => OvermindNode | undefined>): { denyDialPeer(peer: PeerId): boolean, denyInboundEncryptedConnection(peer: PeerId): boolean } {
  const deny = (peer: PeerId): boolean => others.some(other => other()?.libp2p.peerId.equals(peer) ?? false)
  return { denyDialPeer: deny, denyInboundEncryptedConnection: deny }
}

/** A first beat of `peer`, as it would write it, for another node to pass off as its own */
function beatOf (peer: PeerId, intervalMs: number): Uint8Array<ArrayBuffer> {
  return Heartbeat.encode({
    nodeId: peer.toMultihash().bytes,
    mesh: 'test',
    version: 'overmind/test',
    hlcWallTime: BigInt(Date.now()),
    seq: 1n,
    startedAt: BigInt(Date.now()),
    intervalMs
  })
}

type Reason = 'malformed' | 'oversized' | 'author-mismatch' | 'wrong-mesh' | 'bad-interval' | 'clock-drift'

describe('heartbeat topic validator', () => {
  // attacker ─ relay ─ receiver, honest ─ relay: only the relay reaches the receiver
  let psk: Uint8Array
  let relay: OvermindNode
  let honest: OvermindNode
  let receiver: OvermindNode
  const attackers: OvermindNode[] = []
  const rejectedAtReceiver: string[] = []
  let relayDisconnects = 0

  beforeAll(async () => {
    psk = meshKey()
    relay = await startTestNode({ psk })
    honest = await startTestNode({ psk, bootstrap: [tcpAddress(relay)], libp2p: { connectionGater: never(() => receiver) } })
    // attackers come later and keep away from the receiver themselves
    receiver = await startTestNode({ psk, bootstrap: [tcpAddress(relay)], libp2p: { connectionGater: never(() => honest) } })
    receiver.libp2p.services.heartbeat.addEventListener('heartbeat:rejected', evt => { rejectedAtReceiver.push(evt.detail.reason) })
    receiver.libp2p.addEventListener('peer:disconnect', evt => {
      if (evt.detail.equals(relay.libp2p.peerId)) relayDisconnects++
    })
    await waitFor(() => receiver.peers().find(p => p.peerId === honest.peerId)?.status === 'alive', { message: 'honest beats to reach the receiver through the relay' })
  })

  afterAll(async () => {
    await Promise.all([relay, honest, receiver, ...attackers].map(async n => n?.stop()))
  })

  /** A member that publishes whatever it likes, never connected to the receiver */
  async function newAttacker (): Promise<OvermindNode> {
    const attacker = await startTestNode({ psk, bootstrap: [tcpAddress(relay)], libp2p: { connectionGater: never(() => receiver) } })
    attackers.push(attacker)
    const topic = attacker.libp2p.services.heartbeat.topic
    attacker.libp2p.services.pubsub.topicValidators.delete(topic)
    await waitFor(() => attacker.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(relay.libp2p.peerId)) &&
      relay.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(attacker.libp2p.peerId)), { message: 'attacker and relay to share the topic' })
    return attacker
  }

  function beat (attacker: OvermindNode, overrides: Partial<Heartbeat> = {}): Uint8Array {
    return Heartbeat.encode({
      nodeId: attacker.libp2p.peerId.toMultihash().bytes,
      mesh: 'test',
      version: 'overmind/test',
      hlcWallTime: BigInt(Date.now()),
      seq: 1_000_000n + BigInt(Math.floor(Math.random() * 1e6)),
      startedAt: BigInt(Date.now()),
      intervalMs: 300,
      ...overrides
    })
  }

  const cases: Array<[string, Reason, (attacker: OvermindNode) => Uint8Array]> = [
    ['bytes that are not protobuf', 'malformed', () => new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])],
    ['a heartbeat larger than 8 KiB', 'oversized', a => beat(a, { version: 'x'.repeat(16 * 1024) })],
    ['a heartbeat claiming another node id', 'author-mismatch', a => beat(a, { nodeId: honest.libp2p.peerId.toMultihash().bytes })],
    ['a heartbeat for another mesh', 'wrong-mesh', a => beat(a, { mesh: 'elsewhere' })],
    ['a heartbeat with an impossible interval', 'bad-interval', a => beat(a, { intervalMs: 1 })],
    ['a heartbeat from an hour in the future', 'clock-drift', a => beat(a, { hlcWallTime: BigInt(Date.now() + 3_600_000) })]
  ]

  async function publish (attacker: OvermindNode, data: Uint8Array): Promise<void> {
    await attacker.libp2p.services.pubsub.publish(attacker.libp2p.services.heartbeat.topic, data)
  }

  const rejected = (reason: Reason): number => relay.status().heartbeat.rejected[reason] ?? 0

  for (const [what, reason, make] of cases) {
    it(`rejects ${what} (${reason}) at the first hop and does not forward it`, async () => {
      const attacker = await newAttacker()
      const before = rejected(reason)
      await publish(attacker, make(attacker))
      await waitFor(() => rejected(reason) > before, { message: `the relay to reject ${what}` })
      // the relay keeps working and the receiver never saw the message
      await delay(500)
      assert.equal(relay.libp2p.status, 'started')
      assert.deepEqual(rejectedAtReceiver, [])
    })
  }

  it('makes a sender of bad beats lose its standing at the relay, below the graylist threshold', async () => {
    const attacker = await newAttacker()
    const pubsub = relay.libp2p.services.pubsub as unknown as { getScore(peerId: string): number }
    assert.ok(pubsub.getScore(attacker.peerId) >= 0)
    const before = rejected('wrong-mesh')
    for (let i = 0; i < 5; i++) {
      await publish(attacker, beat(attacker, { mesh: `elsewhere-${i}` }))
      await delay(100)
    }
    await waitFor(() => rejected('wrong-mesh') > before, { message: 'the relay to reject the beats' })
    // scores are refreshed on gossipsub's own heartbeat, once a second
    await waitFor(() => pubsub.getScore(attacker.peerId) < -80, { timeout: 5_000, message: () => `the attacker's score (${pubsub.getScore(attacker.peerId)}) to fall below the graylist threshold` })
    assert.ok(pubsub.getScore(honest.peerId) >= 0, `honest score ${pubsub.getScore(honest.peerId)}`)
  })

  it('keeps relaying the beats of honest peers', async () => {
    const beatsOf = (node: OvermindNode) => (): number => receiver.peers().find(p => p.peerId === node.peerId)?.beats ?? 0
    const honestBeats = beatsOf(honest)
    const relayBeats = beatsOf(relay)
    const before = { honest: honestBeats(), relay: relayBeats() }
    await waitFor(() => honestBeats() > before.honest + 2, { message: 'more beats from the honest peer' })
    await waitFor(() => relayBeats() > before.relay + 2, { message: 'more beats from the relay itself' })
    // the relay kept its link to the receiver through every attack; its status is read when a beat
    // has just arrived, since a one-process mesh on a loaded machine may honestly show a late beat
    assert.equal(relayDisconnects, 0)
    await waitFor(() => receiver.peers().find(p => p.peerId === relay.peerId)?.status === 'connected', { message: 'the relay to show as connected' })
    assert.deepEqual(rejectedAtReceiver, [])
  })
})

describe('heartbeat hello', () => {
  const nodes: OvermindNode[] = []
  afterAll(async () => { await Promise.all(nodes.map(async n => n.stop())) })

  it('gives a new neighbour this node\'s beat at once, without waiting for the interval or publishing to the mesh', async () => {
    const psk = meshKey()
    // beats every ten minutes: only a hello can fill the tables within seconds
    const slow = (c: OvermindConfig): void => { c.heartbeat.interval = 600_000 }
    const a = await startTestNode({ psk, config: slow })
    nodes.push(a)
    const b = await startTestNode({ psk, config: slow, bootstrap: [tcpAddress(a)] })
    nodes.push(b)
    await waitFor(() => a.peers().some(p => p.peerId === b.peerId) && b.peers().some(p => p.peerId === a.peerId), { timeout: 15_000, message: 'each node to list the other' })
    assert.equal(b.peers().find(p => p.peerId === a.peerId)?.status, 'connected')
    // a third node that joins later is greeted by both
    const c = await startTestNode({ psk, config: slow, bootstrap: [tcpAddress(a)] })
    nodes.push(c)
    await waitFor(() => c.peers().some(p => p.peerId === a.peerId), { timeout: 15_000, message: 'the newcomer to list the node it joined through' })
    assert.ok(a.peers().some(p => p.peerId === c.peerId))
  })

  it('refuses a hello that carries another node\'s beat, and keeps the connection', async () => {
    const psk = meshKey()
    const receiver = await startTestNode({ psk })
    nodes.push(receiver)
    const impostor = await startTestNode({ psk, bootstrap: [tcpAddress(receiver)] })
    nodes.push(impostor)
    const victim = await startTestNode({ psk })
    nodes.push(victim)
    const rejections: string[] = []
    receiver.libp2p.services.heartbeat.addEventListener('heartbeat:rejected', evt => { rejections.push(evt.detail.reason) })
    await waitFor(() => receiver.peers().some(p => p.peerId === impostor.peerId), { message: 'the impostor to be listed' })
    const stream = await impostor.libp2p.dialProtocol(receiver.libp2p.peerId, receiver.libp2p.services.heartbeat.helloProtocol)
    await lpStream(stream).write(beatOf(victim.libp2p.peerId, 300))
    await stream.close()
    await waitFor(() => rejections.includes('author-mismatch'), { message: 'the receiver to refuse the hello' })
    assert.ok(!receiver.peers().some(p => p.peerId === victim.peerId), 'the victim is not in the table')
    assert.ok(receiver.libp2p.getConnections(impostor.libp2p.peerId).length > 0)
  })
})

describe('heartbeat peers pull', () => {
  const nodes: OvermindNode[] = []
  afterAll(async () => { await Promise.all(nodes.map(async n => n.stop())) })
  // beats every ten minutes: what a newcomer lists within seconds came by hello or pull
  const slow = (c: OvermindConfig): void => { c.heartbeat.interval = 600_000 }

  it('gives a newcomer the members its neighbour knows, signed by their authors, even one that has stopped since', async () => {
    const psk = meshKey()
    const a = await startTestNode({ psk, config: slow })
    nodes.push(a)
    const b = await startTestNode({ psk, config: slow, bootstrap: [tcpAddress(a)] })
    // b's first published beat (besides its hello) reaches a
    await waitFor(async () => {
      await b.libp2p.services.heartbeat.beat()
      return (a.peers().find(p => p.peerId === b.peerId)?.beats ?? 0) >= 2
    }, { timeout: 15_000, message: 'a published beat of b to reach a' })
    const knownAt = Date.now()
    await b.stop()
    // the newcomer never meets b: it can only learn of it from a's table
    const c = await startTestNode({ psk, config: slow, bootstrap: [tcpAddress(a)] })
    nodes.push(c)
    await waitFor(() => c.peers().some(p => p.peerId === b.peerId), { timeout: 15_000, message: 'the newcomer to list b from a\'s table' })
    const entry = c.peers().find(p => p.peerId === b.peerId)
    assert.equal(entry?.status, 'alive')
    assert.ok((entry?.lastSeen ?? Infinity) <= knownAt, 'b is as old as when a heard it, not as when c did')
    assert.ok(c.libp2p.services.heartbeat.getStats().pulled >= 1)
    assert.deepEqual(c.libp2p.services.heartbeat.getStats().rejected, {})
  })

  it('refuses a beat whose signature is not its author\'s, and lists nothing the liar handed on', async () => {
    const psk = meshKey()
    const liar = await startTestNode({ psk, config: slow })
    nodes.push(liar)
    const victim = await generateKeyPair('Ed25519')
    const victimId = peerIdFromPrivateKey(victim)
    const protocol = liar.libp2p.services.heartbeat.peersProtocol
    await liar.libp2p.unhandle(protocol)
    await liar.libp2p.handle(protocol, async (stream) => {
      const data = beatOf(victimId, 600_000)
      // signed, but with another key than the author's
      const signature = await (await generateKeyPair('Ed25519')).sign(data)
      await lpStream(stream).write(PeerBeats.encode({ beats: [{ from: Uint8Array.from(victimId.toMultihash().bytes), data, seqno: new Uint8Array(8), signature: Uint8Array.from(signature), ageMs: 0 }] }))
      await stream.close()
    }, { runOnLimitedConnection: true })
    const newcomer = await startTestNode({ psk, config: slow, bootstrap: [tcpAddress(liar)] })
    nodes.push(newcomer)
    const rejections: string[] = []
    newcomer.libp2p.services.heartbeat.addEventListener('heartbeat:rejected', evt => { rejections.push(evt.detail.reason) })
    await waitFor(() => rejections.includes('bad-signature') || (newcomer.libp2p.services.heartbeat.getStats().rejected['bad-signature'] ?? 0) > 0, { timeout: 15_000, message: 'the newcomer to refuse the forged beat' })
    assert.ok(!newcomer.peers().some(p => p.peerId === victimId.toString()), 'the victim is not in the table')
    assert.ok(newcomer.peers().some(p => p.peerId === liar.peerId), 'the liar itself is still listed, from its hello')
  })
})

describe('heartbeat interval in a large mesh', () => {
  const nodes: OvermindNode[] = []
  afterAll(async () => { await Promise.all(nodes.map(async n => n.stop())) })

  it('stretches each node\'s interval in proportion to the members beyond stretchAbove, and receivers count missed beats by it', async () => {
    const psk = meshKey()
    // 4 members, at most 2 beats per second-long interval: each beats every 2 s
    const config = (c: OvermindConfig): void => { c.heartbeat.interval = 1_000; c.heartbeat.stretchAbove = 2 }
    nodes.push(await startTestNode({ psk, config }))
    for (let i = 0; i < 3; i++) nodes.push(await startTestNode({ psk, config, bootstrap: [tcpAddress(nodes[0])] }))
    await waitFor(() => nodes.every(n => n.status().heartbeat.intervalMs === 2_000), { timeout: 20_000, message: 'every node to beat every 2 s' })
    await waitFor(() => nodes.every(n => n.peers().filter(p => p.intervalMs === 2_000 && p.status !== 'stale' && p.status !== 'gone').length === 3), { timeout: 20_000, message: 'every node to see the others announce 2 s' })
    assert.ok(nodes.every(n => n.status().heartbeat.configuredIntervalMs === 1_000))
  })
})
