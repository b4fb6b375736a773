import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto'
import { noise } from '@libp2p/noise'
import { Uint8ArrayList } from 'uint8arraylist'
import type { NoiseExtensions } from '@libp2p/noise'
import type { ConnectionEncrypter } from '@libp2p/interface'
import type { KeyObject } from 'node:crypto'

/**
 * From this size on, @libp2p/noise seals a message with Node's
 * ChaCha20-Poly1305 (below it, with its WebAssembly one, which is faster
 * for small messages)
 */
export const NATIVE_FROM = 1200

const CHACHA = 'chacha20-poly1305'
const TAG = 16

/** What `noise()` builds, with the part of it this module replaces */
interface NoiseEncrypter extends ConnectionEncrypter<NoiseExtensions> {
  crypto: {
    encrypt(plaintext: Uint8Array | Uint8ArrayList, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array): Uint8Array | Uint8ArrayList
    decrypt(ciphertext: Uint8Array | Uint8ArrayList, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array, dst?: Uint8Array): Uint8Array | Uint8ArrayList
  }
}

/**
 * The Noise connection encrypter of a mesh node: @libp2p/noise, whose
 * native ChaCha20-Poly1305 path gets a `KeyObject` made once per session
 * key. Given the key's bytes, Node turns them into a key object for every
 * message, and that costs more than sealing a heartbeat (~19 µs against
 * ~11 µs a message of 1.5 KB, measured here with Node 24): with a hundred
 * nodes in one process it was a twentieth of all CPU. The wire is the same
 * Noise; small messages keep the WebAssembly path.
 */
export function meshNoise (): ReturnType<typeof noise> {
  const factory = noise()
  return (components) => {
    const encrypter = factory(components) as NoiseEncrypter
    const { encrypt, decrypt } = encrypter.crypto
    encrypter.crypto = {
      ...encrypter.crypto,
      encrypt: (plaintext, nonce, ad, k) => plaintext.byteLength < NATIVE_FROM ? encrypt(plaintext, nonce, ad, k) : seal(plaintext, nonce, ad, k),
      decrypt: (ciphertext, nonce, ad, k, dst) => ciphertext.byteLength < NATIVE_FROM ? decrypt(ciphertext, nonce, ad, k, dst) : open(ciphertext, nonce, ad, k)
    }
    return encrypter
  }
}

/** The key object of each session key, by the key's bytes (a session's key never changes in place, but is checked) */
const keys = new WeakMap<Uint8Array, { bytes: Buffer, key: KeyObject }>()

function keyOf (k: Uint8Array): KeyObject {
  const known = keys.get(k)
  if (known != null && known.bytes.equals(k)) return known.key
  const bytes = Buffer.from(k)
  const key = createSecretKey(bytes)
  keys.set(k, { bytes, key })
  return key
}

/** ChaCha20-Poly1305 as Noise uses it: the ciphertext, then the 16-byte tag */
export function seal (plaintext: Uint8Array | Uint8ArrayList, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array): Uint8Array | Uint8ArrayList {
  const cipher = createCipheriv(CHACHA, keyOf(k), nonce, { authTagLength: TAG })
  cipher.setAAD(ad, { plaintextLength: plaintext.byteLength })
  if (plaintext instanceof Uint8Array) {
    const body = cipher.update(plaintext)
    const final = cipher.final()
    const tag = cipher.getAuthTag()
    return Buffer.concat([body, final, tag], body.byteLength + final.byteLength + tag.byteLength)
  }
  const out = new Uint8ArrayList()
  for (const part of plaintext) out.append(cipher.update(part))
  const final = cipher.final()
  if (final.byteLength > 0) out.append(final)
  out.append(cipher.getAuthTag())
  return out
}

/** Opens what `seal` made; throws when the tag does not match */
export function open (ciphertext: Uint8Array | Uint8ArrayList, nonce: Uint8Array, ad: Uint8Array, k: Uint8Array): Uint8Array | Uint8ArrayList {
  if (ciphertext.byteLength < TAG) throw new Error('Invalid chacha20poly1305 decryption: shorter than its tag')
  const decipher = createDecipheriv(CHACHA, keyOf(k), nonce, { authTagLength: TAG })
  const end = ciphertext.byteLength - TAG
  const tag = ciphertext.subarray(end)
  decipher.setAAD(ad, { plaintextLength: end })
  decipher.setAuthTag(tag)
  if (ciphertext instanceof Uint8Array) {
    const body = decipher.update(ciphertext.subarray(0, end))
    const final = decipher.final()
    return final.byteLength > 0 ? Buffer.concat([body, final], body.byteLength + final.byteLength) : body
  }
  const out = new Uint8ArrayList()
  for (const part of ciphertext.sublist(0, end)) out.append(decipher.update(part))
  const final = decipher.final()
  if (final.byteLength > 0) out.append(final)
  return out
}
