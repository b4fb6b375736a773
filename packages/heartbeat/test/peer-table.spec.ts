import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { PeerTable, missed } from '../src/index.js'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerEntry } from '../src/index.js'
import type { Heartbeat } from '@overmind/protocols'

const PEER_A = '12D3KooWPUctyKhcmpJqp9A91yeJdhxCmXJRpkSYq5kh6iBkU4U9'
const PEER_B = '12D3KooWSqtLGJz4kqoD5fjGPLdJYGZxBmBfibwDrvHSzUn6m6zA'
const PEER_C = '12D3KooWLed17Dha3bZJd1BY6nBzAz9vKieLkx426Um93WSbb6Ky'

const T0 = 1_700_000_000_000
const STARTED = T0 - 60_000

function makeBeat (fields: Partial<Heartbeat> = {}): Heartbeat {
  return {
    nodeId: new Uint8Array(0),
    mesh: 'demo',
    addresses: [],
    agents: [],
    load: 0.25,
    queueDepth: 0,
    freeSlots: 1,
    version: 'overmind/0.1.0',
    hlcWallTime: BigInt(T0),
    hlcLogical: 0,
    seq: 1n,
    startedAt: BigInt(STARTED),
    intervalMs: 1_000,
    name: 'node-a',
    links: [],
    memoryChunks: 0n,
    replicationLagMs: 0,
    stun: [],
    ...fields
  }
}

function makeTable (init: Partial<{ staleAfter: number, goneAfter: number, forgetAfter: number }> = {}): PeerTable {
  return new PeerTable({ staleAfter: 2, goneAfter: 5, forgetAfter: 720, ...init })
}

const connected = (): boolean => true
const notConnected = (): boolean => false

function mustGet (table: PeerTable, peerId: string, now: number, isConnected = notConnected): PeerEntry {
  const entry = table.get(peerId, now, isConnected)
  assert.ok(entry != null, `expected ${peerId} in the table`)
  return entry
}

describe('missed', () => {
  it('counts a beat as missed only half an interval after it was due', () => {
    assert.equal(missed(0, 1_000), 0)
    assert.equal(missed(1_499, 1_000), 0)
    assert.equal(missed(1_500, 1_000), 1)
    assert.equal(missed(2_499, 1_000), 1)
    assert.equal(missed(2_500, 1_000), 2)
    assert.equal(missed(5_500, 1_000), 5)
  })

  it('never goes negative when the local clock is behind lastSeen', () => {
    assert.equal(missed(-10_000, 1_000), 0)
  })
})

