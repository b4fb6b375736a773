import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { BootstrapFailure, OvermindNode } from '@overmind/node'

describe('mesh key', () => {
  let a: OvermindNode
  let b: OvermindNode
  let outsider: OvermindNode
  const outsiderFailures: BootstrapFailure[] = []

  beforeAll(async () => {
    const psk = meshKey()
    a = await startTestNode({ psk })
    b = await startTestNode({ psk, bootstrap: [tcpAddress(a)] })
    // same mesh name, another key
    outsider = await startTestNode({ psk: meshKey(), bootstrap: [tcpAddress(a)], config: c => { c.discovery.rejoinInterval = 500 } })
    outsider.libp2p.services.dialer.addEventListener('bootstrap:failed', evt => { outsiderFailures.push(evt.detail) })
  })

  afterAll(async () => {
    await Promise.all([a, b, outsider].map(async n => n?.stop()))
  })

  it('lets members with the same key connect and see each other\'s heartbeats', async () => {
    await waitFor(() => a.peers().some(p => p.peerId === b.peerId) && b.peers().some(p => p.peerId === a.peerId), { message: 'a and b to see each other' })
  })

  it('fails the dial of a node with another key to a member', async () => {
    await assert.rejects(outsider.libp2p.dial(multiaddr(tcpAddress(a)), { signal: AbortSignal.timeout(15_000) }))
    assert.equal(outsider.libp2p.getConnections(peerIdFromString(a.peerId)).length, 0)
  })

  it('fails the dial of a member to a node with another key', async () => {
    await assert.rejects(a.libp2p.dial(multiaddr(tcpAddress(outsider)), { signal: AbortSignal.timeout(15_000) }))
    assert.equal(a.libp2p.getConnections(peerIdFromString(outsider.peerId)).length, 0)
  })

  it('never lists the outsider in a member\'s peer table, nor a member in the outsider\'s', async () => {
    // several heartbeat intervals and dial rounds of the outsider
    await delay(3_000)
    for (const member of [a, b]) {
      assert.ok(!member.peers().some(p => p.peerId === outsider.peerId), 'a member lists the outsider')
      assert.equal(member.libp2p.getConnections(peerIdFromString(outsider.peerId)).length, 0)
    }
    assert.deepEqual(outsider.peers(), [])
    assert.equal(outsider.libp2p.getConnections().length, 0)
  })

  it('suspects the key only when no bootstrap peer ever finished a handshake, not when one that did goes away', async () => {
    // a member whose only bootstrap peer stops after they met
    const psk = meshKey()
    const seed = await startTestNode({ psk })
    const member = await startTestNode({ psk, bootstrap: [tcpAddress(seed)], config: c => { c.discovery.rejoinInterval = 500 } })
    try {
      await waitFor(() => member.libp2p.getConnections(peerIdFromString(seed.peerId)).length > 0, { message: 'the member to meet its bootstrap peer' })
      const memberFailure = new Promise<BootstrapFailure>(resolve => {
        member.libp2p.services.dialer.addEventListener('bootstrap:failed', evt => { resolve(evt.detail) }, { once: true })
      })
      await seed.stop()
      assert.equal((await memberFailure).handshakeSeen, true, 'its peer answered before: down, not a key mismatch')
      await waitFor(() => outsiderFailures.length > 0, { timeout: 60_000, message: 'the outsider to give up on its bootstrap peer' })
      assert.equal(outsiderFailures[0].handshakeSeen, false, 'no handshake ever: the key may differ')
    } finally {
      await member.stop()
      await seed.stop()
    }
  })
})
