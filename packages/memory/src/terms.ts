import { STEM_SUFFIXES, STOPWORDS } from './embedder.js'
import { grown } from './int-list.js'

/**
 * The words of a text for the lexical index, as 64-bit hashes read straight
 * from the text's characters: no lowercased copy, no array of matches, no
 * string per word. Splitting an imported chunk of ~1.3 KB into ~200 word
 * strings, stemming them and looking each up in a Map took ~100 µs of the
 * event loop per chunk, and left ~200 young objects per chunk for the
 * collector.
 *
 * The words are those of `tokenize` (the hashing embedder's): maximal runs
 * of letters and numbers of the lowercased text, Unicode-aware, with the
 * same light English stemmer, stopwords left out. Each character is
 * lowercased on its own, so a final sigma (ς), which only a whole-string
 * lowercase produces, is folded into σ on every side.
 */

/** What an ASCII character adds to a word: its lowercase code, or 0 when it ends one */
const ASCII = new Int32Array(128)
for (let c = 0; c < 128; c++) {
  if (c >= 0x30 && c <= 0x39) ASCII[c] = c
  else if (c >= 0x61 && c <= 0x7a) ASCII[c] = c
  else if (c >= 0x41 && c <= 0x5a) ASCII[c] = c + 0x20
}

const WORD_CHAR = /^[\p{L}\p{N}]$/u

/**
 * What a code point beyond ASCII becomes: the UTF-16 units of its lowercase
 * form, with -1 where a character that is not a letter or number ends the
 * word (U+0130 lowercases to i and a combining dot, which ends it)
 */
function lowerOf (codePoint: number): number[] {
  const out: number[] = []
  for (const char of String.fromCodePoint(codePoint).toLowerCase()) {
    if (!WORD_CHAR.test(char)) {
      out.push(-1)
      continue
    }
    const folded = char === 'ς' ? 'σ' : char
    for (let i = 0; i < folded.length; i++) out.push(folded.charCodeAt(i))
  }
  return out
}

/**
 * `lowerOf` of the Basic Multilingual Plane, worked out once per character
 * and kept in a fixed table (128 KB a thread, however many scripts its texts
 * use): 0 not worked out yet, 1 a character that ends a word, 2 one whose
 * lowercase has several units (in `several`), else its one lowercase unit
 */
const BMP = new Uint16Array(0x10000)
const ENDS = 1
const SEVERAL = 2
const several = new Map<number, readonly number[]>()
/** Code points beyond the BMP, and the few BMP ones of several units: bounded, cleared when full */
const SEVERAL_LIMIT = 4096

const WORD_END = [-1] as const
/** The answer for a character of one lowercase unit, reused: read before the next call */
const single: number[] = [0]

function lower (codePoint: number): readonly number[] {
  if (codePoint < 0x10000) {
    let value = BMP[codePoint]
    if (value === 0) {
      const units = lowerOf(codePoint)
      value = units.length === 1 ? (units[0] < 0 ? ENDS : units[0]) : SEVERAL
      if (value === SEVERAL) remember(codePoint, units)
      BMP[codePoint] = value
    }
    if (value === ENDS) return WORD_END
    if (value !== SEVERAL) {
      single[0] = value
      return single
    }
  }
  let units = several.get(codePoint)
  if (units == null) {
    units = lowerOf(codePoint)
    remember(codePoint, units)
  }
  return units
}

function remember (codePoint: number, units: readonly number[]): void {
  if (several.size >= SEVERAL_LIMIT) several.clear()
  several.set(codePoint, units)
}

/** The stemmer's suffixes (the embedder's), as UTF-16 units */
const SUFFIXES = STEM_SUFFIXES.map(s => Array.from(s, c => c.charCodeAt(0)))

/**
 * Splits texts into word hashes. One scanner per thread of use: `scan`
 * reuses its buffers, and its answer lives until the next call.
 */
