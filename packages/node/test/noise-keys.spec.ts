import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { noise, pureJsCrypto } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, it } from 'vitest'
import { NATIVE_FROM, meshNoise, open, seal } from '../src/noise-keys.js'

/** A plain Uint8Array copy (a Buffer is not deep-equal to one) */
const bytes = (b: Uint8Array | Uint8ArrayList): Uint8Array => new Uint8Array(b instanceof Uint8Array ? b : b.subarray())

describe('meshNoise', () => {
  const k = randomBytes(32)
  const nonce = randomBytes(12)
  const ad = randomBytes(32)

  it('seals and opens as ChaCha20-Poly1305 does in @libp2p/noise, whole or in parts', () => {
    for (const size of [NATIVE_FROM, 1500, 16_384, 65_519]) {
      const plaintext = randomBytes(size)
      const reference = bytes(pureJsCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, k))
      assert.deepEqual(bytes(seal(plaintext, nonce, ad, k)), reference, `sealed ${size} bytes`)
      const parts = new Uint8ArrayList(plaintext.subarray(0, 100), plaintext.subarray(100))
      assert.deepEqual(bytes(seal(parts, nonce, ad, k)), reference, `sealed ${size} bytes in parts`)
      assert.deepEqual(bytes(open(reference, nonce, ad, k)), bytes(plaintext), `opened ${size} bytes`)
      assert.deepEqual(bytes(open(new Uint8ArrayList(reference.subarray(0, 7), reference.subarray(7)), nonce, ad, k)), bytes(plaintext), `opened ${size} bytes in parts`)
    }
  })

  it('refuses a message whose bytes, tag or associated data were changed, or under another key', () => {
    const sealed = bytes(seal(randomBytes(2000), nonce, ad, k))
    for (const at of [0, 1999, sealed.length - 1]) {
      const forged = Uint8Array.from(sealed)
      forged[at] ^= 1
      assert.throws(() => open(forged, nonce, ad, k), `a flipped bit at ${at}`)
    }
    assert.throws(() => open(sealed, nonce, randomBytes(32), k))
    assert.throws(() => open(sealed, nonce, ad, randomBytes(32)))
    assert.throws(() => open(sealed.subarray(0, 10), nonce, ad, k), /shorter than its tag/)
  })

  it('uses the key\'s bytes as they are now, even when the same array was changed in place', () => {
    const key = Uint8Array.from(k)
    const plaintext = randomBytes(3000)
    seal(plaintext, nonce, ad, key)
    key[0] ^= 0xff
    assert.deepEqual(bytes(seal(plaintext, nonce, ad, key)), bytes(pureJsCrypto.chaCha20Poly1305Encrypt(plaintext, nonce, ad, key)))
  })

  it('speaks Noise with a peer that uses @libp2p/noise as it comes, both ways, small and large messages', async () => {
    const start = async (encrypter: typeof noise): Promise<Awaited<ReturnType<typeof createLibp2p>>> => await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [encrypter()],
      streamMuxers: [yamux()]
    })
    const ours = await start(meshNoise)
    const theirs = await start(noise)
    try {
      for (const node of [ours, theirs]) {
        await node.handle('/echo/1.0.0', async (stream) => {
          const lp = lpStream(stream, { maxDataLength: 1 << 20 })
          for (;;) {
            const message = await lp.read().catch(() => undefined)
            if (message == null) break
            await lp.write(message)
          }
          await stream.close()
        })
      }
      for (const [from, to] of [[ours, theirs], [theirs, ours]]) {
        const stream = await from.dialProtocol(to.getMultiaddrs()[0], '/echo/1.0.0')
        const lp = lpStream(stream, { maxDataLength: 1 << 20 })
        for (const size of [10, NATIVE_FROM - 100, NATIVE_FROM + 100, 70_000, 300_000]) {
          const message = randomBytes(size)
          await lp.write(message)
          assert.deepEqual(bytes(await lp.read()), bytes(message), `${size} bytes echoed`)
        }
        await stream.close()
      }
    } finally {
      await Promise.all([ours.stop(), theirs.stop()])
    }
  })
})
