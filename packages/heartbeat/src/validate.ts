import { multiaddr } from '@multiformats/multiaddr'
import { Heartbeat, HEARTBEAT_LIMITS, MAX_HEARTBEAT_SIZE, MAX_STRING_LENGTH } from '@overmind/protocols'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { MAX_INTERVAL, MIN_INTERVAL } from './constants.js'
import { InvalidHeartbeatError } from './errors.js'
import type { PeerId } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

export interface ValidHeartbeat {
  beat: Heartbeat
  addresses: Multiaddr[]
}

/**
 * Decodes and checks a heartbeat received from `author` (the signed gossipsub
 * origin). Everything a receiver relies on is checked here, before the
 * message can change state or be forwarded.
 *
 * @throws {InvalidHeartbeatError}
 */
export function validateHeartbeat (data: Uint8Array, author: PeerId, mesh: string): ValidHeartbeat {
  if (data.byteLength > MAX_HEARTBEAT_SIZE) {
    throw new InvalidHeartbeatError('oversized', `heartbeat of ${data.byteLength} bytes exceeds the ${MAX_HEARTBEAT_SIZE} byte limit`)
  }
  let beat: Heartbeat
  try {
    beat = Heartbeat.decode(data, { limits: HEARTBEAT_LIMITS })
  } catch (err: any) {
    throw new InvalidHeartbeatError('malformed', `heartbeat does not decode: ${err.message}`)
  }
  if (!uint8ArrayEquals(beat.nodeId, author.toMultihash().bytes)) {
    throw new InvalidHeartbeatError('author-mismatch', 'heartbeat node id differs from the peer that signed it')
  }
  if (beat.mesh !== mesh) {
    throw new InvalidHeartbeatError('wrong-mesh', `heartbeat is for mesh "${beat.mesh.slice(0, MAX_STRING_LENGTH)}", not "${mesh}"`)
  }
  if (beat.intervalMs < MIN_INTERVAL || beat.intervalMs > MAX_INTERVAL) {
    throw new InvalidHeartbeatError('bad-interval', `heartbeat interval ${beat.intervalMs} ms is outside ${MIN_INTERVAL}..${MAX_INTERVAL}`)
  }
  checkString('version', beat.version)
  checkString('name', beat.name)
  for (const agent of beat.agents) {
    checkString('agent name', agent.name)
    checkString('agent version', agent.version)
    agent.capabilities.forEach(c => { checkString('agent capability', c) })
    checkString('agent description', agent.description)
    agent.skills.forEach(s => { checkString('agent skill', s) })
  }
  if (beat.seq < 1n || beat.hlcWallTime > BigInt(Number.MAX_SAFE_INTEGER) || beat.startedAt > BigInt(Number.MAX_SAFE_INTEGER) || beat.memoryChunks > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidHeartbeatError('malformed', 'heartbeat sequence number or timestamps out of range')
  }
  let addresses: Multiaddr[]
  try {
    addresses = beat.addresses.map(bytes => multiaddr(bytes))
  } catch (err: any) {
    throw new InvalidHeartbeatError('malformed', `heartbeat carries an invalid address: ${err.message}`)
  }
  beat.stun.forEach(bytes => stunUrl(bytes))
  return { beat, addresses }
}

/**
 * The `stun:` URL of a STUN server announced as `/ip4|ip6|dns4|dns6/<host>/udp/<port>`
 *
 * @throws {InvalidHeartbeatError} for anything else
 */
export function stunUrl (bytes: Uint8Array): string {
  let components
  try {
    components = multiaddr(bytes).getComponents()
  } catch (err: any) {
    throw new InvalidHeartbeatError('malformed', `heartbeat carries an invalid STUN address: ${err.message}`)
  }
  const [host, udp] = components
  if (components.length !== 2 || !['ip4', 'ip6', 'dns4', 'dns6'].includes(host.name) || udp.name !== 'udp' || host.value == null || udp.value == null) {
    throw new InvalidHeartbeatError('malformed', 'heartbeat carries a STUN address that is not /ip4|ip6|dns4|dns6/<host>/udp/<port>')
  }
  return `stun:${host.name === 'ip6' ? `[${host.value}]` : host.value}:${udp.value}`
}

function checkString (what: string, value: string): void {
  if (Buffer.byteLength(value) > MAX_STRING_LENGTH) {
    throw new InvalidHeartbeatError('malformed', `heartbeat ${what} is longer than ${MAX_STRING_LENGTH} bytes`)
  }
}
