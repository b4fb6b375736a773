import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'vitest'
import xsalsa20 from 'xsalsa20'

// @libp2p/pnet encrypts every byte of a mesh connection with xsalsa20, whose
// WebAssembly memory (shared by all connections) cannot grow past 64 MiB: a
// large burst read in one piece used to throw there and end the process.
describe('mesh key cipher (patched xsalsa20)', () => {
  const key = randomBytes(32)
  const nonce = randomBytes(24)

  it('encrypts a 96 MiB buffer in one call without throwing', () => {
    const input = randomBytes(96 * 1024 * 1024)
    const output = xsalsa20(nonce, key).update(input)
    assert.equal(output.length, input.length)
    assert.notDeepEqual(output.subarray(0, 64), input.subarray(0, 64))
  })

  it('gives the same stream of bytes whatever the sizes of the pieces', () => {
    const input = randomBytes(300_000)
    const whole = xsalsa20(nonce, key).update(input)
    const pieces = xsalsa20(nonce, key)
    const parts: Uint8Array[] = []
    for (let offset = 0, size = 1; offset < input.length; offset += size, size = size * 3 + 7) {
      parts.push(pieces.update(input.subarray(offset, Math.min(offset + size, input.length))))
    }
    assert.deepEqual(Buffer.concat(parts), Buffer.from(whole))
    // and decrypting gives the input back
    assert.deepEqual(Buffer.from(xsalsa20(nonce, key).update(whole)), input)
  })
  it('serves tens of thousands of live connections at once, each with the right stream of bytes', () => {
    // each live instance keeps state in the shared memory: beyond ~10,000 the
    // memory grows, which used to strand every other instance with a stale view
    const streams = Array.from({ length: 30_000 }, () => xsalsa20(nonce, key))
    const input = randomBytes(1_500)
    const expected = Buffer.from(xsalsa20(nonce, key).update(input))
    for (const stream of streams) {
      stream.update(input.subarray(0, 700))
    }
    for (const [i, stream] of streams.entries()) {
      const tail = Buffer.from(stream.update(input.subarray(700)))
      if (i % 997 === 0) {
        assert.deepEqual(tail, expected.subarray(700))
      }
    }
  })
})
