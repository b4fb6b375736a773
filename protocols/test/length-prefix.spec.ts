import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { Uint8ArrayList } from 'uint8arraylist'
import { InvalidDataLengthLengthError, lengthPrefixed } from '../src/length-prefix.js'

/** Feeds a prefix to the decoder a byte at a time, as a length-prefixed stream does */
function feed (options: ReturnType<typeof lengthPrefixed>, bytes: number[]): { value?: number, error?: Error, read: number } {
  const buffer = new Uint8ArrayList()
  for (const [i, byte] of bytes.entries()) {
    buffer.append(Uint8Array.of(byte))
    try {
      return { value: options.lengthDecoder(buffer), read: i + 1 }
    } catch (err: any) {
      if (!(err instanceof RangeError)) return { error: err, read: i + 1 }
    }
  }
  return { read: bytes.length }
}

describe('lengthPrefixed', () => {
  const limit = lengthPrefixed(2 * 1024 * 1024)

  it('decodes the unsigned varint of every length up to the limit', () => {
    assert.equal(limit.maxLengthLength, 4)
    for (const [bytes, value] of [[[0x00], 0], [[0x7f], 127], [[0x80, 0x01], 128], [[0xac, 0x02], 300], [[0x80, 0x80, 0x80, 0x01], 2 * 1024 * 1024]] as const) {
      assert.deepEqual(feed(limit, [...bytes]), { value, read: bytes.length })
    }
  })

  it('waits for the rest of a prefix that is not complete', () => {
    assert.deepEqual(feed(limit, [0x80, 0x80]), { read: 2 })
  })

  it('refuses a 2^63 prefix at its first byte past the longest allowed prefix', () => {
    const { error, read } = feed(limit, [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])
    assert.ok(error instanceof InvalidDataLengthLengthError, String(error))
    assert.equal(error.name, 'InvalidDataLengthLengthError')
    assert.equal(read, 5)
  })
})
