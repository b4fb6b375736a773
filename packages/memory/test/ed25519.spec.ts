import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { describe, it } from 'vitest'
import { generateKeyPair, privateKeyFromRaw } from '@libp2p/crypto/keys'
import { ed25519 } from '@noble/curves/ed25519.js'
import { ED25519_BACKEND, ED25519_BACKENDS, signerFromSeed, verifySignature } from '../src/ed25519.js'

const L = 2n ** 252n + 27742317777372353535851937790883648493n
const Point = ed25519.Point

function fromLittleEndian (bytes: Uint8Array): bigint {
  let x = 0n
  for (let i = bytes.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(bytes[i])
  return x
}

function toLittleEndian (x: bigint): Uint8Array {
  const bytes = new Uint8Array(32)
  for (let i = 0; i < 32; i++) {
    bytes[i] = Number(x & 255n)
    x >>= 8n
  }
  return bytes
}

function challenge (r: Uint8Array, a: Uint8Array, message: Uint8Array): bigint {
  return fromLittleEndian(createHash('sha512').update(r).update(a).update(message).digest()) % L
}

/** Encodings of the points of small order (1, 2, 4, 8) that decode */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
].map(hex => Uint8Array.from(Buffer.from(hex, 'hex')))

/**
 * A signature of `message` that satisfies the verification equation
 * [S]B = R + [k]A for a public key `a` of small order: R = [s]B - [j]A with
 * j = k mod 8, found by trying random s
 */
function forgeForSmallOrderKey (a: Uint8Array, message: Uint8Array): Uint8Array {
  const A = Point.fromBytes(a)
  for (let attempt = 0; attempt < 10_000; attempt++) {
    const s = fromLittleEndian(randomBytes(32)) % L
    const j = BigInt(attempt % 8)
    const r = Point.BASE.multiply(s).subtract(A.multiplyUnsafe(j)).toBytes()
    if (challenge(r, a, message) % 8n === j) return Uint8Array.from([...r, ...toLittleEndian(s)])
  }
  throw new Error('no signature found')
}

describe('Ed25519 for entries', () => {
  it('loads libsodium on this platform', () => {
    assert.equal(ED25519_BACKEND, 'libsodium')
    assert.deepEqual(ED25519_BACKENDS.map(b => b.name), ['libsodium', 'node:crypto'])
  })

  it('makes the signatures of @libp2p/crypto, and every implementation verifies every other one', async () => {
    for (let i = 0; i < 8; i++) {
      const key = await generateKeyPair('Ed25519')
      const message = randomBytes(1 + i * 300)
      const reference = Uint8Array.from(await key.sign(message))
      for (const signer of ED25519_BACKENDS) {
        const signature = signer.signer(key.raw.subarray(0, 32)).sign(message)
        assert.deepEqual(Uint8Array.from(signature), reference, `${signer.name} signs as @libp2p/crypto`)
        for (const verifier of ED25519_BACKENDS) {
          assert.equal(verifier.verify(message, signature, key.publicKey.raw), true, `${verifier.name} verifies ${signer.name}`)
        }
      }
      assert.deepEqual(Uint8Array.from(signerFromSeed(key.raw.subarray(0, 32)).sign(message)), reference)
      assert.equal(verifySignature(message, reference, key.publicKey.raw), true)
    }
  })

  it('refuses a changed message, signature or key, with every implementation', async () => {
    const key = await generateKeyPair('Ed25519')
    const other = await generateKeyPair('Ed25519')
    const message = randomBytes(200)
    const signature = await key.sign(message)
    const flipped = (bytes: Uint8Array, at: number): Uint8Array => { const copy = Uint8Array.from(bytes); copy[at] ^= 1; return copy }
    // S + L: the same point equation, but not the canonical encoding of S
    const s = fromLittleEndian(signature.subarray(32))
    const malleable = Uint8Array.from([...signature.subarray(0, 32), ...toLittleEndian(s + L)])
    assert.equal(ed25519.verify(malleable, message, key.publicKey.raw, { zip215: true }), false, 'noble also refuses S ≥ L')
    for (const backend of ED25519_BACKENDS) {
      assert.equal(backend.verify(flipped(message, 17), signature, key.publicKey.raw), false, backend.name)
      assert.equal(backend.verify(message, flipped(signature, 3), key.publicKey.raw), false, backend.name)
      assert.equal(backend.verify(message, flipped(signature, 40), key.publicKey.raw), false, backend.name)
      assert.equal(backend.verify(message, signature, other.publicKey.raw), false, backend.name)
      assert.equal(backend.verify(message, malleable, key.publicKey.raw), false, `${backend.name} refuses S + L`)
    }
  })

  it('refuses keys and signature points of small order with every implementation, though the equation holds', () => {
    const message = Buffer.from('an entry body')
    for (const a of SMALL_ORDER) {
      assert.equal(Point.fromBytes(a).multiplyUnsafe(8n).is0(), true, 'the point has small order')
      const forged = forgeForSmallOrderKey(a, message)
      // the equation holds: a permissive verifier accepts the forgery
      assert.equal(ed25519.verify(forged, message, a, { zip215: true }), true)
      for (const backend of ED25519_BACKENDS) {
        assert.equal(backend.verify(message, forged, a), false, `${backend.name} refuses key ${Buffer.from(a).toString('hex')}`)
      }
    }
    // an honest key whose owner picks R = the identity: S = k·a
    const seed = randomBytes(32)
    const key = privateKeyFromRaw(Uint8Array.from([...seed, ...ed25519.getPublicKey(seed)]))
    const { scalar } = ed25519.utils.getExtendedPublicKey(seed)
    const r = SMALL_ORDER[0]
    const s = (challenge(r, key.publicKey.raw, message) * scalar) % L
    const forged = Uint8Array.from([...r, ...toLittleEndian(s)])
    assert.equal(ed25519.verify(forged, message, key.publicKey.raw, { zip215: true }), true)
    for (const backend of ED25519_BACKENDS) {
      assert.equal(backend.verify(message, forged, key.publicKey.raw), false, `${backend.name} refuses R of small order`)
    }
  })

  it('answers false, never throws, for keys and signatures of the wrong length or keys that are not points', async () => {
    const key = await generateKeyPair('Ed25519')
    const message = randomBytes(10)
    const signature = await key.sign(message)
    assert.equal(verifySignature(message, signature.subarray(0, 63), key.publicKey.raw), false)
    assert.equal(verifySignature(message, signature, key.publicKey.raw.subarray(1)), false)
    // y = 2 is not the y of any point of the curve
    const notAPoint = new Uint8Array(32)
    notAPoint[0] = 2
    assert.throws(() => Point.fromBytes(notAPoint))
    assert.equal(verifySignature(message, signature, notAPoint), false)
    assert.throws(() => signerFromSeed(new Uint8Array(31)), RangeError)
  })
})
