import { publicKeyFromProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { RPC } from '@libp2p/gossipsub/message'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { InvalidHeartbeatError } from './errors.js'
import type { SignedMessage } from '@libp2p/gossipsub'
import type { PeerId, PublicKey } from '@libp2p/interface'
import type { RelayedBeat } from '@overmind/protocols'

/** What gossipsub prefixes to a message before signing it */
const SIGN_PREFIX = uint8ArrayFromString('libp2p-pubsub:')

/** A beat as its author signed it on the topic, kept so it can be handed on */
export interface SignedBeat extends Omit<RelayedBeat, 'ageMs'> {
  /** local clock, ms */
  receivedAt: number
}

/** The fields of a signed gossipsub message that its signature covers, and the signature */
export function signedBeat (msg: SignedMessage, receivedAt: number): SignedBeat {
  const seqno = new Uint8Array(8)
  new DataView(seqno.buffer).setBigUint64(0, msg.sequenceNumber, false)
  return {
    from: Uint8Array.from(msg.from.toMultihash().bytes),
    data: msg.data as Uint8Array<ArrayBuffer>,
    seqno,
    signature: msg.signature as Uint8Array<ArrayBuffer>,
    // a peer id that embeds its key (Ed25519, secp256k1) makes the key redundant
    key: msg.from.publicKey == null ? publicKeyToProtobuf(msg.key) as Uint8Array<ArrayBuffer> : undefined,
    receivedAt
  }
}

/**
 * The author of a beat handed on by a neighbour, and the key its signature
 * must check with: the same checks gossipsub makes of a message's `from`
 * and `key` under the `StrictSign` policy.
 *
 * @throws {InvalidHeartbeatError}
 */
export function relayedAuthor (relayed: RelayedBeat): { author: PeerId, key: PublicKey } {
  let author: PeerId
  try {
    author = peerIdFromMultihash(Digest.decode(relayed.from))
  } catch (err: any) {
    throw new InvalidHeartbeatError('malformed', `relayed beat names no valid author: ${err.message}`)
  }
  if (relayed.seqno.byteLength !== 8) {
    throw new InvalidHeartbeatError('malformed', `relayed beat has a ${relayed.seqno.byteLength} byte seqno, not 8`)
  }
  let key: PublicKey | undefined = author.publicKey
  if (relayed.key != null) {
    key = parseKey(relayed.key)
    if (!author.equals(key.toMultihash().bytes)) {
      throw new InvalidHeartbeatError('author-mismatch', 'relayed beat carries a key of another peer than its author')
    }
  }
  if (key == null) {
    throw new InvalidHeartbeatError('malformed', 'relayed beat carries no key and its author id embeds none')
  }
  return { author, key }
}

/**
 * Checks the author's gossipsub signature over a relayed beat published on
 * `topic`, so a neighbour can hand on what it received but cannot alter or
 * invent it.
 *
 * @throws {InvalidHeartbeatError}
 */
export async function verifyRelayedSignature (relayed: RelayedBeat, key: PublicKey, topic: string): Promise<void> {
  const signed = uint8ArrayConcat([SIGN_PREFIX, RPC.Message.encode({ from: relayed.from, data: relayed.data, seqno: relayed.seqno, topic, signature: undefined, key: undefined })])
  if (!(await key.verify(signed, relayed.signature))) {
    throw new InvalidHeartbeatError('bad-signature', 'relayed beat does not carry its author\'s signature')
  }
}

function parseKey (bytes: Uint8Array): PublicKey {
  try {
    return publicKeyFromProtobuf(bytes)
  } catch (err: any) {
    throw new InvalidHeartbeatError('malformed', `relayed beat carries an invalid key: ${err.message}`)
  }
}
