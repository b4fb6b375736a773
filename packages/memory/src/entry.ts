import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import {
  Chunk, Event, EventKind, EntryKind, SignedEntry, Zone,
  CHUNK_LIMITS, EVENT_LIMITS, MAX_DIMENSIONS, MAX_ENTRY_BODY_SIZE, MAX_ENTRY_SIZE,
  MAX_TAG_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH, MAX_STRING_LENGTH
} from '@overmind/protocols'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { EntryRejectedError } from './errors.js'
import type { RejectReason } from './errors.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { KeyObject } from 'node:crypto'

export { Zone, EntryKind }

/** Zone names as written in config, the CLI and the API */
export type ZoneName = 'private' | 'shared' | 'federation'

export const ZONE_NAMES: readonly ZoneName[] = ['private', 'shared', 'federation']

export function zoneFromName (name: string): Zone {
  switch (name) {
    case 'private': return Zone.PRIVATE
    case 'shared': return Zone.SHARED
    case 'federation': return Zone.FEDERATION
    default: throw new TypeError(`unknown zone "${name}" (expected private, shared or federation)`)
  }
}

export function zoneName (zone: Zone): ZoneName {
  switch (zone) {
    case Zone.PRIVATE: return 'private'
    case Zone.SHARED: return 'shared'
    case Zone.FEDERATION: return 'federation'
    default: throw new TypeError(`unknown zone ${String(zone)}`)
  }
}

/** Prepended to a body before signing, so a signature cannot be replayed in another protocol */
const SIGNING_DOMAIN = uint8ArrayFromString('overmind/memory/1\n')

/** A verified entry: its id, the decoded body, and the bytes as signed */
export interface VerifiedChunk {
  kind: EntryKind.CHUNK
  id: string
  author: PeerId
  body: Chunk
  signed: SignedEntry
}

export interface VerifiedEvent {
  kind: EntryKind.EVENT
  id: string
  author: PeerId
  body: Event
  signed: SignedEntry
}

export type VerifiedEntry = VerifiedChunk | VerifiedEvent

export interface VerifyOptions {
  /** The only author the entry may name */
  author?: PeerId
}

/** The content id of a signed body: CIDv1, raw codec, sha2-256 */
export function entryId (body: Uint8Array): string {
  const digest = sha256.digest(body) as Digest.Digest<typeof sha256.code, number>
  return CID.createV1(raw.code, digest).toString()
}

/** Whether a string is an entry id this implementation could have made */
export function isEntryId (id: string): boolean {
  try {
    const cid = CID.parse(id)
    return cid.version === 1 && cid.code === raw.code && cid.multihash.code === sha256.code
  } catch {
    return false
  }
}

export async function signChunk (chunk: Chunk, key: PrivateKey): Promise<VerifiedChunk> {
  const body = Chunk.encode(chunk)
  const signed: SignedEntry = { kind: EntryKind.CHUNK, body, signature: await signBody(body, key) }
  return { kind: EntryKind.CHUNK, id: entryId(body), author: authorOf(chunk.author), body: chunk, signed }
}

export async function signEvent (event: Event, key: PrivateKey): Promise<VerifiedEvent> {
  const body = Event.encode(event)
  const signed: SignedEntry = { kind: EntryKind.EVENT, body, signature: await signBody(body, key) }
  return { kind: EntryKind.EVENT, id: entryId(body), author: authorOf(event.author), body: event, signed }
}

/**
 * The envelope of an encoded entry, after the size check; body and signature
 * are checked by `verifyEntry`.
 *
 * @throws {EntryRejectedError} `oversized` or `malformed`
 */
export function decodeSignedEntry (bytes: Uint8Array): SignedEntry {
  if (bytes.byteLength > MAX_ENTRY_SIZE) {
    throw new EntryRejectedError('oversized', `entry of ${bytes.byteLength} bytes is over the ${MAX_ENTRY_SIZE} byte limit`)
  }
  return decodeOr('malformed', () => SignedEntry.decode(bytes))
}

