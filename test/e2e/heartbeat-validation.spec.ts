import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Heartbeat } from '@overmind/protocols'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { PeerId } from '@libp2p/interface'
import type { OvermindNode } from '@overmind/node'

/** Keeps `self` from ever connecting to `other`, in either direction */
function never (other: () => OvermindNode | undefined): { denyDialPeer(peer: PeerId): boolean, denyInboundEncryptedConnection(peer: PeerId): boolean } {
  const deny = (peer: PeerId): boolean => other()?.libp2p.peerId.equals(peer) ?? false
  return { denyDialPeer: deny, denyInboundEncryptedConnection: deny }
}

describe('heartbeat topic validator', () => {
  // a line: attacker ─ relay ─ receiver; the attacker and receiver never connect
  let attacker: OvermindNode
  let relay: OvermindNode
  let receiver: OvermindNode
  const rejectedAtReceiver: string[] = []

  before(async () => {
    const psk = meshKey()
    relay = await startTestNode({ psk })
    attacker = await startTestNode({ psk, bootstrap: [tcpAddress(relay)], libp2p: { connectionGater: never(() => receiver) } })
    receiver = await startTestNode({ psk, bootstrap: [tcpAddress(relay)], libp2p: { connectionGater: never(() => attacker) } })
    receiver.libp2p.services.heartbeat.addEventListener('heartbeat:rejected', evt => { rejectedAtReceiver.push(evt.detail.reason) })
    // the receiver hears the attacker's genuine beats through the relay
    await waitFor(() => receiver.peers().find(p => p.peerId === attacker.peerId)?.status === 'alive', { message: 'the attacker\'s beats to reach the receiver through the relay' })
    // the attacker publishes whatever it likes: drop its own validator
    attacker.libp2p.services.pubsub.topicValidators.delete(attacker.libp2p.services.heartbeat.topic)
  })

  after(async () => {
    await Promise.all([attacker, relay, receiver].map(async n => n?.stop()))
  })

  async function publishBad (data: Uint8Array): Promise<void> {
    await attacker.libp2p.services.pubsub.publish(attacker.libp2p.services.heartbeat.topic, data)
  }

  function goodBeat (overrides: Partial<Heartbeat> = {}): Uint8Array {
    return Heartbeat.encode({
      nodeId: attacker.libp2p.peerId.toMultihash().bytes,
      mesh: 'test',
      version: 'overmind/test',
      hlcWallTime: BigInt(Date.now()),
      seq: 1_000_000n,
      startedAt: BigInt(Date.now()),
      intervalMs: 300,
      ...overrides
    })
  }

  const cases: Array<[string, string, () => Uint8Array]> = [
    ['bytes that are not protobuf', 'malformed', () => new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])],
    ['a heartbeat larger than 8 KiB', 'oversized', () => goodBeat({ version: 'x'.repeat(16 * 1024) })],
    ['a heartbeat claiming another node id', 'author-mismatch', () => goodBeat({ nodeId: receiver.libp2p.peerId.toMultihash().bytes })],
    ['a heartbeat for another mesh', 'wrong-mesh', () => goodBeat({ mesh: 'elsewhere' })],
    ['a heartbeat with an impossible interval', 'bad-interval', () => goodBeat({ intervalMs: 1 })],
    ['a heartbeat from an hour in the future', 'clock-drift', () => goodBeat({ hlcWallTime: BigInt(Date.now() + 3_600_000) })]
  ]

  for (const [what, reason, make] of cases) {
    it(`rejects ${what} (${reason}) at the first hop and does not forward it`, async () => {
      const before = relay.status().heartbeat.rejected[reason as 'malformed'] ?? 0
      await publishBad(make())
      await waitFor(() => (relay.status().heartbeat.rejected[reason as 'malformed'] ?? 0) > before, { message: `the relay to reject ${what}` })
      // the relay keeps working and the receiver never saw the message
      await delay(500)
      assert.equal(relay.libp2p.status, 'started')
      assert.deepEqual(rejectedAtReceiver, [])
    })
  }

  it('keeps relaying genuine heartbeats after rejecting bad ones', async () => {
    const beats = (): number => receiver.peers().find(p => p.peerId === attacker.peerId)?.beats ?? 0
    const before = beats()
    await waitFor(() => beats() > before + 2, { message: 'more genuine beats from the attacker' })
    assert.equal(receiver.peers().find(p => p.peerId === relay.peerId)?.status, 'connected')
    assert.equal(receiver.status().heartbeat.received > 0, true)
    assert.deepEqual(rejectedAtReceiver, [])
  })
})
