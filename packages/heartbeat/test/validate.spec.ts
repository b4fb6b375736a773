import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { Heartbeat, MAX_HEARTBEAT_SIZE, MAX_STRING_LENGTH } from '@overmind/protocols'
import { InvalidHeartbeatError, validateHeartbeat } from '../src/index.js'
import { stunUrl } from '../src/validate.js'
import type { RejectReason } from '../src/index.js'

// @libp2p/crypto is not a dependency of @overmind/heartbeat: fixed Ed25519 peer ids instead
const AUTHOR = peerIdFromString('12D3KooWPUctyKhcmpJqp9A91yeJdhxCmXJRpkSYq5kh6iBkU4U9')
const OTHER = peerIdFromString('12D3KooWSqtLGJz4kqoD5fjGPLdJYGZxBmBfibwDrvHSzUn6m6zA')
const MESH = 'demo'
const NOW = 1_700_000_000_000

function encodeBeat (fields: Partial<Heartbeat> = {}): Uint8Array {
  return Heartbeat.encode({
    nodeId: AUTHOR.toMultihash().bytes,
    mesh: MESH,
    addresses: [multiaddr('/ip4/127.0.0.1/tcp/4001').bytes],
    agents: [],
    load: 0.5,
    queueDepth: 0,
    freeSlots: 2,
    version: 'overmind/0.1.0',
    hlcWallTime: BigInt(NOW),
    hlcLogical: 0,
    seq: 1n,
    startedAt: BigInt(NOW - 1_000),
    intervalMs: 30_000,
    ...fields
  })
}

/** Appends an unknown length-delimited field (number 15) so the beat is exactly `size` bytes */
function padTo (data: Uint8Array, size: number): Uint8Array {
  const n = size - data.byteLength - 3
  assert.ok(n >= 128 && n < 16_384, 'padding length must be a two byte varint')
  const out = new Uint8Array(size)
  out.set(data)
  out.set([(15 << 3) | 2, (n & 0x7f) | 0x80, n >> 7], data.byteLength)
  return out
}

function assertRejected (data: Uint8Array, reason: RejectReason, mesh = MESH, author = AUTHOR): void {
  assert.throws(() => validateHeartbeat(data, author, mesh), (err: unknown) => {
    assert.ok(err instanceof InvalidHeartbeatError, `expected InvalidHeartbeatError, got ${String(err)}`)
    assert.equal(err.name, 'InvalidHeartbeatError')
    assert.equal(err.reason, reason, err.message)
    return true
  })
}