/**
 * Decodes and checks a SignedEntry received from anywhere (a peer, the disk):
 * size, schema, canonical encoding, field limits, author key and signature.
 *
 * @throws {EntryRejectedError} with a stable `reason`
 */
export async function verifyEntry (bytesOrEntry: Uint8Array | SignedEntry, options: VerifyOptions = {}): Promise<VerifiedEntry> {
  const signed = bytesOrEntry instanceof Uint8Array ? decodeSignedEntry(bytesOrEntry) : bytesOrEntry
  if (signed.body.byteLength > MAX_ENTRY_BODY_SIZE) {
    throw new EntryRejectedError('oversized', `entry body of ${signed.body.byteLength} bytes is over the ${MAX_ENTRY_BODY_SIZE} byte limit`)
  }
  let entry: VerifiedEntry
  if (signed.kind === EntryKind.CHUNK) {
    const body = decodeOr('unknown-zone', () => Chunk.decode(signed.body, { limits: CHUNK_LIMITS }))
    checkCanonical(Chunk.encode(body), signed.body)
    checkChunk(body)
    entry = { kind: EntryKind.CHUNK, id: entryId(signed.body), author: authorFrom(body.author), body, signed }
  } else if (signed.kind === EntryKind.EVENT) {
    const body = decodeOr('malformed', () => Event.decode(signed.body, { limits: EVENT_LIMITS }))
    checkCanonical(Event.encode(body), signed.body)
    checkEvent(body)
    entry = { kind: EntryKind.EVENT, id: entryId(signed.body), author: authorFrom(body.author), body, signed }
  } else {
    throw new EntryRejectedError('malformed', 'entry kind is neither chunk nor event')
  }
  if (options.author != null && !entry.author.equals(options.author)) {
    throw new EntryRejectedError('bad-author', `entry names ${entry.author.toString()} as its author but ${options.author.toString()} sent it as its own`)
  }
  if (signed.signature.byteLength !== 64 || !verifyBody(signed.body, signed.signature, entry.author)) {
    throw new EntryRejectedError('bad-signature', `signature does not verify with the key of author ${entry.author.toString()}`)
  }
  return entry
}

// Ed25519 keys as node:crypto key objects, made once: building one per
// signature costs more than the signature itself
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex')
const signingKeys = new WeakMap<PrivateKey, KeyObject>()
const verifyingKeys = new Map<string, KeyObject>()

async function signBody (body: Uint8Array, key: PrivateKey): Promise<Uint8Array<ArrayBuffer>> {
  const message = uint8ArrayConcat([SIGNING_DOMAIN, body])
  if (key.type !== 'Ed25519') return await key.sign(message) as Uint8Array<ArrayBuffer>
  let keyObject = signingKeys.get(key)
  if (keyObject == null) {
    keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, key.raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' })
    signingKeys.set(key, keyObject)
  }
  const signature = cryptoSign(null, message, keyObject)
  return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength) as Uint8Array<ArrayBuffer>
}

function verifyBody (body: Uint8Array, signature: Uint8Array, author: PeerId): boolean {
  const raw = author.publicKey?.raw
  if (raw == null || raw.byteLength !== 32) return false
  const id = author.toString()
  let keyObject = verifyingKeys.get(id)
  if (keyObject == null) {
    keyObject = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' })
    if (verifyingKeys.size >= 10_000) verifyingKeys.clear()
    verifyingKeys.set(id, keyObject)
  }
  return cryptoVerify(null, uint8ArrayConcat([SIGNING_DOMAIN, body]), keyObject, signature)
}

/** The author's peer id from the multihash in a body */
export function authorOf (multihash: Uint8Array): PeerId {
  return peerIdFromMultihash(Digest.decode(multihash))
}

