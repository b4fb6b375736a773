import type { Uint8ArrayList } from 'uint8arraylist'

/** A length prefix runs past the bytes that the largest allowed length takes */
export class InvalidDataLengthLengthError extends Error {
  static override name = 'InvalidDataLengthLengthError'
  override name = 'InvalidDataLengthLengthError'
}

/** Options of a length-prefixed stream (`lpStream`, `pbStream` of @libp2p/utils) */
export interface LengthPrefixOptions {
  maxDataLength: number
  maxLengthLength: number
  lengthDecoder(data: Uint8ArrayList): number
}

/** Bytes of the unsigned varint of `value` */
export function varintLength (value: number): number {
  let bytes = 1
  while (value >= 0x80) {
    value = Math.floor(value / 0x80)
    bytes++
  }
  return bytes
}

/**
 * Stream options that refuse a message over `maxDataLength` bytes as soon
 * as its length prefix shows it. The stream reads a prefix a byte at a time
 * and decodes it after each one; the library's decoder reports a prefix of
 * more than 8 bytes as unfinished, so a prefix such as 2^63 kept a stream
 * waiting for more bytes until its read deadline. This one refuses a prefix
 * at its first byte past the length of the largest allowed one.
 */
export function lengthPrefixed (maxDataLength: number): LengthPrefixOptions {
  const maxLengthLength = varintLength(maxDataLength)
  return {
    maxDataLength,
    maxLengthLength,
    lengthDecoder (data) {
      let value = 0
      for (let i = 0; i < data.byteLength; i++) {
        if (i === maxLengthLength) {
          throw new InvalidDataLengthLengthError(`length prefix longer than ${maxLengthLength} bytes: the message would be over the ${maxDataLength} byte limit`)
        }
        const byte = data.get(i)
        value += (byte & 0x7f) * 2 ** (7 * i)
        if (byte < 0x80) return value
      }
      // the stream reads on and asks again
      throw new RangeError('length prefix not complete')
    }
  }
}
