import { reader } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

type Reader = ReturnType<typeof reader>

/** protons' reader class, which its package does not export by name */
const ProtonsReader = reader(new Uint8Array(0)).constructor as new (buf: Uint8Array) => Reader

/** Keeps a leading U+FEFF, as protons does: a BOM in a text is part of it */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * protons' reader with strings decoded by the platform's UTF-8 decoder.
 * protons decodes a string a byte at a time in JavaScript (~25 µs for a
 * 1.3 KB chunk text, ~1.5 µs this way), and every received entry's text is
 * decoded on the event loop. Valid UTF-8 gives the same string either way;
 * invalid bytes become U+FFFD, so a body holding them is not in canonical
 * encoding and is refused.
 */
class NativeStringReader extends ProtonsReader {
  override string (): string {
    return utf8.decode(this.bytes())
  }
}

/**
 * `decodeMessage` of protons-runtime with native string decoding: the
 * generated codecs in this package import it from here (see
 * `scripts/generate.mjs`)
 */
export function decodeMessage <T> (buf: Uint8Array | Uint8ArrayList, codec: Pick<Codec<T>, 'decode'>, opts?: DecodeOptions<T>): T {
  return codec.decode(new NativeStringReader(buf instanceof Uint8Array ? buf : buf.subarray()), undefined, opts)
}
