import { createHash, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto'
import { endianness } from 'node:os'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import {
  Chunk, Event, EventKind, EntryKind, SignedEntry, Zone,
  CHUNK_LIMITS, EVENT_LIMITS, MAX_DIMENSIONS, MAX_ENTRY_BODY_SIZE, MAX_ENTRY_SIZE,
  MAX_EVENT_USES, MAX_LINK_WEIGHT, MAX_SIGNAL_FRACTION, MAX_TAG_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH, MAX_STRING_LENGTH, varintLength
} from '@overmind/protocols'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import * as raw from 'multiformats/codecs/raw'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { signingKeyFromSeed, verifySignature, verifyingKey } from './ed25519.js'
import type { Signer } from './ed25519.js'
import { entryPool, split } from './entry-pool.js'
import { EntryRejectedError } from './errors.js'
import type { RejectReason } from './errors.js'
import { WordPacker, wordsOf } from './terms.js'
import type { PackedWords } from './terms.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'
import type { KeyObject } from 'node:crypto'
import { ZONE_NAMES } from './zones.js'
import type { ZoneName } from './zones.js'

export { Zone, EntryKind }

export { ZONE_NAMES }
export type { ZoneName }

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

/**
 * A verified entry: its id, author and decoded body, and the encoded
 * `SignedEntry` exactly as it was signed and sent. The bytes travel with it
 * from the wire or the signer to disk, gossip, sync pages and query answers:
 * nothing is re-encoded or re-hashed on the way.
 */
export interface VerifiedChunk {
  kind: EntryKind.CHUNK
  id: string
  author: PeerId
  body: Chunk
  signed: SignedEntry
  /** The encoded SignedEntry */
  bytes: Uint8Array
  /**
   * The hashes of the words of its text (terms.ts), stopwords left out, when
   * the worker thread that signed or checked it read them: the lexical index
   * takes them instead of reading the text on the event loop
   */
  words?: Int32Array
}

export interface VerifiedEvent {
  kind: EntryKind.EVENT
  id: string
  author: PeerId
  body: Event
  signed: SignedEntry
  bytes: Uint8Array
}

export type VerifiedEntry = VerifiedChunk | VerifiedEvent

/** The fields an event's kind leaves unused, at their defaults (canonical encoding leaves them out) */
export const NO_EVENT_FIELDS = { success: false, relation: '', uses: 0, weight: 0, score: 0, novelty: 0, topic: '' } as const

/** An entry whose size, schema, encoding and author are checked, but not yet its signature */
export type CheckedEntry = VerifiedEntry

export interface VerifyOptions {
  /** The only author the entry may name */
  author?: PeerId
}

/** The content id of a signed body: CIDv1, raw codec, sha2-256 */
export function entryId (body: Uint8Array): string {
  // the CID's bytes (version 1, raw, sha2-256, 32 bytes) then the digest, in multibase base32
  const bytes = new Uint8Array(36)
  bytes.set(CID_PREFIX)
  bytes.set(createHash('sha256').update(body).digest(), 4)
  return `b${base32(bytes)}`
}

const CID_PREFIX = [0x01, raw.code, sha256.code, 32]
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567'

/** RFC 4648 base32, lower case, no padding: what multibase 'b' is */
function base32 (bytes: Uint8Array): string {
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31]
      bits -= 5
    }
    buffer &= (1 << bits) - 1
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31]
  return out
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
  return { kind: EntryKind.CHUNK, id: entryId(body), author: authorOf(chunk.author), body: chunk, signed, bytes: SignedEntry.encode(signed) }
}

export async function signEvent (event: Event, key: PrivateKey): Promise<VerifiedEvent> {
  const body = Event.encode(event)
  const signed: SignedEntry = { kind: EntryKind.EVENT, body, signature: await signBody(body, key) }
  return { kind: EntryKind.EVENT, id: entryId(body), author: authorOf(event.author), body: event, signed, bytes: SignedEntry.encode(signed) }
}

/** An encoded entry opened far enough to know its id: what a duplicate check needs */
export interface Envelope {
  id: string
  signed: SignedEntry
  bytes: Uint8Array
}

/**
 * Opens an encoded SignedEntry: size, envelope schema, no bytes beyond its
 * fields, and the id of its body (unless `hash` is false). Body and
 * signature are checked by `checkEnvelope` and `checkSignature`.
 *
 * @throws {EntryRejectedError} `oversized` or `malformed`
 */
