import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { noise } from '@libp2p/noise'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { isLoopback, isPrivate, lpStream } from '@libp2p/utils'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import * as Digest from 'multiformats/hashes/digest'
import { ADMISSION_LIMITS, Admission, MAX_INVITE_SIZE, Redeem, RedeemStatus, TICKET_LIMITS, Ticket, lengthPrefixed } from '@overmind/protocols'
import { createLibp2p } from 'libp2p'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { meshStreamMuxer } from './create-node.js'
import { InvalidInviteError, InviteRefusedError } from './errors.js'
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import type { CreatedInvite, InviteView, InvitesPort } from '@overmind/api'
import type { Multiaddr } from '@multiformats/multiaddr'

/** What a ticket starts with, so a user (and `overmind join`) can tell one from other strings */
export const TICKET_PREFIX = 'overmind-invite-'

/** The protocol a joining node redeems an invite with, on the door of that invite */
export const INVITE_PROTOCOL = '/overmind/invite/1.0.0'

/** How long a redeem may take, on either side */
const REDEEM_TIMEOUT = 15_000
/** Longest and shortest life of an invite */
export const MAX_INVITE_LIFE = 30 * 24 * 3600_000
export const DEFAULT_INVITE_LIFE = 24 * 3600_000
/** Most addresses a ticket carries (of the door) and an admission carries (of the node) */
const TICKET_ADDRESSES = 6
const ADMISSION_ADDRESSES = 8

/** A decoded ticket */
export interface InviteTicket {
  mesh: string
  id: Uint8Array
  secret: Uint8Array
  addresses: Multiaddr[]
  expiresAt: number
}

export function encodeTicket (ticket: InviteTicket): string {
  const bytes = Ticket.encode({
    version: 1,
    mesh: ticket.mesh,
    id: new Uint8Array(ticket.id),
    secret: new Uint8Array(ticket.secret),
    addresses: ticket.addresses.map(a => a.bytes),
    expiresAt: BigInt(ticket.expiresAt)
  })
  return TICKET_PREFIX + uint8ArrayToString(bytes, 'base58btc')
}

/**
 * Reads a ticket; refuses one that is not a ticket of this format with a
 * sentence saying so (a truncated copy, another tool's string)
 */
export function decodeTicket (text: string): InviteTicket {
  const trimmed = text.trim()
  if (!trimmed.startsWith(TICKET_PREFIX)) {
    throw new InvalidInviteError(`not an invite: an invite starts with "${TICKET_PREFIX}" (\`overmind invite\` on a member prints one)`)
  }
  let ticket: Ticket
  try {
    const bytes = uint8ArrayFromString(trimmed.slice(TICKET_PREFIX.length), 'base58btc')
    if (bytes.byteLength > MAX_INVITE_SIZE) throw new Error(`over ${MAX_INVITE_SIZE} bytes`)
    ticket = Ticket.decode(bytes, { limits: TICKET_LIMITS })
  } catch (err: any) {
    throw new InvalidInviteError(`the invite is damaged (was it copied whole?): ${err.message}`)
  }
  if (ticket.version !== 1) {
    throw new InvalidInviteError(`the invite has format version ${ticket.version}; this node reads version 1 (update overmind)`)
  }
  if (ticket.id.byteLength !== 16 || ticket.secret.byteLength !== 32 || ticket.addresses.length === 0) {
    throw new InvalidInviteError('the invite is damaged (was it copied whole?): it lacks its id, secret or addresses')
  }
  let addresses: Multiaddr[]
  try {
    addresses = ticket.addresses.map(bytes => multiaddr(bytes))
  } catch (err: any) {
    throw new InvalidInviteError(`the invite is damaged (was it copied whole?): ${err.message}`)
  }
  return { mesh: ticket.mesh, id: ticket.id, secret: ticket.secret, addresses, expiresAt: Number(ticket.expiresAt) }
}

/** A 32-byte secret in the libp2p private network file format */
export function pskFile (secret: Uint8Array): Uint8Array {
  return uint8ArrayFromString(`/key/swarm/psk/1.0.0/\n/base16/\n${uint8ArrayToString(secret, 'base16')}`)
}

/** An invite as the node keeps it (in `invites.json`, mode 0600) */
interface InviteRecord {
  id: string
  secret: string
  createdAt: number
  expiresAt: number
  /** How many times it may still be redeemed */
  usesLeft: number
  /** Who redeemed it: peer id, name, time */
  redeemed: Array<{ peerId: string, name: string, at: number }>
}