describe('validateHeartbeat', () => {
  it('accepts a valid beat and decodes its addresses', () => {
    const data = encodeBeat({
      addresses: [multiaddr('/ip4/127.0.0.1/tcp/4001').bytes, multiaddr('/ip6/::1/tcp/4002/ws').bytes],
      agents: [{ name: 'coder', version: '1.2.3', capabilities: ['ts', 'review'], description: 'reviews TypeScript', skills: ['review'], concurrency: 2, freeSlots: 1, queueDepth: 0 }],
      seq: 7n
    })

    const { beat, addresses } = validateHeartbeat(data, AUTHOR, MESH)

    assert.deepEqual(addresses.map(ma => ma.toString()), ['/ip4/127.0.0.1/tcp/4001', '/ip6/::1/tcp/4002/ws'])
    assert.equal(beat.mesh, MESH)
    assert.equal(beat.seq, 7n)
    assert.equal(beat.intervalMs, 30_000)
    assert.equal(beat.agents[0].name, 'coder')
    assert.deepEqual(beat.agents[0].capabilities, ['ts', 'review'])
    assert.deepEqual(beat.nodeId, AUTHOR.toMultihash().bytes)
  })

  it('accepts a beat of exactly 8 KiB', () => {
    const data = padTo(encodeBeat(), MAX_HEARTBEAT_SIZE)
    assert.equal(data.byteLength, 8 * 1024)

    assert.equal(validateHeartbeat(data, AUTHOR, MESH).beat.seq, 1n)
  })

  it('rejects an otherwise valid beat larger than 8 KiB as oversized', () => {
    assertRejected(padTo(encodeBeat(), MAX_HEARTBEAT_SIZE + 1), 'oversized')
  })

  it('checks the size before decoding', () => {
    assertRejected(new Uint8Array(MAX_HEARTBEAT_SIZE + 1).fill(0xff), 'oversized')
  })

  it('rejects bytes that are not a protobuf heartbeat as malformed', () => {
    assertRejected(new Uint8Array(16).fill(0xff), 'malformed')
  })

  it('rejects a truncated heartbeat as malformed', () => {
    const data = encodeBeat()
    assertRejected(data.subarray(0, 10), 'malformed')
    assertRejected(data.subarray(0, data.byteLength - 1), 'malformed')
  })

  it('accepts 32 addresses and rejects 33 as malformed', () => {
    const addresses = Array.from({ length: 33 }, (_, i) => multiaddr(`/ip4/10.0.0.${i + 1}/tcp/4001`).bytes)

    assert.equal(validateHeartbeat(encodeBeat({ addresses: addresses.slice(0, 32) }), AUTHOR, MESH).addresses.length, 32)
    assertRejected(encodeBeat({ addresses }), 'malformed')
  })

  it('rejects an agent with more than 32 capabilities as malformed', () => {
    const capabilities = Array.from({ length: 33 }, (_, i) => `cap-${i}`)
    const agent = { name: 'coder', version: '1', capabilities, description: '', skills: [], concurrency: 1, freeSlots: 1, queueDepth: 0 }

    assertRejected(encodeBeat({ agents: [agent] }), 'malformed')
  })

  it('rejects a heartbeat whose node id is not its signer', () => {
    assertRejected(encodeBeat({ nodeId: OTHER.toMultihash().bytes }), 'author-mismatch')
    assertRejected(encodeBeat(), 'author-mismatch', MESH, OTHER)
  })

  it('rejects a heartbeat without a node id as author-mismatch', () => {
    assertRejected(encodeBeat({ nodeId: new Uint8Array(0) }), 'author-mismatch')
  })

  it('rejects a heartbeat for another mesh', () => {
    assertRejected(encodeBeat({ mesh: 'other' }), 'wrong-mesh')
    assertRejected(encodeBeat(), 'wrong-mesh', 'other')
  })

  it('rejects an interval outside 100..3 600 000 ms', () => {
    assertRejected(encodeBeat({ intervalMs: 0 }), 'bad-interval')
    assertRejected(encodeBeat({ intervalMs: 99 }), 'bad-interval')
    assertRejected(encodeBeat({ intervalMs: 3_600_001 }), 'bad-interval')
    assertRejected(encodeBeat({ intervalMs: 4_000_000 }), 'bad-interval')
  })

  it('accepts the smallest and largest intervals', () => {
    assert.equal(validateHeartbeat(encodeBeat({ intervalMs: 100 }), AUTHOR, MESH).beat.intervalMs, 100)
    assert.equal(validateHeartbeat(encodeBeat({ intervalMs: 3_600_000 }), AUTHOR, MESH).beat.intervalMs, 3_600_000)
  })

  it('checks in the order of the spec: author, then mesh, then interval', () => {
    assertRejected(encodeBeat({ nodeId: OTHER.toMultihash().bytes, mesh: 'other', intervalMs: 0 }), 'author-mismatch')
    assertRejected(encodeBeat({ mesh: 'other', intervalMs: 0, seq: 0n }), 'wrong-mesh')
    assertRejected(encodeBeat({ intervalMs: 0, seq: 0n }), 'bad-interval')
  })

  it('accepts a version of 256 bytes and rejects one of 300 bytes as malformed', () => {
    assert.equal(validateHeartbeat(encodeBeat({ version: 'v'.repeat(MAX_STRING_LENGTH) }), AUTHOR, MESH).beat.version.length, 256)
    assertRejected(encodeBeat({ version: 'v'.repeat(300) }), 'malformed')
  })

  it('measures string limits in bytes, not characters', () => {
    // 129 two-byte characters: 258 bytes
    assertRejected(encodeBeat({ version: 'é'.repeat(129) }), 'malformed')
  })

  it('rejects an agent name, version or capability longer than 256 bytes as malformed', () => {
    const long = 'x'.repeat(MAX_STRING_LENGTH + 1)
    const agent = { name: 'coder', version: '1', capabilities: ['ts'], description: '', skills: [] as string[], concurrency: 1, freeSlots: 1, queueDepth: 0 }

    assertRejected(encodeBeat({ agents: [{ ...agent, name: long }] }), 'malformed')
    assertRejected(encodeBeat({ agents: [{ ...agent, version: long }] }), 'malformed')
    assertRejected(encodeBeat({ agents: [{ ...agent, capabilities: ['ts', long] }] }), 'malformed')
    assertRejected(encodeBeat({ agents: [{ ...agent, description: long }] }), 'malformed')
    assertRejected(encodeBeat({ agents: [{ ...agent, skills: ['ok', long] }] }), 'malformed')
  })

  it('rejects seq 0 as malformed', () => {
    assertRejected(encodeBeat({ seq: 0n }), 'malformed')
  })

  it('rejects timestamps above 2^53 - 1 as malformed', () => {
    const tooBig = BigInt(Number.MAX_SAFE_INTEGER) + 1n

    assertRejected(encodeBeat({ hlcWallTime: tooBig }), 'malformed')
    assertRejected(encodeBeat({ startedAt: tooBig }), 'malformed')
    assert.equal(validateHeartbeat(encodeBeat({ startedAt: BigInt(Number.MAX_SAFE_INTEGER) }), AUTHOR, MESH).beat.startedAt, BigInt(Number.MAX_SAFE_INTEGER))
  })

  it('rejects address bytes that are not a multiaddr as malformed', () => {
    assertRejected(encodeBeat({ addresses: [Uint8Array.from([0xff, 0xff, 0xff])] }), 'malformed')
    // an ip4 address of 2 bytes
    assertRejected(encodeBeat({ addresses: [multiaddr('/ip4/127.0.0.1/tcp/1').bytes, Uint8Array.from([4, 127, 0])] }), 'malformed')
  })

  it('accepts up to 4 STUN servers at /host/udp/port and rejects anything else as malformed', () => {
    const servers = ['/ip4/203.0.113.7/udp/3478', '/ip6/2001:db8::7/udp/3478', '/dns4/relay.example/udp/3478', '/dns6/relay.example/udp/5349']
    assert.equal(validateHeartbeat(encodeBeat({ stun: servers.map(s => multiaddr(s).bytes) }), AUTHOR, MESH).beat.stun.length, 4)
    assert.deepEqual(servers.map(s => stunUrl(multiaddr(s).bytes)), ['stun:203.0.113.7:3478', 'stun:[2001:db8::7]:3478', 'stun:relay.example:3478', 'stun:relay.example:5349'])
    assertRejected(encodeBeat({ stun: [...servers, servers[0]].map(s => multiaddr(s).bytes) }), 'malformed')
    for (const bad of ['/ip4/203.0.113.7/tcp/3478', '/ip4/203.0.113.7', '/ip4/203.0.113.7/udp/3478/quic-v1', '/dnsaddr/relay.example']) {
      assertRejected(encodeBeat({ stun: [multiaddr(bad).bytes] }), 'malformed')
    }
    assertRejected(encodeBeat({ stun: [Uint8Array.from([0xff, 0xff])] }), 'malformed')
  })
})