export function openEnvelope (bytes: Uint8Array, options: { hash?: boolean } = {}): Envelope {
  if (bytes.byteLength > MAX_ENTRY_SIZE) {
    throw new EntryRejectedError('oversized', `entry of ${bytes.byteLength} bytes is over the ${MAX_ENTRY_SIZE} byte limit`)
  }
  const signed = decodeOr('malformed', () => SignedEntry.decode(bytes))
  if (signed.body.byteLength > MAX_ENTRY_BODY_SIZE) {
    throw new EntryRejectedError('oversized', `entry body of ${signed.body.byteLength} bytes is over the ${MAX_ENTRY_BODY_SIZE} byte limit`)
  }
  if (bytes.byteLength !== envelopeLength(signed)) {
    // repeated or unknown fields: the envelope would carry bytes nobody signed
    throw new EntryRejectedError('malformed', 'entry envelope is not in canonical encoding')
  }
  // without `hash`, the id is left empty for `checkEntries` to fill
  return { id: options.hash === false ? '' : entryId(signed.body), signed, bytes }
}

/** The size of a SignedEntry in canonical encoding */
function envelopeLength (signed: SignedEntry): number {
  const field = (length: number): number => length === 0 ? 0 : 1 + varintLength(length) + length
  // CHUNK and EVENT are 1 and 2 on the wire: one byte after the tag
  const kind = signed.kind === EntryKind.CHUNK || signed.kind === EntryKind.EVENT ? 2 : 0
  return kind + field(signed.body.byteLength) + field(signed.signature.byteLength)
}

/**
 * Checks everything of an opened entry but its signature: body schema,
 * canonical encoding (unless `canonical` is false: `checkEntries` checks it
 * on a worker thread), field limits and author. No I/O, no crypto beyond
 * the id already computed.
 *
 * @throws {EntryRejectedError} with a stable `reason`
 */
export function checkEnvelope (envelope: Envelope, options: VerifyOptions & { canonical?: boolean } = {}): CheckedEntry {
  const { signed, id, bytes } = envelope
  let entry: VerifiedEntry
  if (signed.kind === EntryKind.CHUNK) {
    const body = decodeOr('unknown-zone', () => Chunk.decode(signed.body, { limits: CHUNK_LIMITS }))
    if (options.canonical !== false) checkCanonical(Chunk.encode(body), signed.body)
    checkChunk(body)
    entry = { kind: EntryKind.CHUNK, id, author: authorFrom(body.author), body, signed, bytes }
  } else if (signed.kind === EntryKind.EVENT) {
    const body = decodeOr('malformed', () => Event.decode(signed.body, { limits: EVENT_LIMITS }))
    if (options.canonical !== false) checkCanonical(Event.encode(body), signed.body)
    checkEvent(body)
    entry = { kind: EntryKind.EVENT, id, author: authorFrom(body.author), body, signed, bytes }
  } else {
    throw new EntryRejectedError('malformed', 'entry kind is neither chunk nor event')
  }
  if (options.author != null && !entry.author.equals(options.author)) {
    throw new EntryRejectedError('bad-author', `entry names ${entry.author.toString()} as its author but ${options.author.toString()} sent it as its own`)
  }
  return entry
}

export interface SignatureOptions {
  /**
   * Check on the calling thread (~60 µs): one entry of a gossip message,
   * where a trip through the thread pool costs more than the check. Bulk
   * checks (sync pages, query answers) go to the thread pool, in parallel
   * and off the event loop.
   */
  inline?: boolean
}

/**
 * Checks the signature of a checked entry, on libuv's thread pool unless
 * asked to check it inline.
 *
 * @throws {EntryRejectedError} `bad-signature`
 */
export async function checkSignature (entry: CheckedEntry, options: SignatureOptions = {}): Promise<VerifiedEntry> {
  const { signed, author } = entry
  if (signed.signature.byteLength !== 64 || !await verifyBody(signed.body, signed.signature, author, options.inline === true)) {
    throw badSignature(author)
  }
  return entry
}

/** The rejection of an entry whose signature does not verify */
export function badSignature (author: PeerId): EntryRejectedError {
  return new EntryRejectedError('bad-signature', `signature does not verify with the key of author ${author.toString()}`)
}

/** From this many entries on, entries are checked on the process's worker threads */
export const CHECK_IN_THREADS = 32

