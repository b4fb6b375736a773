/**
 * A worker thread for the CPU work of memory entries: hashing texts into
 * vectors, encoding and signing entries, and checking entries from peers
 * (ids, canonical encoding, signatures), and reading the words of their
 * texts for the lexical index, so that an import of thousands of
 * chunks, or a sync of them, leaves the event loop free. Signing keys
 * arrive as seeds and are kept per thread.
 */
import { parentPort } from 'node:worker_threads'
import { Chunk, EntryKind, Event } from '@overmind/protocols'
import { HashingEmbedder } from './embedder.js'
import { signerFromSeed } from './ed25519.js'
import { checkPacked, entryId, signedEntryBytes } from './entry.js'
import { WordPacker } from './terms.js'
import { serveTasks } from './worker-pool.js'
import type { EntryResult, EntryTask } from './entry-pool.js'
import type { Signer } from './ed25519.js'

const keys = new Map<string, Signer>()
const embedders = new Map<number, HashingEmbedder>()

if (parentPort != null) {
  serveTasks<EntryTask, EntryResult>(parentPort, async (task) => {
    if (task.op === 'hash') {
      let embedder = embedders.get(task.dimensions)
      if (embedder == null) {
        embedder = new HashingEmbedder({ dimensions: task.dimensions })
        embedders.set(task.dimensions, embedder)
      }
      const flat = new Float32Array(task.texts.length * task.dimensions)
      task.texts.forEach((text, i) => { flat.set(embedder.embedOne(text), i * task.dimensions) })
      return { result: { vectors: flat }, transfer: [flat.buffer] }
    }
    if (task.op === 'check') {
      const checked = checkPacked(task.packed)
      return { result: { checked }, transfer: [checked.problems.buffer, checked.words.hashes.buffer, checked.words.ends.buffer] }
    }
    const seed = Buffer.from(task.seed).toString('hex')
    let key = keys.get(seed)
    if (key == null) {
      key = signerFromSeed(task.seed)
      keys.set(seed, key)
    }
    const signingKey = key
    const ids: string[] = []
    const words = new WordPacker()
    const entries = task.bodies.map(body => {
      words.add(task.kind === EntryKind.CHUNK ? (body as Chunk).text : '')
      const bytes = task.kind === EntryKind.CHUNK ? Chunk.encode(body as Chunk) : Event.encode(body as Event)
      ids.push(entryId(bytes))
      return signedEntryBytes(task.kind, bytes, signingKey)
    })
    // the encoder's buffers may share a slab: the entries are copied into one
    // buffer, which is transferred, so the event loop receives one allocation, not one per entry
    const ends = new Uint32Array(entries.length)
    let length = 0
    entries.forEach((bytes, i) => { length += bytes.byteLength; ends[i] = length })
    const packed = new Uint8Array(length)
    entries.forEach((bytes, i) => { packed.set(bytes, i === 0 ? 0 : ends[i - 1]) })
    const packedWords = words.packed()
    return { result: { signed: { ids, bytes: packed, ends, words: packedWords } }, transfer: [packed.buffer, ends.buffer, packedWords.hashes.buffer, packedWords.ends.buffer] }
  })
}
