import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import type { ConnectionGater } from '@libp2p/interface'
import type { OvermindNode } from '@overmind/node'

const relayed = (node: OvermindNode, other: OvermindNode): boolean => {
  const links = node.libp2p.getConnections(other.libp2p.peerId).filter(c => c.status === 'open')
  return links.length > 0 && links.every(c => c.limits != null && c.remoteAddr.toString().includes('/p2p-circuit'))
}

const circuit = (address: { toString(): string }): boolean => address.toString().includes('/p2p-circuit')

/** The NAT in front of a home: no direct connection comes in, and the other homes' own addresses are never dialled */
function nat (homes: () => string[]): ConnectionGater {
  return {
    denyInboundConnection: (maConn) => !circuit(maConn.remoteAddr),
    denyDialMultiaddr: (ma) => !circuit(ma) && homes().includes(ma.getComponents().findLast(c => c.name === 'p2p')?.value ?? '')
  }
}

describe('knowledge between homes behind NAT', () => {
  const psk = meshKey()
  const homes: string[] = []
  const nodes: OvermindNode[] = []

  beforeAll(async () => {
    // the relay keeps no memory, so it cannot pass knowledge on itself: only the homes' relayed link can
    const relay = await startTestNode({ psk, config: c => { c.nat.role = 'relay' } })
    nodes.push(relay)
    for (let i = 0; i < 2; i++) {
      const home = await startTestNode({
        psk,
        memory: true,
        bootstrap: [tcpAddress(relay)],
        // the NAT: no direct connection in, only relayed ones
        libp2p: { connectionGater: nat(() => homes) },
        config: c => {
          c.nat.role = 'private'
          c.nat.relays = [tcpAddress(relay)]
          // no anti-entropy round during the test: after the pull on connect, only gossip carries a write
          c.memory.syncInterval = 3_600_000
          // the link under test stays relayed: on loopback a WebRTC punch would succeed and close it
          c.nat.webrtc = false
        }
      })
      homes.push(home.peerId)
      nodes.push(home)
    }
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('learn each other\'s relayed address, connect through the relay and gossip a write over that link', async () => {
    const [, a, b] = nodes
    // B's /p2p-circuit address exists only after its reservation: A learns it from the relay, which heard it by identify push
    await waitFor(() => relayed(a, b) && relayed(b, a), { timeout: 30_000, message: 'a relayed connection between the homes' })
    const topic = a.libp2p.services.knowledge!.topic
    await waitFor(() => a.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(b.libp2p.peerId)), { timeout: 15_000, message: 'A to see B on the knowledge topic over the relayed link' })
    const chunk = await a.memory!.put({ text: 'the staging cache is warm again after the deploy' })
    await waitFor(() => b.memory!.holds(chunk.id), { timeout: 15_000, message: 'B to hold the write of A' })
    assert.ok(relayed(a, b), 'the homes never connected directly')
    assert.equal(nodes[0].memory, undefined)
  })
})
