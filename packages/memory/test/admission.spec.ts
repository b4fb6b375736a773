import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EntryKind, SignedEntry, Zone } from '@overmind/protocols'
import { Admissions } from '../src/admission.js'
import { EntryLog } from '../src/entry-log.js'
import { CHECK_IN_THREADS } from '../src/entry.js'
import { MemoryIndex } from '../src/memory-index.js'
import { WriteQueue } from '../src/write-queue.js'
import { chunk } from './fixtures/entries.js'
import type { Admission, Equivocation } from '../src/admission.js'
import type { VerifiedEntry } from '../src/entry.js'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
})

async function setup (): Promise<{ admissions: Admissions, entries: EntryLog, writes: WriteQueue, index: MemoryIndex, told: Equivocation[], close(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'overmind-admission-'))
  dirs.push(path)
  const entries = await EntryLog.open(path, { create: true })
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
  const index = new MemoryIndex({ model: 'none', dimensions: 4, self, replicatedZones: [Zone.FEDERATION] })
  const log = logger('overmind:test:admission')
  const writes = new WriteQueue({
    path,
    entries,
    self,
    log,
    // what the store's apply does: the index holds the chunks, the logs their seqs
    apply: async write => {
      write.entries.forEach((e, i) => {
        if (e.kind === EntryKind.CHUNK) index.addChunk(write.ordinals?.[i] as number, e.id, e.author.toString(), e.body, undefined, e.words)
        entries.heads.add(e.body.zone, e.author.toString(), e.body.seq)
      })
    },
    beforeLocal: async () => {},
    written: () => {},
    sequence: async fn => { await fn() },
    reopened: () => {}
  })
  const told: Equivocation[] = []
  const admissions = new Admissions({ replicatedZones: [Zone.FEDERATION], index, writes, entries, log, equivocated: e => { told.push(e) } })
  return { admissions, entries, writes, index, told, close: async () => { await writes.idle(); await entries.close() } }
}

/** The bytes of an entry with one byte of its signature changed */
function forged (entry: VerifiedEntry): Uint8Array {
  const signed = SignedEntry.decode(entry.bytes)
  signed.signature = Uint8Array.from(signed.signature)
  signed.signature[10] ^= 1
  return SignedEntry.encode(signed)
}

describe('Admissions', () => {
  it('accepts a valid entry of a replicated zone, and says why it refuses the others', async () => {
    const { admissions, close } = await setup()
    const key = await generateKeyPair('Ed25519')
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const good = await chunk(key, 1)
    const accepted = await admissions.check(good.bytes)
    assert.equal(accepted.verdict, 'accept')
    assert.equal(accepted.verdict === 'accept' && accepted.entry.id, good.id)
    const verdict = async (bytes: Uint8Array, options = {}): Promise<string> => {
      const a = await admissions.check(bytes, options)
      return a.verdict === 'reject' ? a.reason : a.verdict
    }
    assert.equal(await verdict((await chunk(key, 2, Zone.SHARED)).bytes), 'zone-not-replicated')
    assert.equal(await verdict((await chunk(key, 3, Zone.PRIVATE)).bytes), 'zone-not-replicated')
    assert.equal(await verdict(forged(await chunk(key, 4))), 'bad-signature')
    assert.equal(await verdict(forged(await chunk(key, 4)), { inline: true }), 'bad-signature')
    assert.equal(await verdict(good.bytes, { publisher: other }), 'bad-author')
    assert.equal(await verdict(Uint8Array.from([1, 2, 3])), 'malformed')
    await close()
  })

  it('calls an entry on its way to disk or held a duplicate, and checks no signature for it', async () => {
    const { admissions, writes, index, close } = await setup()
    const key = await generateKeyPair('Ed25519')
    const entry = await chunk(key, 1)
    const queued = writes.enqueue({ entries: [entry], origin: 'remote' })
    // on its way to the index
    assert.deepEqual(await admissions.check(entry.bytes), { verdict: 'duplicate', id: entry.id })
    await queued
    assert.equal(index.holds(entry.id), true)
    // its signature is no longer looked at: a forged copy with the same body is a duplicate too
    assert.deepEqual(await admissions.check(entry.bytes), { verdict: 'duplicate', id: entry.id })
    assert.deepEqual(await admissions.check(forged(entry)), { verdict: 'duplicate', id: entry.id })
    await close()
  })

  it('keeps a second entry of one seq as evidence, distrusts its author and names the entry held', async () => {
    const { admissions, writes, index, entries, told, close } = await setup()
    const key = await generateKeyPair('Ed25519')
    const author = peerIdFromPrivateKey(key).toString()
    const first = await chunk(key, 7, Zone.FEDERATION, 'one text')
    const second = await chunk(key, 7, Zone.FEDERATION, 'another text')
    await writes.enqueue({ entries: [first], origin: 'remote' })
    const verdict = await admissions.check(second.bytes)
    assert.equal(verdict.verdict, 'equivocation')
    assert.match(verdict.verdict === 'equivocation' ? verdict.message : '', /signed two different entries with seq 7/)
    assert.equal(index.distrusted.has(author), true)
    assert.deepEqual([...admissions.evidence.get(author) ?? []], [second.id])
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.deepEqual(told, [{ author, zone: 'federation', seq: 7, held: first.id, other: second.id }])
    // kept on disk, where the store finds it when it opens
    const kept = []
    for await (const e of entries.evidence()) kept.push(e.id)
    assert.deepEqual(kept, [second.id])
    // told once per entry
    await admissions.check(second.bytes)
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(told.length, 1)
    await close()
  })

  it('gives a batch checked on the worker threads the verdicts of one-by-one checks', async () => {
    const { admissions, writes, close } = await setup()
    const key = await generateKeyPair('Ed25519')
    const batch: Uint8Array[] = []
    for (let seq = 1; seq <= CHECK_IN_THREADS + 8; seq++) {
      const entry = await chunk(key, seq, seq % 9 === 0 ? Zone.SHARED : Zone.FEDERATION)
      batch.push(seq % 7 === 0 ? forged(entry) : entry.bytes)
    }
    batch.push(Uint8Array.from([0xff, 0xff]))
    const held = await chunk(key, 100)
    await writes.enqueue({ entries: [held], origin: 'remote' })
    batch.push(held.bytes)
    const summary = (a: Admission): string => a.verdict === 'reject' ? `reject:${a.reason}` : a.verdict === 'duplicate' ? `duplicate:${a.id}` : `${a.verdict}:${a.entry.id}`
    const many = (await admissions.checkMany(batch)).map(summary)
    const one = await Promise.all(batch.map(async bytes => summary(await admissions.check(bytes))))
    assert.deepEqual(many, one)
    assert.ok(many.filter(v => v.startsWith('accept')).length > 20)
    assert.ok(many.includes('reject:bad-signature') && many.includes('reject:zone-not-replicated') && many.includes('reject:malformed') && many.includes(`duplicate:${held.id}`))
    await close()
  })
})