describe('PeerTable', () => {
  it('reports a new peer as connected when a connection to it is open', () => {
    const table = makeTable()
    assert.equal(table.record({ peerId: PEER_A, beat: makeBeat(), addresses: [], receivedAt: T0 }), true)

    const entry = mustGet(table, PEER_A, T0, connected)
    assert.equal(entry.status, 'connected')
    assert.equal(entry.missedBeats, 0)
    assert.equal(entry.firstSeen, T0)
    assert.equal(entry.lastSeen, T0)
    assert.equal(entry.beats, 1)
    assert.equal(entry.restarts, 0)
  })

  it('reports a new peer as alive when its beats arrive through other peers', () => {
    const table = makeTable()
    table.record({ peerId: PEER_A, beat: makeBeat(), addresses: [], receivedAt: T0 })

    assert.equal(mustGet(table, PEER_A, T0, notConnected).status, 'alive')
  })

  it('asks isConnected about the peer the entry is for', () => {
    const table = makeTable()
    table.record({ peerId: PEER_A, beat: makeBeat(), addresses: [], receivedAt: T0 })
    table.record({ peerId: PEER_B, beat: makeBeat(), addresses: [], receivedAt: T0 })

    const statuses = new Map(table.entries(T0, id => id === PEER_B).map(e => [e.peerId, e.status]))
    assert.equal(statuses.get(PEER_A), 'alive')
    assert.equal(statuses.get(PEER_B), 'connected')
  })

  it('copies what the beat announced into the entry', () => {
    const table = makeTable()
    const agents = [{ name: 'coder', version: '1.0.0', capabilities: ['ts'], description: 'writes TypeScript', skills: ['code'], concurrency: 2, freeSlots: 1, queueDepth: 3 }]
    table.record({
      peerId: PEER_A,
      beat: makeBeat({ agents, load: 0.5, queueDepth: 4, freeSlots: 2, version: 'overmind/9', hlcWallTime: BigInt(T0 + 5), hlcLogical: 7, seq: 9n, intervalMs: 2_000, name: 'rack-7', links: [peerIdFromString(PEER_B).toMultihash().bytes, peerIdFromString(PEER_C).toMultihash().bytes, new Uint8Array([1, 2, 3])], memoryChunks: 1234n, replicationLagMs: 85 }),
      addresses: ['/ip4/127.0.0.1/tcp/4001'],
      receivedAt: T0
    })

    const entry = mustGet(table, PEER_A, T0)
    assert.deepEqual(entry.addresses, ['/ip4/127.0.0.1/tcp/4001'])
    assert.deepEqual(entry.agents, agents)
    assert.equal(entry.load, 0.5)
    assert.equal(entry.queueDepth, 4)
    assert.equal(entry.freeSlots, 2)
    assert.equal(entry.version, 'overmind/9')
    assert.deepEqual(entry.hlc, { wallTime: T0 + 5, logical: 7 })
    assert.equal(entry.seq, 9)
    assert.equal(entry.startedAt, STARTED)
    assert.equal(entry.intervalMs, 2_000)
    assert.equal(entry.rtt, undefined)
    assert.equal(entry.name, 'rack-7')
    // the peers it is connected to, as peer ids; bytes that are no multihash are left out
    assert.deepEqual(entry.links, [PEER_B, PEER_C])
    assert.equal(entry.memoryChunks, 1234)
    assert.equal(entry.replicationLagMs, 85)
  })

  it('names the links of every beat the same way, from bytes seen before or views into a larger message', () => {
    const table = makeTable()
    const b = peerIdFromString(PEER_B).toMultihash().bytes
    const c = peerIdFromString(PEER_C).toMultihash().bytes
    table.record({ peerId: PEER_A, beat: makeBeat({ links: [b, new Uint8Array([1, 2, 3])] }), addresses: [], receivedAt: T0 })
    // as decoded from a message: each link a view at some offset of one buffer
    const message = new Uint8Array(5 + c.length + b.length + 3)
    message.set(c, 5)
    message.set(b, 5 + c.length)
    message.set([1, 2, 3], 5 + c.length + b.length)
    const views = [message.subarray(5, 5 + c.length), message.subarray(5 + c.length, 5 + c.length + b.length), message.subarray(5 + c.length + b.length)]
    table.record({ peerId: PEER_C, beat: makeBeat({ links: views }), addresses: [], receivedAt: T0 })
    table.record({ peerId: PEER_B, beat: makeBeat({ links: [c] }), addresses: [], receivedAt: T0 })
    assert.deepEqual(mustGet(table, PEER_A, T0).links, [PEER_B])
    assert.deepEqual(mustGet(table, PEER_C, T0).links, [PEER_C, PEER_B])
    assert.deepEqual(mustGet(table, PEER_B, T0).links, [PEER_C])
  })

  it('turns a peer stale after staleAfter missed beats and gone after goneAfter', () => {
    const table = makeTable({ staleAfter: 2, goneAfter: 5 })
    table.record({ peerId: PEER_A, beat: makeBeat({ intervalMs: 1_000 }), addresses: [], receivedAt: T0 })

    // the last moment before the second missed beat, then the first moment after
    const staleAt = T0 + 2 * 1_000 + 500
    assert.equal(missed(staleAt - 1 - T0, 1_000), 1)
    assert.equal(missed(staleAt - T0, 1_000), 2)
    assert.equal(mustGet(table, PEER_A, staleAt - 1, connected).status, 'connected')
    const stale = mustGet(table, PEER_A, staleAt, connected)
    assert.equal(stale.status, 'stale')
    assert.equal(stale.missedBeats, 2)

    const goneAt = T0 + 5 * 1_000 + 500
    assert.equal(missed(goneAt - T0, 1_000), 5)
    assert.equal(mustGet(table, PEER_A, goneAt - 1, connected).status, 'stale')
    const gone = mustGet(table, PEER_A, goneAt, connected)
    assert.equal(gone.status, 'gone')
    assert.equal(gone.missedBeats, 5)
  })

  it('counts missed beats in the interval the sender announced, not a local one', () => {
    const table = makeTable({ staleAfter: 2, goneAfter: 5 })
    table.record({ peerId: PEER_A, beat: makeBeat({ intervalMs: 1_000 }), addresses: [], receivedAt: T0 })
    table.record({ peerId: PEER_B, beat: makeBeat({ intervalMs: 10_000 }), addresses: [], receivedAt: T0 })

    const now = T0 + 6_000
    const a = mustGet(table, PEER_A, now)
    const b = mustGet(table, PEER_B, now)
    assert.equal(a.missedBeats, missed(6_000, 1_000))
    assert.equal(a.status, 'gone')
    assert.equal(b.missedBeats, missed(6_000, 10_000))
    assert.equal(b.status, 'alive')
  })

  it('refuses a beat of the same run whose seq is lower or equal, and keeps lastSeen', () => {
    const table = makeTable()
    assert.equal(table.record({ peerId: PEER_A, beat: makeBeat({ seq: 5n, load: 0.1 }), addresses: ['/ip4/1.1.1.1/tcp/1'], receivedAt: T0 }), true)

    assert.equal(table.record({ peerId: PEER_A, beat: makeBeat({ seq: 5n, load: 0.9 }), addresses: [], receivedAt: T0 + 1_000 }), false)
    assert.equal(table.record({ peerId: PEER_A, beat: makeBeat({ seq: 4n, load: 0.9 }), addresses: [], receivedAt: T0 + 2_000 }), false)

    const entry = mustGet(table, PEER_A, T0 + 2_000)
    assert.equal(entry.lastSeen, T0)
    assert.equal(entry.seq, 5)
    assert.equal(entry.load, 0.1)
    assert.deepEqual(entry.addresses, ['/ip4/1.1.1.1/tcp/1'])
    assert.equal(entry.beats, 1)
  })

  it('accepts the next beat of the same run and moves lastSeen', () => {
    const table = makeTable()
    table.record({ peerId: PEER_A, beat: makeBeat({ seq: 5n }), addresses: [], receivedAt: T0 })

    assert.equal(table.record({ peerId: PEER_A, beat: makeBeat({ seq: 6n }), addresses: [], receivedAt: T0 + 1_000 }), true)

    const entry = mustGet(table, PEER_A, T0 + 1_000)
    assert.equal(entry.lastSeen, T0 + 1_000)
    assert.equal(entry.firstSeen, T0)
    assert.equal(entry.seq, 6)
    assert.equal(entry.beats, 2)
    assert.equal(entry.restarts, 0)
  })

  it('accepts a beat with a newer startedAt as a restart even with seq 1', () => {
    const table = makeTable()
    table.record({ peerId: PEER_A, beat: makeBeat({ seq: 40n }), addresses: [], receivedAt: T0 })

    const restartedAt = BigInt(T0 + 500)
    assert.equal(table.record({ peerId: PEER_A, beat: makeBeat({ seq: 1n, startedAt: restartedAt }), addresses: [], receivedAt: T0 + 1_000 }), true)

    const entry = mustGet(table, PEER_A, T0 + 1_000)
    assert.equal(entry.restarts, 1)
    assert.equal(entry.seq, 1)
    assert.equal(entry.startedAt, T0 + 500)
    assert.equal(entry.lastSeen, T0 + 1_000)
    assert.equal(entry.firstSeen, T0)
    assert.equal(entry.beats, 2)

    // the new run then continues normally
    assert.equal(table.record({ peerId: PEER_A, beat: makeBeat({ seq: 2n, startedAt: restartedAt }), addresses: [], receivedAt: T0 + 2_000 }), true)
    assert.equal(mustGet(table, PEER_A, T0 + 2_000).restarts, 1)
  })

  it('refuses a beat from an earlier run after a restart', () => {
    const table = makeTable()
    table.record({ peerId: PEER_A, beat: makeBeat({ seq: 1n, startedAt: BigInt(T0) }), addresses: [], receivedAt: T0 })

    assert.equal(table.record({ peerId: PEER_A, beat: makeBeat({ seq: 100n, startedAt: BigInt(T0 - 1) }), addresses: [], receivedAt: T0 + 1_000 }), false)

    const entry = mustGet(table, PEER_A, T0 + 1_000)
    assert.equal(entry.lastSeen, T0)
    assert.equal(entry.seq, 1)
    assert.equal(entry.startedAt, T0)
    assert.equal(entry.restarts, 0)
  })

  it('prunes gone peers silent for more than forgetAfter intervals and keeps the others', () => {
    const table = makeTable({ staleAfter: 2, goneAfter: 5, forgetAfter: 10 })
    table.record({ peerId: PEER_A, beat: makeBeat({ intervalMs: 1_000 }), addresses: [], receivedAt: T0 })
    table.record({ peerId: PEER_B, beat: makeBeat({ intervalMs: 1_000 }), addresses: [], receivedAt: T0 + 9_000 })
    table.record({ peerId: PEER_C, beat: makeBeat({ intervalMs: 100_000 }), addresses: [], receivedAt: T0 })

    // exactly forgetAfter intervals of silence is not yet enough
    assert.deepEqual(table.prune(T0 + 10_000), [])
    assert.equal(table.size, 3)
    assert.equal(mustGet(table, PEER_A, T0 + 10_000).status, 'gone')

    assert.deepEqual(table.prune(T0 + 10_001), [PEER_A])
    assert.equal(table.has(PEER_A), false)
    assert.equal(table.get(PEER_A, T0 + 10_001, notConnected), undefined)
    assert.equal(table.has(PEER_B), true)
    assert.equal(table.has(PEER_C), true)
    assert.equal(table.size, 2)
    assert.deepEqual(table.entries(T0 + 10_001, notConnected).map(e => e.peerId).sort(), [PEER_B, PEER_C].sort())
  })

  it('keeps a stale peer when forgetAfter is shorter than goneAfter', () => {
    const table = makeTable({ staleAfter: 2, goneAfter: 5, forgetAfter: 1 })
    table.record({ peerId: PEER_A, beat: makeBeat({ intervalMs: 1_000 }), addresses: [], receivedAt: T0 })
    const now = T0 + 3_000
    assert.equal(mustGet(table, PEER_A, now).status, 'stale')

    assert.deepEqual(table.prune(now), [])
    assert.equal(table.has(PEER_A), true)
  })

  it('lists entries most recently seen first', () => {
    const table = makeTable()
    table.record({ peerId: PEER_A, beat: makeBeat(), addresses: [], receivedAt: T0 + 100 })
    table.record({ peerId: PEER_B, beat: makeBeat(), addresses: [], receivedAt: T0 + 300 })
    table.record({ peerId: PEER_C, beat: makeBeat(), addresses: [], receivedAt: T0 + 200 })

    assert.deepEqual(table.entries(T0 + 300, notConnected).map(e => e.peerId), [PEER_B, PEER_C, PEER_A])

    table.record({ peerId: PEER_A, beat: makeBeat({ seq: 2n }), addresses: [], receivedAt: T0 + 400 })
    assert.deepEqual(table.entries(T0 + 400, notConnected).map(e => e.peerId), [PEER_A, PEER_B, PEER_C])
  })

  it('shows the recorded round-trip time in entries and keeps it across beats', () => {
    const table = makeTable()
    table.record({ peerId: PEER_A, beat: makeBeat(), addresses: [], receivedAt: T0 })
    table.record({ peerId: PEER_B, beat: makeBeat(), addresses: [], receivedAt: T0 })

    table.recordRtt(PEER_A, 12)
    assert.equal(mustGet(table, PEER_A, T0).rtt, 12)
    assert.equal(mustGet(table, PEER_B, T0).rtt, undefined)
    assert.equal(table.entries(T0, notConnected).find(e => e.peerId === PEER_A)?.rtt, 12)

    table.recordRtt(PEER_A, 7)
    table.record({ peerId: PEER_A, beat: makeBeat({ seq: 2n }), addresses: [], receivedAt: T0 + 1_000 })
    assert.equal(mustGet(table, PEER_A, T0 + 1_000).rtt, 7)
  })

  it('ignores a round-trip time for a peer it does not know', () => {
    const table = makeTable()
    table.recordRtt(PEER_A, 12)

    assert.equal(table.has(PEER_A), false)
    assert.equal(table.size, 0)
  })
})