export class TermScanner {
  /** The hashes of the words of the last text scanned: h1, h2, h1, h2… */
  hashes = new Int32Array(512)
  private word = new Uint16Array(64)

  /** Reads the words of `text` into `hashes`; returns how many */
  scan (text: string): number {
    let count = 0
    let length = 0
    let word = this.word
    const end = text.length
    for (let i = 0; i <= end; i++) {
      const c = i < end ? text.charCodeAt(i) : 0
      if (c < 128) {
        const unit = ASCII[c]
        if (unit !== 0) {
          if (length === word.length) word = this.word = grown(word, length * 2)
          word[length++] = unit
        } else if (length > 0) {
          this.add(count++, length)
          length = 0
        }
        continue
      }
      let codePoint = c
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
        const next = text.charCodeAt(i + 1)
        if (next >= 0xdc00 && next <= 0xdfff) {
          codePoint = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
          i++
        }
      }
      for (const unit of lower(codePoint)) {
        if (unit >= 0) {
          if (length === word.length) word = this.word = grown(word, length * 2)
          word[length++] = unit
        } else if (length > 0) {
          this.add(count++, length)
          length = 0
        }
      }
    }
    return count
  }

  /** Stems the word in the buffer and puts its hashes at `index` */
  private add (index: number, length: number): void {
    if (index * 2 + 2 > this.hashes.length) this.hashes = grown(this.hashes, this.hashes.length * 2)
    hashUnits(this.word, stemmed(this.word, length), this.hashes, index * 2)
  }
}

/** The length of a lowercase word once the stemmer has removed its suffix */
function stemmed (word: Uint16Array, length: number): number {
  if (length <= 4) return length
  for (const suffix of SUFFIXES) {
    if (length - suffix.length < 3) continue
    let match = true
    for (let j = 0; j < suffix.length; j++) {
      if (word[length - suffix.length + j] !== suffix[j]) {
        match = false
        break
      }
    }
    if (match) return length - suffix.length
  }
  return length
}

/** Two independent 32-bit hashes of `units[0, length)` into `out[at]` and `out[at + 1]` */
function hashUnits (units: Uint16Array, length: number, out: Int32Array, at: number): void {
  let h1 = 0x811c9dc5 ^ length
  let h2 = 0x9747b28c
  for (let i = 0; i < length; i++) {
    const u = units[i]
    h1 = Math.imul(h1 ^ u, 0x01000193)
    h2 = Math.imul(h2 ^ u, 0x5bd1e995)
    h2 ^= h2 >>> 13
  }
  out[at] = mix(h1)
  out[at + 1] = mix(h2 ^ length)
}