export type { InviteView, CreatedInvite }

export interface InvitesInit {
  /** The file invites are kept in */
  file: string
  mesh: string
  /** The mesh key in the pnet file format: what an admission hands over */
  meshKey: Uint8Array
  /** Where doors listen: the node's TCP listen addresses (ports are chosen by the system) */
  listen: string[]
  /** Full multiaddrs of the node, handed to a joiner to bootstrap from */
  nodeAddresses(): string[]
  /** Told of each redeem, admitted or refused */
  onRedeem?(event: { id: string, peerId: string, name: string, status: 'admitted' | 'unknown' | 'expired' | 'used-up' }): void
  now?(): number
}

/**
 * The invites a node has made, and their doors. A door is a small libp2p
 * host of its own whose private-network key is the invite's secret: only
 * who holds the ticket can even open a connection to it, and it serves one
 * protocol, which hands over the mesh name, the mesh key and the node's
 * addresses while the invite is valid. A ticket therefore does not carry
 * the mesh key: an expired or used-up ticket opens nothing.
 */
export class Invites implements InvitesPort {
  private readonly init: InvitesInit
  private records: InviteRecord[] = []
  private readonly doors = new Map<string, { host: Libp2p, timer: NodeJS.Timeout }>()
  /** Saves of the file, one after the other */
  private saving: Promise<void> = Promise.resolve()
  private stopped = false

  constructor (init: InvitesInit) {
    this.init = init
  }

  private now (): number {
    return this.init.now?.() ?? Date.now()
  }

  async start (): Promise<void> {
    try {
      this.records = JSON.parse(await readFile(this.init.file, 'utf8'))
    } catch (err: any) {
      if (err.code !== 'ENOENT') throw new Error(`cannot read ${this.init.file}: ${err.message}`)
      this.records = []
    }
    const now = this.now()
    // the file keeps only invites that can still be redeemed
    const live = this.records.filter(r => r.expiresAt > now && r.usesLeft > 0)
    if (live.length !== this.records.length) {
      this.records = live
      await this.save()
    }
    for (const record of live) await this.openDoor(record)
  }

  async stop (): Promise<void> {
    this.stopped = true
    await Promise.all([...this.doors.keys()].map(async id => { await this.closeDoor(id) }))
    await this.saving
  }

  /** Makes an invite and opens its door */
  async create (options: { expiresInMs?: number, uses?: number } = {}): Promise<CreatedInvite> {
    const life = options.expiresInMs ?? DEFAULT_INVITE_LIFE
    if (!Number.isFinite(life) || life <= 0 || life > MAX_INVITE_LIFE) {
      throw new InvalidInviteError(`an invite lives from 1 ms to 30 days, not ${life} ms`)
    }
    const uses = options.uses ?? 1
    if (!Number.isInteger(uses) || uses < 1 || uses > 10_000) {
      throw new InvalidInviteError(`an invite allows 1 to 10,000 uses, not ${uses}`)
    }
    const now = this.now()
    const record: InviteRecord = {
      id: randomBytes(16).toString('hex'),
      secret: randomBytes(32).toString('hex'),
      createdAt: now,
      expiresAt: now + life,
      usesLeft: uses,
      redeemed: []
    }
    this.records.push(record)
    await this.save()
    let host: Libp2p
    try {
      host = await this.openDoor(record)
    } catch (err) {
      // an invite without a door could never be redeemed
      this.records = this.records.filter(r => r !== record)
      await this.save()
      throw err
    }
    const ticket = encodeTicket({
      mesh: this.init.mesh,
      id: uint8ArrayFromString(record.id, 'base16'),
      secret: uint8ArrayFromString(record.secret, 'base16'),
      addresses: rank(host.getMultiaddrs().map(a => a.toString())).slice(0, TICKET_ADDRESSES).map(a => multiaddr(a)),
      expiresAt: record.expiresAt
    })
    return { ...this.view(record), ticket }
  }

  list (): InviteView[] {
    const now = this.now()
    return this.records.filter(r => r.expiresAt > now && r.usesLeft > 0).map(r => this.view(r))
  }

  /** Ends an invite at once; false when no live invite has this id */
  async revoke (id: string): Promise<boolean> {
    const record = this.records.find(r => r.id === id && r.usesLeft > 0)
    if (record == null) return false
    await this.retire(record)
    return true
  }

