import assert from 'node:assert/strict'
import { ConnectionClosedError } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, it } from 'vitest'
import { linkTakenOver, openStream, rankConnections } from '../src/connections.js'
import type { StreamOpener } from '../src/connections.js'
import type { Connection, PeerId, Stream } from '@libp2p/interface'

const peer = { toString: () => '12D3KooWPeer' } as unknown as PeerId

/** A connection whose `newStream` answers with `stream`, or throws `fails` */
function connection (address: string, stream: string, fails?: Error): Connection {
  return {
    remoteAddr: multiaddr(address),
    status: 'open',
    limits: address.includes('/p2p-circuit') ? { bytes: 1n << 20n } : undefined,
    newStream: async () => {
      if (fails != null) throw fails
      return { id: stream } as unknown as Stream
    }
  } as unknown as Connection
}

/** A connection manager whose dials answer from `dials`, one per call, and whose open connections are `open` */
function opener (open: Connection[], dials: Array<Stream | Error>): StreamOpener & { dialled: number } {
  const manager = {
    dialled: 0,
    getConnections: () => open,
    openStream: async () => {
      const next = dials[manager.dialled++]
      if (next instanceof Error) throw next
      if (next == null) throw new Error('no dial expected')
      return next
    }
  }
  return manager
}

const id = (stream: Stream): string => (stream as unknown as { id: string }).id

describe('openStream', () => {
  it('opens the stream on the best open link, direct before relayed', async () => {
    const relayed = connection('/ip4/10.0.0.1/tcp/1/p2p/12D3KooWRelay/p2p-circuit', 'relayed')
    const direct = connection('/ip4/10.0.0.2/tcp/2', 'direct')
    assert.deepEqual(rankConnections([relayed, direct]), [direct, relayed])
    const manager = opener([relayed, direct], [])
    assert.equal(id(await openStream(manager, peer, '/p/1')), 'direct')
    assert.equal(manager.dialled, 0)
  })

  it('takes the next link when the best one refuses the stream, and dials only when none takes it', async () => {
    const broken = connection('/ip4/10.0.0.2/tcp/2', 'direct', new Error('ICE failed'))
    const relayed = connection('/ip4/10.0.0.1/tcp/1/p2p/12D3KooWRelay/p2p-circuit', 'relayed')
    assert.equal(id(await openStream(opener([broken, relayed], []), peer, '/p/1')), 'relayed')
    const manager = opener([broken], [{ id: 'dialled' } as unknown as Stream])
    assert.equal(id(await openStream(manager, peer, '/p/1')), 'dialled')
    assert.equal(manager.dialled, 1)
  })

  it('dials once more when the dialled connection closed as it opened', async () => {
    const manager = opener([], [new ConnectionClosedError('Remote closed connection during opening'), { id: 'second' } as unknown as Stream])
    assert.equal(id(await openStream(manager, peer, '/p/1')), 'second')
    assert.equal(manager.dialled, 2)
  })

  it('gives up after the second closed dial, and at once on any other dial error', async () => {
    const closed = opener([], [new ConnectionClosedError('closed'), new ConnectionClosedError('closed again'), { id: 'never' } as unknown as Stream])
    await assert.rejects(openStream(closed, peer, '/p/1'), /closed again/)
    assert.equal(closed.dialled, 2)
    const unreachable = opener([], [new Error('All multiaddr dials failed'), { id: 'never' } as unknown as Stream])
    await assert.rejects(openStream(unreachable, peer, '/p/1'), /All multiaddr dials failed/)
    assert.equal(unreachable.dialled, 1)
  })

  it('does not dial again once the caller gave up', async () => {
    const controller = new AbortController()
    const manager = opener([], [new ConnectionClosedError('closed'), { id: 'never' } as unknown as Stream])
    const original = manager.openStream
    manager.openStream = async (...args) => {
      try {
        return await original(...args)
      } finally {
        controller.abort(new Error('deadline'))
      }
    }
    await assert.rejects(openStream(manager, peer, '/p/1', { signal: controller.signal }), /deadline/)
    assert.equal(manager.dialled, 1)
  })
})

describe('linkTakenOver', () => {
  const eof = Object.assign(new Error('Unexpected EOF'), { name: 'UnexpectedEOFError' })
  const reset = Object.assign(new Error('stream reset'), { name: 'StreamResetError' })

  it('says a relayed link that closed was taken over by the direct one open now, and one still open by a better one', async () => {
    const relayed = connection('/ip4/10.0.0.1/tcp/1/p2p/12D3KooWRelay/p2p-circuit', 'relayed')
    const direct = connection('/ip4/10.0.0.2/tcp/2', 'direct')
    assert.equal(await linkTakenOver(() => [relayed, direct], relayed, reset), true)
    Object.assign(relayed, { status: 'closed' })
    assert.equal(await linkTakenOver(() => [direct], relayed, reset), true)
  })

  it('never when no other link is open (the peer may be gone), nor for a link as good as the others', async () => {
    const closed = Object.assign(connection('/ip4/10.0.0.2/tcp/2', 'direct'), { status: 'closed' })
    assert.equal(await linkTakenOver(() => [], closed, eof), false)
    const direct = connection('/ip4/10.0.0.2/tcp/2', 'direct')
    const relayed = connection('/ip4/10.0.0.1/tcp/1/p2p/12D3KooWRelay/p2p-circuit', 'relayed')
    assert.equal(await linkTakenOver(() => [direct, relayed], direct, reset), false)
  })

  it('after a stream ended, waits for its link to close; after a reset, does not wait', async () => {
    const relayed = connection('/ip4/10.0.0.1/tcp/1/p2p/12D3KooWRelay/p2p-circuit', 'relayed')
    const other = connection('/ip4/10.0.0.3/tcp/3/p2p/12D3KooWRelay2/p2p-circuit', 'other relayed')
    assert.equal(await linkTakenOver(() => [relayed, other], relayed, reset), false)
    setTimeout(() => { Object.assign(relayed, { status: 'closed' }) }, 100)
    assert.equal(await linkTakenOver(() => [relayed, other], relayed, eof), true)
  })
})