function authorFrom (multihash: Uint8Array): PeerId {
  let author: PeerId
  try {
    author = authorOf(multihash)
  } catch (err: any) {
    throw new EntryRejectedError('bad-author', `author is not a peer id: ${err.message}`)
  }
  if (author.type !== 'Ed25519') {
    throw new EntryRejectedError('bad-author', `author ${author.toString()} is not an Ed25519 identity`)
  }
  return author
}

function checkCanonical (encoded: Uint8Array, received: Uint8Array): void {
  if (!uint8ArrayEquals(encoded, received)) {
    throw new EntryRejectedError('malformed', 'body is not in canonical encoding (fields out of order, defaults written or unknown fields)')
  }
}

function checkChunk (chunk: Chunk): void {
  if (chunk.zone === Zone.ZONE_UNSPECIFIED) {
    throw new EntryRejectedError('unknown-zone', 'chunk has no zone')
  }
  checkString('agent', chunk.agent, MAX_STRING_LENGTH)
  if (chunk.agent === '') throw new EntryRejectedError('malformed', 'chunk has no agent')
  if (chunk.text === '') throw new EntryRejectedError('malformed', 'chunk has no text')
  const textBytes = Buffer.byteLength(chunk.text)
  if (textBytes > MAX_TEXT_LENGTH) {
    throw new EntryRejectedError('oversized', `text of ${textBytes} bytes is over the ${MAX_TEXT_LENGTH} byte limit`)
  }
  if (chunk.tags.length > MAX_TAGS) throw new EntryRejectedError('oversized', `more than ${MAX_TAGS} tags`)
  for (const tag of chunk.tags) checkString('tag', tag, MAX_TAG_LENGTH)
  if (chunk.seq < 1n) throw new EntryRejectedError('malformed', 'chunk seq must start at 1')
  const embedding = chunk.embedding
  if (embedding != null) {
    checkString('embedding model', embedding.model, MAX_STRING_LENGTH)
    if (embedding.dimensions < 1 || embedding.dimensions > MAX_DIMENSIONS || embedding.vector.byteLength !== embedding.dimensions * 4) {
      throw new EntryRejectedError('malformed', `embedding of ${embedding.dimensions} dimensions carries ${embedding.vector.byteLength} bytes`)
    }
  }
}

function checkEvent (event: Event): void {
  if (event.zone === Zone.ZONE_UNSPECIFIED) throw new EntryRejectedError('unknown-zone', 'event has no zone')
  if (event.kind === EventKind.EVENT_KIND_UNSPECIFIED) throw new EntryRejectedError('malformed', 'event has no kind')
  checkString('agent', event.agent, MAX_STRING_LENGTH)
  checkString('relation', event.relation, MAX_STRING_LENGTH)
  if (event.targets.length === 0) throw new EntryRejectedError('malformed', 'event has no targets')
  for (const target of event.targets) {
    if (!isEntryId(target)) throw new EntryRejectedError('malformed', `event target "${target.slice(0, 80)}" is not a chunk id`)
  }
  if (event.kind === EventKind.LINK && event.targets.length !== 2) throw new EntryRejectedError('malformed', 'a link event has exactly two targets')
  if (event.seq < 1n) throw new EntryRejectedError('malformed', 'event seq must start at 1')
}

function checkString (what: string, value: string, max: number): void {
  if (Buffer.byteLength(value) > max) {
    throw new EntryRejectedError('oversized', `${what} is over the ${max} byte limit`)
  }
}

function decodeOr<T> (reason: RejectReason, decode: () => T): T {
  try {
    return decode()
  } catch (err: any) {
    if (/enum/i.test(err.message) && reason === 'unknown-zone') {
      throw new EntryRejectedError('unknown-zone', 'chunk zone is not one of private, shared, federation')
    }
    throw new EntryRejectedError('malformed', `cannot decode: ${err.message}`)
  }
}

/** The float32 vector of an embedding, copied out of its little-endian bytes */
export function vectorFromBytes (bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}

export function vectorToBytes (vector: Float32Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(vector.length * 4)
  const view = new DataView(out.buffer)
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i], true)
  return out
}