  /** Forgets an invite and closes its door */
  private async retire (record: InviteRecord): Promise<void> {
    if (!this.records.includes(record)) return
    this.records = this.records.filter(r => r !== record)
    if (!this.stopped) await this.save()
    await this.closeDoor(record.id)
  }

  private view (record: InviteRecord): InviteView {
    return {
      id: record.id,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      usesLeft: record.usesLeft,
      redeemed: record.redeemed,
      door: this.doors.get(record.id)?.host.getMultiaddrs().map(a => a.toString()) ?? []
    }
  }

  private async openDoor (record: InviteRecord): Promise<Libp2p> {
    const hosts = doorListen(this.init.listen)
    const host = await createLibp2p({
      privateKey: await generateKeyPair('Ed25519'),
      addresses: { listen: hosts },
      transports: [tcp()],
      connectionProtector: preSharedKey({ psk: pskFile(uint8ArrayFromString(record.secret, 'base16')) }),
      connectionEncrypters: [noise()],
      streamMuxers: [meshStreamMuxer()],
      connectionManager: { maxConnections: 16 }
    })
    await host.handle(INVITE_PROTOCOL, (stream, connection) => {
      void this.serve(record.id, stream, connection.remotePeer)
    }, { maxInboundStreams: 1, maxOutboundStreams: 0 })
    // the door closes by itself when the invite expires
    const timer = setTimeout(() => { void this.closeDoor(record.id) }, Math.min(Math.max(0, record.expiresAt - this.now()), 2 ** 31 - 1))
    timer.unref()
    this.doors.set(record.id, { host, timer })
    return host
  }

  private async closeDoor (id: string): Promise<void> {
    const door = this.doors.get(id)
    if (door == null) return
    this.doors.delete(id)
    clearTimeout(door.timer)
    await door.host.stop()
  }

  /** One redeem on a door: a `Redeem` in, an `Admission` out */
  private async serve (doorId: string, stream: Stream, remote: PeerId): Promise<void> {
    const signal = AbortSignal.timeout(REDEEM_TIMEOUT)
    try {
      const lp = lpStream(stream, lengthPrefixed(MAX_INVITE_SIZE))
      const request = Redeem.decode(await lp.read({ signal }))
      const id = uint8ArrayToString(request.id, 'base16')
      const name = request.name.slice(0, 64)
      let joiner = remote.toString()
      try {
        joiner = peerIdFromMultihash(Digest.decode(request.peerId)).toString()
      } catch {
        // the door's connection's peer id stands in for a malformed one
      }
      const record = this.records.find(r => r.id === id)
      let status: RedeemStatus
      let label: 'admitted' | 'unknown' | 'expired' | 'used-up'
      // a door answers only for its own invite
      if (record == null || id !== doorId || this.stopped) {
        status = RedeemStatus.UNKNOWN
        label = 'unknown'
      } else if (record.expiresAt <= this.now()) {
        status = RedeemStatus.EXPIRED
        label = 'expired'
      } else if (record.usesLeft <= 0) {
        status = RedeemStatus.USED_UP
        label = 'used-up'
      } else {
        status = RedeemStatus.ADMITTED
        label = 'admitted'
        record.usesLeft--
        record.redeemed.push({ peerId: joiner, name, at: this.now() })
        // counted on disk before the key leaves, so a crash cannot give a use back
        await this.save()
      }
      const admitted = status === RedeemStatus.ADMITTED
      await lp.write(Admission.encode({
        status,
        mesh: admitted ? this.init.mesh : '',
        meshKey: admitted ? new Uint8Array(this.init.meshKey) : new Uint8Array(0),
        bootstrap: admitted ? rank(this.init.nodeAddresses()).slice(0, ADMISSION_ADDRESSES).map(a => multiaddr(a).bytes) : [],
        usesLeft: record?.usesLeft ?? 0
      }), { signal })
      await stream.close({ signal })
      this.init.onRedeem?.({ id, peerId: joiner, name, status: label })
      if (record != null && record.usesLeft <= 0) {
        // the door closes once this answer has left; until then it answers
        // used-up (the file already says no use is left)
        setTimeout(() => { void this.retire(record) }, 1000).unref()
      }
    } catch (err: any) {
      stream.abort(err)
    }
  }