/** What the worker threads found of an entry: its id, and whether it failed */
export interface ThreadCheck {
  id: string
  problem?: 'not-canonical' | 'bad-signature'
  /** A chunk's word hashes (see `VerifiedChunk.words`) */
  words?: Int32Array
}

/**
 * The checks of many opened entries that cost CPU (their ids, the canonical
 * encoding of their bodies and their signatures), on the process's worker
 * threads, in one message per thread: the event loop only opens and decodes
 * them (`openEnvelope` without hashing, `checkEnvelope` without the canonical
 * check). A signature check through libuv's thread pool costs the event
 * loop ~27 µs of its own; a packed batch ~1 µs an entry.
 */
export async function checkEntries (entries: CheckedEntry[]): Promise<ThreadCheck[]> {
  const pool = entryPool()
  const parts = split(entries, pool.size, CHECK_IN_THREADS / 2)
  const answers = await Promise.all(parts.map(async part => await pool.run({ op: 'check', packed: packEntries(part) })))
  return answers.flatMap(answer => {
    if (!('checked' in answer)) throw new Error('the checking thread answered something else')
    const { ids, problems, words } = answer.checked
    return ids.map((id, i): ThreadCheck => problems[i] === 0 ? { id, words: wordsOf(words, i) } : { id, problem: problems[i] === 1 ? 'not-canonical' : 'bad-signature' })
  })
}

/**
 * Entries as one buffer for a checking thread: per entry, its kind (1
 * byte: 1 a chunk, 2 an event, as on the wire), the body's length (4 bytes, little-endian), the body, the
 * signature (64 bytes) and the author's key (32 bytes; zeros when it has
 * none, which fails)
 */
function packEntries (entries: CheckedEntry[]): Uint8Array<ArrayBuffer> {
  let size = 0
  for (const { signed } of entries) size += 1 + 4 + signed.body.byteLength + 64 + 32
  const packed = new Uint8Array(size)
  const view = new DataView(packed.buffer)
  let at = 0
  for (const { kind, signed, author } of entries) {
    packed[at] = kind === EntryKind.CHUNK ? 1 : 2
    view.setUint32(at + 1, signed.body.byteLength, true)
    packed.set(signed.body, at + 5)
    at += 5 + signed.body.byteLength
    // a signature of another length is left as zeros: it cannot verify
    if (signed.signature.byteLength === 64) packed.set(signed.signature, at)
    const key = author.publicKey?.raw
    if (key?.byteLength === 32) packed.set(key, at + 64)
    at += 64 + 32
  }
  return packed
}

/**
 * Checks packed entries on the calling thread (a checking thread): the id of
 * each, and 0 when it passes, 1 when its body is not in canonical encoding,
 * 2 when its signature does not verify; and the words of each chunk's text
 * for the lexical index (none for an event or an entry that fails)
 */
export function checkPacked (packed: Uint8Array): { ids: string[], problems: Uint8Array<ArrayBuffer>, words: PackedWords } {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength)
  const ids: string[] = []
  const problems: number[] = []
  const words = new WordPacker()
  for (let at = 0; at < packed.byteLength;) {
    const kind = packed[at]
    const length = view.getUint32(at + 1, true)
    const body = packed.subarray(at + 5, at + 5 + length)
    at += 5 + length
    const signature = packed.subarray(at, at + 64)
    const raw = packed.subarray(at + 64, at + 96)
    at += 96
    ids.push(entryId(body))
    let canonical = false
    let text = ''
    try {
      if (kind === 1) {
        const chunk = Chunk.decode(body, { limits: CHUNK_LIMITS })
        canonical = sameBytes(Chunk.encode(chunk), body)
        text = chunk.text
      } else {
        canonical = sameBytes(Event.encode(Event.decode(body, { limits: EVENT_LIMITS })), body)
      }
    } catch {}
    let verified = false
    if (canonical) {
      try {
        verified = verifySignature(uint8ArrayConcat([SIGNING_DOMAIN, body]), signature, raw)
      } catch {}
    }
    problems.push(!canonical ? 1 : verified ? 0 : 2)
    words.add(canonical && verified ? text : '')
  }
  return { ids, problems: Uint8Array.from(problems), words: words.packed() }
}

/**
 * Decodes and checks an entry received from anywhere (a peer, a file): size,
 * schema, canonical encoding, field limits, author key and signature.
 *
 * @throws {EntryRejectedError} with a stable `reason`
 */
