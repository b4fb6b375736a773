import assert from 'node:assert/strict'
import { multiaddr } from '@multiformats/multiaddr'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import type { OvermindNode } from '@overmind/node'

const open = (from: OvermindNode, to: OvermindNode): string[] =>
  from.libp2p.getConnections(to.libp2p.peerId).filter(c => c.status === 'open').map(c => c.remoteAddr.toString())

describe('one link per peer', () => {
  const psk = meshKey()
  let relay: OvermindNode
  let a: OvermindNode
  let b: OvermindNode

  beforeAll(async () => {
    relay = await startTestNode({ psk, config: cfg => { cfg.nat.role = 'relay'; cfg.nat.webrtc = false } })
    const relayAddr = tcpAddress(relay)
    const start = async (): Promise<OvermindNode> => await startTestNode({
      psk,
      bootstrap: [relayAddr],
      config: cfg => { cfg.nat.role = 'private'; cfg.nat.relays = [relayAddr]; cfg.nat.webrtc = false; cfg.nat.holePunch = false }
    })
    ;[a, b] = await Promise.all([start(), start()])
    await waitFor(() => b.addresses().some(x => x.includes('/p2p-circuit')), { timeout: 15_000, message: 'B never got a relay reservation' })
  })

  afterAll(async () => {
    await Promise.all([a, b, relay].map(async n => { await n?.stop() }))
  })

  it('closes a second direct link and a relayed one once the peer has a direct link, keeping the first', async () => {
    const direct = await a.libp2p.dial(multiaddr(tcpAddress(b)))
    await waitFor(() => open(a, b).length === 1 && open(b, a).length === 1, { timeout: 10_000, message: () => `links A → B: ${open(a, b).join(', ')}` })
    // what an upgrade race leaves: a second direct link, and a relayed one
    const circuit = b.addresses().find(x => x.includes('/p2p-circuit'))
    assert.ok(circuit != null)
    // one after the other: libp2p joins two dials to one peer under way at once
    const second = await a.libp2p.dial(multiaddr(tcpAddress(b)), { force: true })
    const relayed = await a.libp2p.dial(multiaddr(circuit), { force: true })
    assert.notEqual(second.id, direct.id)
    assert.ok(relayed.remoteAddr.toString().includes('/p2p-circuit'))
    // both ends agree on the one link left: the first
    await waitFor(() => open(a, b).length === 1 && open(b, a).length === 1, { timeout: 10_000, message: () => `links A → B: ${open(a, b).join(', ')}; B → A: ${open(b, a).join(', ')}` })
    assert.equal(direct.status, 'open')
    assert.notEqual(second.status, 'open')
    assert.notEqual(relayed.status, 'open')
  })
})
