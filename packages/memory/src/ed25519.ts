/**
 * Ed25519 signatures of memory entries, made and checked synchronously on
 * the calling thread (a signing or checking thread of the entry pool, or the
 * event loop for one small entry).
 *
 * libsodium (`sodium-native`, prebuilt for every platform Node runs on)
 * signs about 2.5× and verifies about 2× faster than node:crypto's OpenSSL
 * on the same core, and a sync of thousands of entries is bound by those
 * checks. Where the addon cannot load, node:crypto does the same job.
 * Signatures are the same bytes either way (Ed25519 is deterministic), and
 * both refuse the same signatures, including those made for keys or with
 * points of small order, which no honest signer produces (the tests check
 * this with crafted signatures); see protocols/memory.md.
 */
import { createPrivateKey, createPublicKey, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto'
import { createRequire } from 'node:module'
import type { KeyObject } from 'node:crypto'

/** What this module uses of sodium-native */
interface Sodium {
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void
  crypto_sign_detached(sig: Uint8Array, message: Uint8Array, sk: Uint8Array): void
  crypto_sign_verify_detached(sig: Uint8Array, message: Uint8Array, pk: Uint8Array): boolean
}

function loadSodium (): Sodium | undefined {
  try {
    return createRequire(import.meta.url)('sodium-native') as Sodium
  } catch {
    return undefined
  }
}

/** One implementation of Ed25519 for entries */
export interface Ed25519 {
  readonly name: 'libsodium' | 'node:crypto'
  /** A signer from the 32-byte seed of an Ed25519 private key */
  signer(seed: Uint8Array): Signer
  /** Whether `signature` is `publicKey`'s signature of `message` (both already of the right lengths) */
  verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean
}

/** A key that signs on the calling thread */
export interface Signer {
  sign(message: Uint8Array): Uint8Array<ArrayBuffer>
}

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex')

const nodeCrypto: Ed25519 = {
  name: 'node:crypto',
  signer (seed) {
    const key = signingKeyFromSeed(seed)
    return {
      sign (message) {
        const signature = cryptoSign(null, message, key)
        return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength) as Uint8Array<ArrayBuffer>
      }
    }
  },
  verify (message, signature, publicKey) {
    return cryptoVerify(null, message, verifyingKey(publicKey), signature)
  }
}

function libsodium (sodium: Sodium): Ed25519 {
  return {
    name: 'libsodium',
    signer (seed) {
      const secret = new Uint8Array(64)
      sodium.crypto_sign_seed_keypair(new Uint8Array(32), secret, seed)
      return {
        sign (message) {
          const signature = new Uint8Array(64)
          sodium.crypto_sign_detached(signature, message, secret)
          return signature
        }
      }
    },
    verify (message, signature, publicKey) {
      return sodium.crypto_sign_verify_detached(signature, message, publicKey)
    }
  }
}

const sodium = loadSodium()

/** Every implementation that works in this process, the fastest first */
export const ED25519_BACKENDS: readonly Ed25519[] = sodium != null ? [libsodium(sodium), nodeCrypto] : [nodeCrypto]

const backend = ED25519_BACKENDS[0]

/** Which implementation signs and verifies in this process */
export const ED25519_BACKEND = backend.name

/** A signer from the 32-byte seed of an Ed25519 private key */
export function signerFromSeed (seed: Uint8Array): Signer {
  if (seed.byteLength !== 32) throw new RangeError('an Ed25519 seed has 32 bytes')
  return backend.signer(seed)
}

/** An Ed25519 signing key of node:crypto from the 32-byte seed of a key */
export function signingKeyFromSeed (seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' })
}

/**
 * Whether `signature` is `publicKey`'s Ed25519 signature of `message`; false
 * (never a throw) for a key or signature of the wrong length or a key that
 * is not a point
 */
export function verifySignature (message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.byteLength !== 64 || publicKey.byteLength !== 32) return false
  try {
    return backend.verify(message, signature, publicKey)
  } catch {
    return false
  }
}

const verifyingKeys = new Map<string, KeyObject>()

/**
 * The node:crypto key of a raw Ed25519 public key, kept for the few authors
 * most entries come from: building one per signature costs more than the
 * signature itself
 */
export function verifyingKey (raw: Uint8Array): KeyObject {
  const id = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1')
  let keyObject = verifyingKeys.get(id)
  if (keyObject == null) {
    keyObject = createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' })
    if (verifyingKeys.size >= 10_000) verifyingKeys.clear()
    verifyingKeys.set(id, keyObject)
  }
  return keyObject
}