export async function verifyEntry (bytesOrEntry: Uint8Array | SignedEntry, options: VerifyOptions = {}): Promise<VerifiedEntry> {
  const bytes = bytesOrEntry instanceof Uint8Array ? bytesOrEntry : SignedEntry.encode(bytesOrEntry)
  return await checkSignature(checkEnvelope(openEnvelope(bytes), options))
}

/**
 * The zone of an encoded SignedEntry, read from the bytes themselves without
 * decoding the body: the wire guard's question. Anything it cannot read is
 * reported as PRIVATE, so it is never sent.
 */
export function zoneOfBytes (bytes: Uint8Array): Zone {
  const body = findField(bytes, 0, bytes.byteLength, 2)
  if (body?.wire !== 2) return Zone.PRIVATE
  // chunks and events both carry the zone as field 3, a varint
  const zone = findField(bytes, body.start, body.end, 3)
  if (zone?.wire !== 0) return Zone.PRIVATE
  return zone.value === 2 ? Zone.SHARED : zone.value === 3 ? Zone.FEDERATION : Zone.PRIVATE
}

/**
 * The first field numbered `wanted` of the protobuf message in
 * bytes[start, end): a varint's value, or where a length-delimited field's
 * bytes are. Undefined when absent or when the bytes cannot be walked.
 */
function findField (bytes: Uint8Array, start: number, end: number, wanted: number): { wire: 0, value: number } | { wire: 2, start: number, end: number } | undefined {
  let pos = start
  while (pos < end) {
    const tag = readVarint(bytes, pos, end)
    if (tag == null) return undefined
    const field = tag.value >>> 3
    const wire = tag.value & 7
    const value = readVarint(bytes, tag.next, end)
    if (value == null || (wire !== 0 && wire !== 2)) return undefined
    if (wire === 0) {
      if (field === wanted) return { wire, value: value.value }
      pos = value.next
    } else {
      if (value.next + value.value > end) return undefined
      if (field === wanted) return { wire, start: value.next, end: value.next + value.value }
      pos = value.next + value.value
    }
  }
  return undefined
}

/** A varint of up to 7 bytes (enough for any length or zone here) */
function readVarint (bytes: Uint8Array, pos: number, end: number): { value: number, next: number } | undefined {
  let value = 0
  let scale = 1
  for (let i = 0; i < 7 && pos < end; i++) {
    const byte = bytes[pos++]
    value += (byte & 0x7f) * scale
    if ((byte & 0x80) === 0) return { value, next: pos }
    scale *= 0x80
  }
  return undefined
}

// node:crypto keys made once per private key: building one per signature
// costs more than the signature itself
const signingKeys = new WeakMap<PrivateKey, KeyObject>()

/**
 * An entry as it is signed and sent: the canonical SignedEntry of a body,
 * signed over the domain-prefixed body. Synchronous: for small batches and
 * for the signing threads.
 */
export function signedEntryBytes (kind: EntryKind, body: Uint8Array<ArrayBuffer>, signer: Signer): Uint8Array<ArrayBuffer> {
  return SignedEntry.encode({ kind, body, signature: signer.sign(uint8ArrayConcat([SIGNING_DOMAIN, body])) })
}

/** The body and signature of a canonical SignedEntry, as views of its bytes */
export function envelopeParts (kind: EntryKind, bytes: Uint8Array<ArrayBuffer>): SignedEntry {
  // kind (2 bytes), body tag, body length, body, signature tag and length (2 bytes), signature (64)
  const rest = bytes.byteLength - 2 - 1 - 2 - 64
  let lengthBytes = 1
  while (varintLength(rest - lengthBytes) !== lengthBytes) lengthBytes++
  const bodyStart = 3 + lengthBytes
  return { kind, body: bytes.subarray(bodyStart, bytes.byteLength - 66), signature: bytes.subarray(bytes.byteLength - 64) }
}

function ed25519Key (key: PrivateKey): KeyObject {
  let keyObject = signingKeys.get(key)
  if (keyObject == null) {
    keyObject = signingKeyFromSeed(key.raw.subarray(0, 32))
    signingKeys.set(key, keyObject)
  }
  return keyObject
}

/** Signs on libuv's thread pool (node:crypto with a callback), off the event loop */
async function signBody (body: Uint8Array, key: PrivateKey): Promise<Uint8Array<ArrayBuffer>> {
  const message = uint8ArrayConcat([SIGNING_DOMAIN, body])
  if (key.type !== 'Ed25519') return await key.sign(message) as Uint8Array<ArrayBuffer>
  const signingKey = ed25519Key(key)
  const signature = await new Promise<Buffer>((resolve, reject) => {
    cryptoSign(null, message, signingKey, (err, sig) => { err != null ? reject(err) : resolve(sig) })
  })
  return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength) as Uint8Array<ArrayBuffer>
}