/** murmur3's finalizer: every bit of the input reaches every bit of the output */
function mix (h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/** The two hashes of one word, as a scan finds them: for tests */
export function termHash (word: string): [number, number] {
  const out = new Int32Array(2)
  hashUnits(unitsOf(word), word.length, out, 0)
  return [out[0], out[1]]
}

function unitsOf (word: string): Uint16Array {
  return Uint16Array.from({ length: word.length }, (_, i) => word.charCodeAt(i))
}

/** No term here yet */
export const ABSENT = -2
/** A stopword: never indexed, never searched */
export const STOPWORD = -1

/**
 * Term ids by word hash, in an open-addressed table of typed arrays (a Map
 * of a few hundred thousand strings is what the collector would mark on
 * every full collection). Stopwords are in it from the start, as STOPWORD.
 * Two words share an id only if both of their 32-bit hashes collide.
 */
export class TermTable {
  private first = new Int32Array(1 << 12)
  private second = new Int32Array(1 << 12)
  /** 0: empty; else the value + 2 (STOPWORD, or an id) */
  private values = new Int32Array(1 << 12)
  private used = 0

  constructor () {
    const hashes = new Int32Array(2)
    for (const word of STOPWORDS) {
      hashUnits(unitsOf(word), word.length, hashes, 0)
      this.set(hashes[0], hashes[1], STOPWORD)
    }
  }

  /** The id of the word with these hashes, STOPWORD, or ABSENT */
  get (h1: number, h2: number): number {
    const mask = this.values.length - 1
    for (let slot = h1 & mask; ; slot = (slot + 1) & mask) {
      const value = this.values[slot]
      if (value === 0) return ABSENT
      if (this.first[slot] === h1 && this.second[slot] === h2) return value - 2
    }
  }

  /** The id of the word with these hashes; `create()` makes one when it has none */
  intern (h1: number, h2: number, create: () => number): number {
    const mask = this.values.length - 1
    let slot = h1 & mask
    for (; ; slot = (slot + 1) & mask) {
      const value = this.values[slot]
      if (value === 0) break
      if (this.first[slot] === h1 && this.second[slot] === h2) return value - 2
    }
    const id = create()
    this.set(h1, h2, id)
    return id
  }

  private set (h1: number, h2: number, value: number): void {
    if ((this.used + 1) * 2 > this.values.length) this.grow()
    const mask = this.values.length - 1
    let slot = h1 & mask
    while (this.values[slot] !== 0) slot = (slot + 1) & mask
    this.first[slot] = h1
    this.second[slot] = h2
    this.values[slot] = value + 2
    this.used++
  }

  private grow (): void {
    const { first, second, values } = this
    this.first = new Int32Array(values.length * 2)
    this.second = new Int32Array(values.length * 2)
    this.values = new Int32Array(values.length * 2)
    this.used = 0
    for (let slot = 0; slot < values.length; slot++) {
      if (values[slot] !== 0) this.set(first[slot], second[slot], values[slot] - 2)
    }
  }
}

/**
 * The words of many texts in one buffer, stopwords left out, for a worker
 * thread to send with its answer: the words of text `i` are the hashes
 * `hashes[2 × (ends[i - 1] ?? 0) … 2 × ends[i]]`
 */
export class WordPacker {
  private readonly scanner = threadScanner()
  private readonly stopwords = threadStopwords()
  private hashes = new Int32Array(4096)
  private words = 0
  private readonly ends: number[] = []

  /** Adds the words of the next text (none for an entry without one) */
  add (text: string): void {
    const count = this.scanner.scan(text)
    const found = this.scanner.hashes
    if ((this.words + count) * 2 > this.hashes.length) {
      let capacity = this.hashes.length
      while ((this.words + count) * 2 > capacity) capacity *= 2
      this.hashes = grown(this.hashes, capacity)
    }
    for (let w = 0; w < count; w++) {
      const h1 = found[w * 2]
      const h2 = found[w * 2 + 1]
      if (this.stopwords.get(h1, h2) === STOPWORD) continue
      this.hashes[this.words * 2] = h1
      this.hashes[this.words * 2 + 1] = h2
      this.words++
    }
    this.ends.push(this.words)
  }

  /** What was added, in buffers of their own, ready to transfer */
  packed (): PackedWords {
    return { hashes: this.hashes.slice(0, this.words * 2), ends: Uint32Array.from(this.ends) }
  }
}

let scanner: TermScanner | undefined
let stopwords: TermTable | undefined

/** One scanner per thread for the packers, which run one at a time */
function threadScanner (): TermScanner {
  scanner ??= new TermScanner()
  return scanner
}

/** One table per thread that knows the stopwords, and only them */
function threadStopwords (): TermTable {
  stopwords ??= new TermTable()
  return stopwords
}

/** The words of many texts, as `WordPacker` packs them */
export interface PackedWords {
  hashes: Int32Array<ArrayBuffer>
  ends: Uint32Array<ArrayBuffer>
}

/** The word hashes of text `i` of a packed set */
export function wordsOf (packed: PackedWords, i: number): Int32Array {
  return packed.hashes.subarray(2 * (i === 0 ? 0 : packed.ends[i - 1]), 2 * packed.ends[i])
}
