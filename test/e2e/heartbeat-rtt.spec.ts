import assert from 'node:assert/strict'
import { afterAll, describe, it } from 'vitest'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { homesBehind, runUpper } from '../src/relay-homes.js'
import { waitFor } from '../src/wait.js'
import type { PeerId } from '@libp2p/interface'
import type { OvermindNode } from '@overmind/node'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * Records the peers `node` asks libp2p's ping about while every open
 * connection to them is limited (relayed): such a ping dials the peer's
 * announced addresses, since libp2p opens the ping's stream on a connection
 * that is not limited. The DHT's check of a new routing-table contact is left
 * out: it is meant to dial, as the table keeps only peers it can dial.
 */
function pingsOverRelayOnly (node: OvermindNode): string[] {
  const asked: string[] = []
  const ping = node.libp2p.services.ping
  const original = ping.ping.bind(ping)
  ping.ping = async (peer: PeerId | Multiaddr | Multiaddr[], options) => {
    if (!Array.isArray(peer) && 'toMultihash' in peer) {
      const open = node.libp2p.getConnections(peer).filter(c => c.status === 'open')
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 50
      const caller = new Error().stack ?? ''
      Error.stackTraceLimit = limit
      if (open.length > 0 && open.every(c => c.limits != null) && !caller.includes('/@libp2p/kad-dht/')) asked.push(peer.toString())
    }
    return await original(peer, options)
  }
  return asked
}

/** Resolves once `node` has taken `count` more beats of `peer` */
async function beatsOf (node: OvermindNode, peer: string, count: number): Promise<void> {
  let seen = 0
  const heartbeat = node.libp2p.services.heartbeat
  const counted = (evt: CustomEvent<{ peerId: string }>): void => { if (evt.detail.peerId === peer) seen++ }
  heartbeat.addEventListener('heartbeat', counted)
  try {
    await waitFor(() => seen >= count, { timeout: 15_000, message: `${count} beats of ${peer} never arrived (${seen} did)` })
  } finally {
    heartbeat.removeEventListener('heartbeat', counted)
  }
}

describe('round-trip times in the peer table', () => {
  const nodes: OvermindNode[] = []

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('shows the RTT of a peer on a direct link as soon as its first beat arrives', async () => {
    const psk = meshKey()
    const a = await startTestNode({ psk })
    nodes.push(a)
    const b = await startTestNode({ psk, bootstrap: [tcpAddress(a)] })
    nodes.push(b)
    // the connection monitor pings every 15 s: an RTT before that is the first beat's ping
    await waitFor(() => b.libp2p.services.heartbeat.getPeer(a.peerId)?.rtt != null, { timeout: 10_000, message: 'B never showed A\'s RTT' })
    const entry = b.libp2p.services.heartbeat.getPeer(a.peerId)
    assert.equal(entry?.status, 'connected')
    assert.ok(entry.rtt != null && entry.rtt >= 0 && entry.rtt < 10_000, `rtt ${String(entry.rtt)}`)
  })

  it('does not dial a peer it reaches only through a relay to ping it, beat after beat', async () => {
    const psk = meshKey()
    const relay = await startTestNode({ psk, config: c => { c.nat.role = 'relay'; c.nat.holePunch = false } })
    nodes.push(relay)
    // neither home can dial the other: a ping that dials fails, and would be asked again on the next beat
    const [a, b] = await homesBehind(tcpAddress(relay), psk, nodes, { a: ids => [ids.b], b: ids => [ids.a] }, c => { c.nat.holePunch = false })
    const asked = pingsOverRelayOnly(b)

    const { output } = await runUpper(a, 'over the relay')
    assert.equal(output, 'OVER THE RELAY')
    assert.ok(b.libp2p.getConnections(a.libp2p.peerId).some(c => c.status === 'open' && c.limits != null), 'B holds the relayed link A opened')
    await beatsOf(b, a.peerId, 5)

    const entry = b.libp2p.services.heartbeat.getPeer(a.peerId)
    assert.equal(entry?.status, 'connected')
    assert.deepEqual(asked, [], 'B pinged A, reached only through the relay, with libp2p\'s ping, which dials')
    assert.ok(b.libp2p.getConnections(a.libp2p.peerId).every(c => c.limits != null), 'B reaches A through the relay only')
  })
})
