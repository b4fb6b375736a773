import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { dhtProtocol } from '@overmind/node'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import type { PeerId } from '@libp2p/interface'
import type { OvermindNode } from '@overmind/node'

describe('mesh DHT', () => {
  const nodes: OvermindNode[] = []
  let seeker: OvermindNode
  let target: OvermindNode

  beforeAll(async () => {
    const psk = meshKey()
    const hub = await startTestNode({ psk })
    nodes.push(hub)
    for (let i = 0; i < 4; i++) {
      nodes.push(await startTestNode({ psk, bootstrap: [tcpAddress(hub)] }))
    }
    // the seeker may never connect to the target, so only the DHT can tell it where the target is
    const deny = (other: () => OvermindNode | undefined) => (peer: PeerId): boolean => other()?.libp2p.peerId.equals(peer) ?? false
    target = await startTestNode({ psk, bootstrap: [tcpAddress(hub)], libp2p: { connectionGater: { denyDialPeer: deny(() => seeker), denyInboundEncryptedConnection: deny(() => seeker) } } })
    seeker = await startTestNode({ psk, bootstrap: [tcpAddress(hub)], libp2p: { connectionGater: { denyDialPeer: deny(() => target), denyInboundEncryptedConnection: deny(() => target) } } })
    nodes.push(target, seeker)
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => n.stop()))
  })

  it('speaks the mesh-specific DHT protocol, not the public IPFS one', () => {
    const protocols = seeker.libp2p.getProtocols()
    assert.ok(protocols.includes(dhtProtocol('test')))
    assert.ok(!protocols.includes('/ipfs/kad/1.0.0'))
    assert.ok(!protocols.some(p => p.startsWith('/ipfs/lan/kad')))
  })

  it('finds the addresses of a peer it is not connected to through peerRouting.findPeer', async () => {
    const targetId = peerIdFromString(target.peerId)
    await waitFor(() => seeker.status().dht.routingTable >= 3, { message: 'the seeker\'s routing table to fill' })
    assert.equal(seeker.libp2p.getConnections(targetId).length, 0)
    // forget anything learnt on the side, so the answer can only come from a DHT query
    await seeker.libp2p.peerStore.delete(targetId)
    const found = await seeker.libp2p.peerRouting.findPeer(targetId, { useCache: false, signal: AbortSignal.timeout(20_000) })
    assert.ok(found.id.equals(targetId))
    const expected = target.addresses().map(a => a.replace(`/p2p/${target.peerId}`, ''))
    const got = found.multiaddrs.map(ma => ma.toString())
    assert.ok(expected.some(a => got.includes(a)), `expected one of ${expected.join(', ')} in ${got.join(', ')}`)
    assert.equal(seeker.libp2p.getConnections(targetId).length, 0)
  })
})
