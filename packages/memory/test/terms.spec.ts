import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { STOPWORDS, tokenize } from '../src/embedder.js'
import { ABSENT, STOPWORD, TermScanner, TermTable, WordPacker, termHash, wordsOf } from '../src/terms.js'

/** The words `tokenize` gives, stopwords left out, with a final sigma folded as the scanner folds it */
function expected (text: string): Array<[number, number]> {
  return tokenize(text).filter(w => !STOPWORDS.has(w)).map(w => termHash(w.replaceAll('ς', 'σ')))
}

function scanned (scanner: TermScanner, text: string, table = new TermTable()): Array<[number, number]> {
  const out: Array<[number, number]> = []
  const count = scanner.scan(text)
  for (let i = 0; i < count; i++) {
    const pair: [number, number] = [scanner.hashes[i * 2], scanner.hashes[i * 2 + 1]]
    if (table.get(pair[0], pair[1]) !== STOPWORD) out.push(pair)
  }
  return out
}

describe('TermScanner', () => {
  it('finds the words tokenize finds, stemmed the same way, in texts of every kind', () => {
    const scanner = new TermScanner()
    const texts = [
      '',
      '   ,,, !!! ',
      'The Postgres autovacuum was RUNNING behind; tables updated, indexes rebuilt (2024-05-01).',
      'ing es s sing sings singing bed beds bedded wanted was is caress CARESSES',
      'Résumé naïve café — “smart quotes” and dashes, ÀÉÎÕÜ ß straße',
      '漢字とかなの文章 한국어 텍스트 русский ТЕКСТ Ελληνικά ΟΔΟΣ οδος',
      'emoji 🚀 rockets 🚀🚀 and 𝐌𝐚𝐭𝐡 letters 𝒳 beside ١٢٣ digits and ⅓ fractions',
      'İstanbul DİYARBAKIR I\u0307 dotted',
      'e\u0301 decomposed vs é composed',
      'x'.repeat(5000) + ' tail'
    ]
    for (const text of texts) {
      assert.deepEqual(scanned(scanner, text), expected(text), text.slice(0, 40))
    }
  })

  it('agrees with tokenize on random mixes of scripts, marks, digits and punctuation', () => {
    const scanner = new TermScanner()
    const pool = [...'abcXYZ019 ,.-_\'"!?\t\néÉßøØΣσςπΠжЖ字かㄱ١٢\u0301\u0307İı🚀𝐀'.replace('🚀', '').replace('𝐀', ''), '🚀', '𝐀', 'ing', 'ed', 'es', 's', 'the', 'and']
    let seed = 12345
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed % n
    }
    for (let t = 0; t < 2_000; t++) {
      let text = ''
      const length = random(60)
      for (let i = 0; i < length; i++) text += pool[random(pool.length)]
      assert.deepEqual(scanned(scanner, text), expected(text), JSON.stringify(text))
    }
  })

  it('reads texts of more distinct characters than it keeps worked out, the same each time', () => {
    const scanner = new TermScanner()
    // 6,000 CJK ideographs beyond the BMP, and Latin letters of every case, as words
    const astral = Array.from({ length: 6_000 }, (_, i) => String.fromCodePoint(0x20000 + i) + (i % 7 === 0 ? 'İ' : '')).join(' ')
    const latin = Array.from({ length: 0x250 - 0xc0 }, (_, i) => String.fromCodePoint(0xc0 + i)).join('x ')
    for (let round = 0; round < 2; round++) {
      assert.deepEqual(scanned(scanner, astral), expected(astral))
      assert.deepEqual(scanned(scanner, latin), expected(latin))
    }
  })

  it('reuses its buffers and grows them for a text of many words and a very long word', () => {
    const scanner = new TermScanner()
    const many = Array.from({ length: 3_000 }, (_, i) => `word${i}`).join(' ')
    assert.equal(scanner.scan(many), 3_000)
    assert.deepEqual([scanner.hashes[2 * 2999], scanner.hashes[2 * 2999 + 1]], termHash('word2999'))
    assert.equal(scanner.scan('a' + 'b'.repeat(70_000) + 'ing'), 1)
    assert.deepEqual([scanner.hashes[0], scanner.hashes[1]], termHash('a' + 'b'.repeat(70_000)))
    assert.equal(scanner.scan('short'), 1)
    assert.deepEqual([scanner.hashes[0], scanner.hashes[1]], termHash('short'))
  })
})

describe('TermTable', () => {
  it('knows the stopwords, gives each new word its own id, and keeps them through growth', () => {
    const table = new TermTable()
    assert.equal(table.get(...termHash('the')), STOPWORD)
    assert.equal(table.get(...termHash('postgres')), ABSENT)
    let next = 0
    const create = (): number => next++
    const words = Array.from({ length: 50_000 }, (_, i) => `term${i.toString(36)}`)
    const ids = words.map(w => table.intern(...termHash(w), create))
    assert.deepEqual(ids, words.map((_, i) => i))
    // again: the same ids, and none created
    assert.deepEqual(words.map(w => table.intern(...termHash(w), create)), ids)
    assert.equal(next, 50_000)
    assert.deepEqual(words.map(w => table.get(...termHash(w))), ids)
    assert.equal(table.intern(...termHash('the'), create), STOPWORD)
  })
})

describe('WordPacker', () => {
  it('packs the words of many texts, stopwords left out, each text found by its index', () => {
    const texts = ['The backup job ran out of disk space', '', 'and the of', 'Résumé 漢字 🚀 rockets', 'x'.repeat(10_000) + ' y']
    const packer = new WordPacker()
    for (const text of texts) packer.add(text)
    const packed = packer.packed()
    texts.forEach((text, i) => {
      const words = wordsOf(packed, i)
      const pairs: Array<[number, number]> = []
      for (let w = 0; w < words.length; w += 2) pairs.push([words[w], words[w + 1]])
      assert.deepEqual(pairs, expected(text), text.slice(0, 30))
    })
    assert.equal(wordsOf(packed, 1).length, 0)
    assert.equal(wordsOf(packed, 2).length, 0)
    // buffers of their own, the right length, ready to transfer
    assert.equal(packed.hashes.byteLength, packed.ends[texts.length - 1] * 2 * 4)
    assert.equal(packed.hashes.buffer.byteLength, packed.hashes.byteLength)
  })
})