/**
 * Verifies inline (with libsodium where it loads), or on libuv's thread pool
 * with node:crypto, off the event loop: both accept exactly the same
 * signatures (see ed25519.ts)
 */
async function verifyBody (body: Uint8Array, signature: Uint8Array, author: PeerId, inline: boolean): Promise<boolean> {
  const raw = author.publicKey?.raw
  if (raw == null || raw.byteLength !== 32) return false
  const message = uint8ArrayConcat([SIGNING_DOMAIN, body])
  if (inline) return verifySignature(message, signature, raw)
  const key = verifyingKey(raw)
  return await new Promise<boolean>((resolve) => {
    cryptoVerify(null, message, key, signature, (err, ok) => { resolve(err == null && ok) })
  })
}

/** The author's peer id from the multihash in a body */
export function authorOf (multihash: Uint8Array): PeerId {
  // the same few authors sign most entries: decode each once
  const key = Buffer.from(multihash.buffer, multihash.byteOffset, multihash.byteLength).toString('latin1')
  let author = authors.get(key)
  if (author == null) {
    author = peerIdFromMultihash(Digest.decode(multihash))
    if (authors.size >= 10_000) authors.clear()
    authors.set(key, author)
  }
  return author
}

const authors = new Map<string, PeerId>()

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

/** Byte equality, natively */
function sameBytes (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}

function checkCanonical (encoded: Uint8Array, received: Uint8Array): void {
  if (!sameBytes(encoded, received)) throw notCanonical()
}

/** The rejection of an entry whose body is not in canonical encoding */
export function notCanonical (): EntryRejectedError {
  return new EntryRejectedError('malformed', 'body is not in canonical encoding (fields out of order, defaults written or unknown fields)')
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
  if (event.kind === EventKind.USE) {
    if (event.uses < 1) throw new EntryRejectedError('malformed', 'a use event records at least one use')
    if (event.uses > MAX_EVENT_USES) throw new EntryRejectedError('oversized', `a use event records at most ${MAX_EVENT_USES} uses of each target`)
  } else if (event.uses !== 0) {
    throw new EntryRejectedError('malformed', 'only a use event counts uses')
  }
  if (event.kind === EventKind.LINK) {
    if (event.weight > MAX_LINK_WEIGHT) throw new EntryRejectedError('malformed', `a link weighs at most ${MAX_LINK_WEIGHT} thousandths`)
  } else if (event.weight !== 0) {
    throw new EntryRejectedError('malformed', 'only a link has a weight')
  }
  if (event.kind === EventKind.SIGNAL) {
    if (event.zone !== Zone.FEDERATION) throw new EntryRejectedError('malformed', 'a signal event lives in the federation zone')
    if (event.targets.length < 2) throw new EntryRejectedError('malformed', 'a signal event names at least two chunks')
    if (new Set(event.targets).size !== event.targets.length) throw new EntryRejectedError('malformed', 'a signal event names each chunk once')
    if (event.score > MAX_SIGNAL_FRACTION || event.novelty > MAX_SIGNAL_FRACTION) throw new EntryRejectedError('malformed', `a signal's score and novelty are at most ${MAX_SIGNAL_FRACTION} thousandths`)
    checkString('topic', event.topic, MAX_STRING_LENGTH)
  } else if (event.score !== 0 || event.novelty !== 0 || event.topic !== '') {
    throw new EntryRejectedError('malformed', 'only a signal has a score, a novelty and a topic')
  }
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

/** Whether this machine stores floats little-endian, as embeddings are encoded: then their bytes are copied as they are */
export const LITTLE_ENDIAN = endianness() === 'LE'

/** The float32 vector of an embedding, copied out of its little-endian bytes */
export function vectorFromBytes (bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4)
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, out.byteLength))
    return out
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true)
  return out
}

/** The little-endian bytes of a float32 vector, in memory of their own */
export function vectorToBytes (vector: Float32Array): Uint8Array<ArrayBuffer> {
  if (LITTLE_ENDIAN) return new Uint8Array(vector.slice().buffer)
  const out = new Uint8Array(vector.length * 4)
  const view = new DataView(out.buffer)
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i], true)
  return out
}
