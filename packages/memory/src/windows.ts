/**
 * Long texts are embedded in windows: an encoder's cost grows with its input
 * (and the sentence encoder reads only its first 128 word pieces), so a text
 * is cut on word boundaries into windows of a bounded size, each embedded on
 * its own, and its vector is the normalised mean of theirs. A text with more
 * windows than `max` is represented by `max` windows spread over it, so no
 * text costs more than `max` windows.
 */
export function textWindows (text: string, bytes: number, max: number): string[] {
  const windows: string[] = []
  let current = ''
  let size = 0
  for (const word of text.split(/\s+/)) {
    if (word === '') continue
    const length = Buffer.byteLength(word)
    if (length > bytes) {
      // a "word" longer than a window (a hash, base64): cut it by characters
      if (current !== '') windows.push(current)
      windows.push(...cut(word, bytes))
      current = ''
      size = 0
      continue
    }
    if (size > 0 && size + 1 + length > bytes) {
      windows.push(current)
      current = ''
      size = 0
    }
    current = size === 0 ? word : `${current} ${word}`
    size += (size === 0 ? 0 : 1) + length
  }
  if (current !== '') windows.push(current)
  if (windows.length <= max) return windows
  return Array.from({ length: max }, (_, i) => windows[Math.round(i * (windows.length - 1) / (max - 1))])
}

/** A word in pieces of at most `bytes` UTF-8 bytes, whole characters each */
function cut (word: string, bytes: number): string[] {
  const pieces: string[] = []
  let piece = ''
  let size = 0
  for (const char of word) {
    const length = Buffer.byteLength(char)
    if (size + length > bytes && piece !== '') {
      pieces.push(piece)
      piece = ''
      size = 0
    }
    piece += char
    size += length
  }
  if (piece !== '') pieces.push(piece)
  return pieces
}

/** The L2-normalised mean of some vectors */
export function meanVector (vectors: Float32Array[], dimensions: number): Float32Array {
  const out = new Float32Array(dimensions)
  for (const vector of vectors) {
    for (let i = 0; i < dimensions; i++) out[i] += vector[i]
  }
  let norm = 0
  for (let i = 0; i < dimensions; i++) norm += out[i] * out[i]
  norm = Math.sqrt(norm)
  if (norm > 0) {
    for (let i = 0; i < dimensions; i++) out[i] /= norm
  }
  return out
}