  private async save (): Promise<void> {
    const text = JSON.stringify(this.records, null, 2) + '\n'
    const write = async (): Promise<void> => {
      const tmp = `${this.init.file}.tmp`
      await writeFile(tmp, text, { mode: 0o600 })
      await rename(tmp, this.init.file)
    }
    this.saving = this.saving.then(write, write)
    await this.saving
  }
}

/** The door's listen addresses: each TCP host the node listens on, on a port the system picks */
function doorListen (listen: string[]): string[] {
  const hosts = new Set<string>()
  for (const address of listen) {
    const components = multiaddr(address).getComponents()
    const ip = components[0]
    if ((ip?.name === 'ip4' || ip?.name === 'ip6') && components[1]?.name === 'tcp' && components.length === 2) {
      hosts.add(`/${ip.name}/${ip.value ?? ''}/tcp/0`)
    }
  }
  if (hosts.size === 0) hosts.add('/ip4/0.0.0.0/tcp/0')
  return [...hosts]
}

/** Addresses most likely reachable from elsewhere first: public, then private, then loopback */
function rank (addresses: string[]): string[] {
  const score = (a: string): number => {
    const ma = multiaddr(a)
    return isLoopback(ma) ? 2 : isPrivate(ma) ? 1 : 0
  }
  return [...addresses].sort((a, b) => score(a) - score(b))
}

export interface RedeemedInvite {
  mesh: string
  /** The mesh key in the pnet file format */
  meshKey: Uint8Array
  /** Full multiaddrs of the inviting node */
  bootstrap: string[]
  usesLeft: number
}

/**
 * Redeems a ticket at its door: the mesh name, key and the inviting node's
 * addresses, or a clear refusal (expired, used up, unknown, unreachable)
 */
export async function redeemInvite (ticketText: string, options: { peerId: PeerId, name?: string, now?: number, timeout?: number }): Promise<RedeemedInvite> {
  const ticket = decodeTicket(ticketText)
  const now = options.now ?? Date.now()
  if (ticket.expiresAt <= now) {
    throw new InviteRefusedError(`the invite expired at ${new Date(ticket.expiresAt).toISOString()}: ask a member for a new one (\`overmind invite\`)`, 'expired')
  }
  const client = await createLibp2p({
    privateKey: await generateKeyPair('Ed25519'),
    transports: [tcp()],
    connectionProtector: preSharedKey({ psk: pskFile(ticket.secret) }),
    connectionEncrypters: [noise()],
    streamMuxers: [meshStreamMuxer()]
  })
  const signal = AbortSignal.timeout(options.timeout ?? REDEEM_TIMEOUT)
  try {
    const failures: string[] = []
    for (const address of ticket.addresses) {
      let stream: Stream
      try {
        stream = await client.dialProtocol(address, INVITE_PROTOCOL, { signal })
      } catch (err: any) {
        failures.push(`${address.toString()}: ${err.message}`)
        continue
      }
      let answer: Admission
      try {
        const lp = lpStream(stream, lengthPrefixed(MAX_INVITE_SIZE))
        await lp.write(Redeem.encode({ id: new Uint8Array(ticket.id), peerId: new Uint8Array(options.peerId.toMultihash().bytes), name: options.name ?? '' }), { signal })
        answer = Admission.decode(await lp.read({ signal }), { limits: ADMISSION_LIMITS })
        await stream.close({ signal }).catch(() => {})
      } catch (err: any) {
        stream.abort(err)
        throw new InviteRefusedError(`the invite's door at ${address.toString()} did not answer the redeem: ${err.message}`, 'unreachable')
      }
      switch (answer.status) {
        case RedeemStatus.ADMITTED:
          return {
            mesh: answer.mesh,
            meshKey: answer.meshKey,
            bootstrap: answer.bootstrap.map(bytes => multiaddr(bytes).toString()),
            usesLeft: answer.usesLeft
          }
        case RedeemStatus.EXPIRED:
          throw new InviteRefusedError('the inviting node says the invite has expired: ask a member for a new one', 'expired')
        case RedeemStatus.USED_UP:
          throw new InviteRefusedError('the invite is used up: it was redeemed as many times as it allows; ask a member for a new one', 'used-up')
        default:
          throw new InviteRefusedError('the inviting node knows no such invite (revoked?): ask a member for a new one', 'unknown')
      }
    }
    throw new InviteRefusedError(`cannot reach the invite's door: the node that made it is not running or not reachable from here, or the invite was used up, revoked or has expired (its door then closes): ${failures.join('; ')}`, 'unreachable')
  } finally {
    await client.stop()
  }
}