describe('PeerTable.isNewer and live', () => {
  it('says whether a beat would be recorded, as record decides', () => {
    const table = makeTable()
    assert.equal(table.isNewer(PEER_A, makeBeat({ seq: 3n })), true, 'an unknown peer')
    table.record({ peerId: PEER_A, beat: makeBeat({ seq: 3n }), addresses: [], receivedAt: T0 })
    assert.equal(table.isNewer(PEER_A, makeBeat({ seq: 3n })), false, 'the same beat')
    assert.equal(table.isNewer(PEER_A, makeBeat({ seq: 2n })), false, 'an older beat of the same run')
    assert.equal(table.isNewer(PEER_A, makeBeat({ seq: 4n })), true, 'the next beat')
    assert.equal(table.isNewer(PEER_A, makeBeat({ seq: 1n, startedAt: BigInt(STARTED + 1) })), true, 'a later run')
    assert.equal(table.isNewer(PEER_A, makeBeat({ seq: 9n, startedAt: BigInt(STARTED - 1) })), false, 'an earlier run')
  })

  it('counts the peers that are not gone', () => {
    const table = makeTable({ goneAfter: 5 })
    table.record({ peerId: PEER_A, beat: makeBeat(), addresses: [], receivedAt: T0 })
    table.record({ peerId: PEER_B, beat: makeBeat(), addresses: [], receivedAt: T0 - 3_000 })
    table.record({ peerId: PEER_C, beat: makeBeat(), addresses: [], receivedAt: T0 - 10_000 })
    assert.equal(table.live(T0), 2)
    assert.equal(table.live(T0 + 3_000), 1)
    assert.equal(table.live(T0 + 60_000), 0)
  })
})
