import assert from 'node:assert/strict'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { homesBehind, runUpper } from '../src/relay-homes.js'
import { multiaddr } from '@multiformats/multiaddr'
import type { Connection, Stream, StreamHandler, StreamHandlerOptions } from '@libp2p/interface'
import type { OvermindNode } from '@overmind/node'

/** The part of libp2p's registrar a test reaches to stand in front of a protocol's handler */
interface Registrar {
  getHandler(protocol: string): { handler: StreamHandler, options: StreamHandlerOptions }
  handle(protocol: string, handler: StreamHandler, options: StreamHandlerOptions & { force?: boolean }): Promise<void>
}

// the relay as operators name it too: by a DNS name, which each node resolves before it dials
describe.each([
  ['its address', (addr: string) => addr],
  ['a DNS name', (addr: string) => addr.replace(/^\/ip4\/127\.0\.0\.1\//, '/dns4/localhost/')]
])('run_agent through a circuit relay named by %s', (_, name) => {
  const psk = meshKey()
  const nodes: OvermindNode[] = []

  beforeAll(async () => {
    const relay = await startTestNode({ psk, config: c => { c.nat.role = 'relay'; c.nat.holePunch = false } })
    nodes.push(relay)
    const relayAddr = name(tcpAddress(relay))
    await homesBehind(relayAddr, psk, nodes, { a: ids => [ids.b], b: ids => [ids.a] })
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('runs an agent of B from A over the relayed connection', async () => {
    const [, a, b] = nodes
    assert.equal(a.libp2p.getConnections(b.libp2p.peerId).length, 0)
    const { outcome, output } = await runUpper(a, 'across the relay')
    assert.equal(outcome.host, b.peerId)
    assert.equal(output, 'ACROSS THE RELAY')
    const links = a.libp2p.getConnections(b.libp2p.peerId)
    assert.ok(links.length > 0)
    assert.ok(links.every(c => c.remoteAddr.toString().includes('/p2p-circuit')), `A reaches B by ${links.map(c => c.remoteAddr.toString()).join(', ')}`)
    const report = a.peers().find(p => p.peerId === b.peerId)
    assert.ok(report?.connections.every(c => c.kind === 'relayed'))
    // B took the relayed connection: one through a named relay is matched against the allow list by address
    assert.ok(b.libp2p.getConnections(a.libp2p.peerId).some(c => c.direction === 'inbound'))
  })
})

describe('run_agent when the relayed link is replaced as the request arrives', () => {
  const nodes: OvermindNode[] = []

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('asks again on the direct link that replaced it, and the run is done once', async () => {
    const psk = meshKey()
    const relay = await startTestNode({ psk, config: c => { c.nat.role = 'relay'; c.nat.holePunch = false } })
    nodes.push(relay)
    // B dials A directly only once it "upgrades" the link, as DCUtR's unilateral upgrade would
    let upgrading = false
    const [a, b] = await homesBehind(tcpAddress(relay), psk, nodes, { a: ids => [ids.b], b: ids => upgrading ? [] : [ids.a] }, c => { c.nat.holePunch = false })

    // the first run request B gets on a relayed link: B opens a direct link to A, then closes
    // the relayed one with its streams, before answering (what DCUtR does when it succeeds)
    const registrar = (b.libp2p as unknown as { components: { registrar: Registrar } }).components.registrar
    const protocol = b.libp2p.services.runAgent.protocol
    const original = registrar.getHandler(protocol)
    const requests: string[] = []
    await registrar.handle(protocol, async (stream: Stream, connection: Connection) => {
      const relayed = connection.remoteAddr.toString().includes('/p2p-circuit')
      requests.push(relayed ? 'relayed' : 'direct')
      if (relayed && !upgrading) {
        upgrading = true
        await b.libp2p.dial(multiaddr(tcpAddress(a)), { force: true })
        await connection.close()
        return
      }
      await original.handler(stream, connection)
    }, { ...original.options, force: true })

    const { outcome, output } = await runUpper(a, 'across the relay')
    assert.equal(outcome.host, b.peerId)
    assert.equal(output, 'ACROSS THE RELAY')
    assert.deepEqual(requests, ['relayed', 'direct'])
    // one host, asked twice on two links: one attempt, not a failure of the host
    assert.deepEqual(outcome.attempts.map(x => x.outcome), ['ok'])
    assert.deepEqual(a.libp2p.services.runAgent.router.circuits(), { [b.peerId]: 'closed' })
  })
})
