import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it, vi } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { HybridLogicalClock } from '@overmind/hlc'
import { Chunk, EntryKind, Event, EventKind, SignedEntry, Zone } from '@overmind/protocols'
import { MemoryStore, entryId, signChunk, signEvent, verifyEntry, outboundEntry, EntryRejectedError, ZoneViolationError } from '../src/index.js'
import { signerFromSeed } from '../src/ed25519.js'
import { signedEntryBytes } from '../src/entry.js'
import type { MemoryStoreInit } from '../src/index.js'
import type { PrivateKey } from '@libp2p/interface'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
})

async function waitFor (check: () => boolean, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

/** Runs `fn` with `Date` at `t0` (moved by `vi.setSystemTime`) and no other timer faked */
async function withFakeClock (t0: number, fn: () => Promise<void>): Promise<void> {
  vi.useFakeTimers({ toFake: ['Date'], now: t0 })
  try {
    await fn()
  } finally {
    vi.useRealTimers()
  }
}

async function tempPath (): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'overmind-memory-'))
  dirs.push(dir)
  return dir
}

async function openStore (init: Partial<MemoryStoreInit> & { privateKey?: PrivateKey } = {}): Promise<MemoryStore> {
  const privateKey = init.privateKey ?? await generateKeyPair('Ed25519')
  return await MemoryStore.open({ path: init.path ?? await tempPath(), privateKey, peerId: peerIdFromPrivateKey(privateKey), ...init })
}

/** Every replicated entry of a store, as a peer would receive them */
async function allEntries (store: MemoryStore): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const entry of store.missing([])) out.push(entry)
  return out
}

describe('MemoryStore', () => {
  it('stores a chunk, finds it by id and by search, and keeps it across a reopen', async () => {
    const path = await tempPath()
    const privateKey = await generateKeyPair('Ed25519')
    let store = await openStore({ path, privateKey })
    const chunk = await store.put({ text: 'Postgres autovacuum falls behind on tables with heavy updates', tags: ['postgres'], agent: 'ops' })
    await store.put({ text: 'Sourdough needs a warm place to rise overnight' })
    assert.match(chunk.id, /^bafkrei/)
    assert.equal(chunk.zone, 'federation')
    assert.equal(chunk.seq, 1)
    assert.equal(chunk.author, store.peerId.toString())
    await store.close()

    store = await openStore({ path, privateKey })
    const got = await store.get(chunk.id)
    assert.equal(got.text, chunk.text)
    assert.deepEqual(got.tags, ['postgres'])
    const results = await store.search({ text: 'autovacuum behind', k: 1 })
    assert.equal(results[0].id, chunk.id)
    const next = await store.put({ text: 'a third chunk after reopening' })
    assert.equal(next.seq, 3, 'seqs continue after a reopen')
    await store.close()
  })

  it('shows a private chunk to its agent only, and shared and federation chunks to every agent', async () => {
    const store = await openStore()
    const secret = await store.put({ text: 'the staging database password rotates on mondays', zone: 'private', agent: 'alice' })
    const shared = await store.put({ text: 'the staging database lives on host db-3', zone: 'shared', agent: 'alice' })
    assert.equal((await store.get(secret.id, { agent: 'alice' })).text, secret.text)
    await assert.rejects(store.get(secret.id, { agent: 'bob' }), { name: 'ChunkNotFoundError' })
    assert.equal((await store.get(shared.id, { agent: 'bob' })).id, shared.id)

    const forBob = await store.search({ text: 'staging database', agent: 'bob' })
    assert.deepEqual(forBob.map(r => r.id), [shared.id])
    const forAlice = await store.search({ text: 'staging database', agent: 'alice' })
    assert.deepEqual(new Set(forAlice.map(r => r.id)), new Set([secret.id, shared.id]))
    await store.close()
  })

  it('never hands a private or shared entry to the way out, and replicates only federation entries', async () => {
    const store = await openStore()
    await store.put({ text: 'private note', zone: 'private', agent: 'a' })
    await store.put({ text: 'shared note', zone: 'shared' })
    const fed = await store.put({ text: 'federation note', zone: 'federation' })
    const entries = await allEntries(store)
    assert.equal(entries.length, 1)
    const body = Chunk.decode(SignedEntry.decode(entries[0]).body)
    assert.equal(body.text, fed.text)
    assert.deepEqual(store.versionVector().map(v => v.zone), [Zone.FEDERATION])

    const privateKey = await generateKeyPair('Ed25519')
    const secret = await signChunk(chunkBody(privateKey, { zone: Zone.PRIVATE }), privateKey)
    assert.throws(() => outboundEntry(secret.bytes, store.replicatedZones), ZoneViolationError)
    await store.close()
  })

  it('folds feedback, links and tombstones to the same state whatever the order they arrive in', async () => {
    const author = await openStore()
    const a = await author.put({ text: 'retry the deploy with a smaller batch size' })
    const b = await author.put({ text: 'deploys fail when the registry is rate limited' })
    await author.feedback([a.id], true)
    await author.feedback([a.id], true)
    await author.feedback([a.id, b.id], false)
    await author.link(a.id, b.id, 'explains')
    await author.forget(b.id)
    const entries = await allEntries(author)
    assert.equal(entries.length, 7)

    const forward = await openStore()
    const backward = await openStore()
    for (const entry of entries) assert.equal((await forward.ingest([entry])).stored, 1)
    for (const entry of [...entries].reverse()) assert.equal((await backward.ingest([entry])).stored, 1)
    const digests = await Promise.all([author.digest(), forward.digest(), backward.digest()])
    assert.equal(digests[1].digest, digests[0].digest)
    assert.equal(digests[2].digest, digests[0].digest)
    assert.deepEqual(digests[0], { ...digests[0], chunks: 2, events: 5 })

    const view = await backward.get(a.id)
    assert.equal(view.successes, 2)
    assert.equal(view.failures, 1)
    assert.equal(view.confidence, 3 / 5)
    assert.deepEqual(view.links, [{ relation: 'explains', to: b.id, weight: 1 }])
    await assert.rejects(backward.get(b.id), /forgotten/)
    assert.deepEqual((await backward.search({ text: 'registry rate limited' })).map(r => r.id).includes(b.id), false)
    await Promise.all([author.close(), forward.close(), backward.close()])
  })

  it('writes the reads of its agents as one use event per chunk, agent and interval, replicates them with the zone, and ranks by salience', async () => {
    const author = await openStore({ useInterval: 0 })
    const hot = await author.put({ text: 'the cache warms in four minutes after a deploy' })
    const cold = await author.put({ text: 'the cache warms in four minutes after a restart' })
    const secret = await author.put({ text: 'the cache admin password is in the vault', zone: 'private', agent: 'ops' })
    // 50 searches and a get by one agent, 3 gets by another, one read of a private chunk
    for (let i = 0; i < 50; i++) await author.search({ text: 'cache warms deploy', k: 1, agent: 'web' })
    await author.get(hot.id, { agent: 'web' })
    for (let i = 0; i < 3; i++) await author.get(hot.id, { agent: 'batch' })
    await author.get(secret.id, { agent: 'ops' })
    // a read too, by the agent 'default'
    assert.equal((await author.get(hot.id)).uses, 0, 'reads are counted until the flush')
    assert.equal(await author.flushUses(), 4, 'one use event per zone, agent and count: web × 51, batch × 3, default × 1, and ops × 1 in the private zone')
    assert.equal(await author.flushUses(), 0)
    const view = await author.get(hot.id)
    assert.equal(view.uses, 55)
    assert.ok(view.salience > 55 && view.salience <= 56, String(view.salience))

    // a peer gets the federation use events, not the private one, and folds the same uses
    const entries = await allEntries(author)
    const events = entries.map(e => SignedEntry.decode(e)).filter(e => e.kind === EntryKind.EVENT).map(e => Event.decode(e.body))
    assert.deepEqual(events.map(e => [e.kind, e.agent, e.uses, e.targets]).sort(), [[EventKind.USE, 'batch', 3, [hot.id]], [EventKind.USE, 'default', 1, [hot.id]], [EventKind.USE, 'web', 51, [hot.id]]])
    const peer = await openStore()
    assert.equal((await peer.ingest(entries)).stored, entries.length)
    assert.equal((await peer.get(hot.id)).uses, 55)
    assert.equal((await peer.digest()).digest, (await author.digest()).digest)

    // both texts match the query alike: the used one ranks first
    const ranked = await peer.search({ text: 'the cache warms in four minutes after a', k: 2 })
    assert.deepEqual(ranked.map(r => r.id), [hot.id, cold.id])
    assert.ok(ranked[0].salience > ranked[1].salience)
    await Promise.all([author.close(), peer.close()])
  })

  it('spreads activation along links: a chunk linked from a hit comes in with the hit\'s score × weight × 0.5 a hop, and says how', async () => {
    const store = await openStore({ useInterval: 0 })
    const symptom = await store.put({ text: 'checkout requests time out every night at three' })
    const cause = await store.put({ text: 'the vacuum job locks the orders table' })
    const fix = await store.put({ text: 'move it to sunday and raise maintenance_work_mem' })
    const secret = await store.put({ text: 'the orders table owner password', zone: 'private', agent: 'ops' })
    await store.put({ text: 'unrelated note about lunch' })
    await store.link(symptom.id, cause.id, 'caused-by', { weight: 0.8 })
    await store.link(cause.id, fix.id, 'fixed-by')
    await assert.rejects(store.link(symptom.id, secret.id, 'see', { agent: 'ops' }), /same zone/)
    await assert.rejects(store.link(symptom.id, cause.id, 'x', { weight: 1.5 }), /weight/)

    const query = { text: 'checkout requests time out at night', k: 5 }
    const plain = await store.search(query)
    assert.equal(plain[0].id, symptom.id)
    assert.ok(plain.every(r => r.via == null))
    const one = await store.search({ ...query, spread: 1 })
    const viaCause = one.find(r => r.id === cause.id)
    assert.deepEqual(viaCause?.via, { from: symptom.id, relation: 'caused-by', weight: 0.8, hops: 1 })
    assert.ok(Math.abs((viaCause?.score ?? 0) - one[0].score * 0.8 * 0.5) < 1e-9)
    assert.equal(one.find(r => r.id === fix.id)?.via, undefined, 'two hops away: not through links at spread 1')
    const two = await store.search({ ...query, spread: 2 })
    assert.deepEqual(two.find(r => r.id === fix.id)?.via, { from: cause.id, relation: 'fixed-by', weight: 1, hops: 2 })
    await assert.rejects(store.search({ ...query, spread: 3 }), /spread/)
    await store.close()
  })

  it('decays salience lazily: read 10 hours later, a chunk has its salience × 0.99^10, with no timer in between', async () => {
    const t0 = Date.UTC(2026, 11, 4, 12)
    await withFakeClock(t0, async () => {
      const store = await openStore({ useInterval: 0 })
      const chunk = await store.put({ text: 'the nightly backup starts at two' })
      for (let i = 0; i < 4; i++) await store.get(chunk.id)
      await store.flushUses()
      const before = (await store.get(chunk.id)).salience
      assert.equal(before, 5, 'written once, read four times, at t0')
      vi.setSystemTime(t0 + 10 * 3_600_000)
      const after = (await store.get(chunk.id)).salience
      assert.ok(Math.abs(after - before * 0.99 ** 10) < 1e-9, `${after} against ${before} × 0.99^10`)
      await store.close()
    })
  })

  it('archives its own chunks left unused and faded or distrusted, by events every replica folds alike; a private one leaves nothing on the wire', async () => {
    const t0 = Date.UTC(2026, 11, 4, 12)
    const day = 86_400_000
    await withFakeClock(t0, async () => {
      const author = await openStore({ useInterval: 0, prune: { after: 7 * day, salienceBelow: 0.2, confidenceBelow: 0.25 }, consolidateInterval: 0 })
      const faded = await author.put({ text: 'the old build server lives in rack 2' })
      const secret = await author.put({ text: 'the old build server root password', zone: 'private', agent: 'ops' })
      const used = await author.put({ text: 'the new build server lives in rack 9' })
      const wrong = await author.put({ text: 'restart the build server to fix flaky tests' })
      await author.feedback([wrong.id], false)
      await author.feedback([wrong.id], false)
      await author.feedback([wrong.id], false)
      assert.deepEqual(await author.prune(), [], 'nothing is a week old yet')

      vi.setSystemTime(t0 + 8 * day)
      await author.get(used.id)
      await author.flushUses()
      const archived = await author.prune()
      // faded: never used, salience 0.99^192 ≈ 0.15; wrong: still salient (its feedback), confidence 0.2
      assert.deepEqual(archived.sort(), [faded.id, secret.id, wrong.id].sort())
      assert.ok((await author.get(wrong.id)).salience > 0.2)
      assert.deepEqual(await author.prune(), [], 'archived once')
      assert.equal((await author.get(faded.id)).archived, true)
      assert.equal((await author.get(used.id)).archived, false)
      const query = { text: 'build server rack', k: 10 }
      assert.deepEqual((await author.search(query)).map(r => r.id), [used.id])
      assert.deepEqual(new Set((await author.search({ ...query, archived: true })).map(r => r.id)), new Set([used.id, faded.id, wrong.id]))

      // a peer folds the same archive state; the private chunk's event never left
      const entries = await allEntries(author)
      const kinds = entries.map(e => SignedEntry.decode(e)).filter(e => e.kind === EntryKind.EVENT).map(e => Event.decode(e.body)).filter(e => e.kind === EventKind.ARCHIVE)
      assert.equal(kinds.length, 1)
      assert.equal(kinds[0].zone, Zone.FEDERATION)
      assert.ok(!kinds[0].targets.includes(secret.id))
      const peer = await openStore({ prune: { after: 7 * day, salienceBelow: 0.2, confidenceBelow: 0.25 }, consolidateInterval: 0 })
      assert.equal((await peer.ingest(entries)).stored, entries.length)
      assert.equal((await peer.get(faded.id)).archived, true)
      assert.deepEqual((await peer.search(query)).map(r => r.id), [used.id])
      assert.equal((await peer.digest()).digest, (await author.digest()).digest)
      // a node archives only what it wrote
      vi.setSystemTime(t0 + 30 * day)
      assert.deepEqual(await peer.prune(), [])
      await Promise.all([author.close(), peer.close()])
    })
  })

  it('forgets by the prune rules when told to: every node holds the same tombstone, and a pruned private chunk sends nothing', async () => {
    const t0 = Date.UTC(2026, 11, 4, 12)
    const day = 86_400_000
    await withFakeClock(t0, async () => {
      const prune = { action: 'forget' as const, after: 7 * day, salienceBelow: 0.2, confidenceBelow: 0.25 }
      const author = await openStore({ useInterval: 0, prune, consolidateInterval: 0 })
      const peers = await Promise.all([0, 1, 2].map(async () => await openStore({ useInterval: 0, prune, consolidateInterval: 0 })))
      const faded = await author.put({ text: 'the old build server lives in rack 2' })
      const secret = await author.put({ text: 'the old build server root password', zone: 'private', agent: 'ops' })
      for (const peer of peers) await peer.ingest(await allEntries(author))
      const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
      const before = new Set((await allEntries(author)).map(hex))
      vi.setSystemTime(t0 + 8 * day)
      assert.deepEqual((await author.prune()).sort(), [faded.id, secret.id].sort())
      await assert.rejects(author.get(secret.id, { agent: 'ops' }), /forgotten/)
      // what the author would send now: one tombstone, of the federation chunk
      const sent = (await allEntries(author)).filter(e => !before.has(hex(e))).map(e => SignedEntry.decode(e))
      assert.equal(sent.length, 1)
      const tombstone = Event.decode(sent[0].body)
      assert.deepEqual([tombstone.kind, tombstone.zone, tombstone.targets], [EventKind.TOMBSTONE, Zone.FEDERATION, [faded.id]])
      for (const peer of peers) {
        await peer.ingest(sent.map(e => SignedEntry.encode(e)))
        await assert.rejects(peer.get(faded.id), /forgotten/)
      }
      const digests = await Promise.all([author, ...peers].map(async n => (await n.digest()).digest))
      assert.ok(digests.every(d => d === digests[0]))
      await Promise.all([author, ...peers].map(async n => { await n.close() }))
    })
  })

  it('consolidates: links chunks used together, more strongly each time, links a near-duplicate to the older chunk (written in the same millisecond) and shows that one only', async () => {
    // the clock stands still: which chunk is older comes from the node's logical clock alone
    await withFakeClock(Date.now(), async () => {
      const store = await openStore({ useInterval: 0, consolidateInterval: 0 })
      const drain = await store.put({ text: 'deploy checklist step one drain the worker queue' })
      const flip = await store.put({ text: 'deploy checklist step two flip the load balancer' })
      const original = await store.put({ text: 'the payroll disk fills up every monday night' })
      const copy = await store.put({ text: 'the payroll disk fills up every monday night!' })
      for (let i = 0; i < 5; i++) await store.put({ text: `unrelated note ${i} about lunch menus and parking` })
      for (let i = 0; i < 2; i++) await store.search({ text: 'deploy checklist step', k: 2 })
      const report = await store.consolidate()
      assert.equal(report.strengthened, 1)
      assert.equal(report.duplicates, 1)
      assert.equal(report.scanned, 9)
      // one link between the two, in the direction of their ids
      const [from, to] = [drain.id, flip.id].sort()
      const coUsed = async (): Promise<unknown> => (await store.get(from)).links
      assert.deepEqual(await coUsed(), [{ relation: 'co-used', to, weight: 0.2 }])
      assert.deepEqual((await store.get(copy.id)).links, [{ relation: 'same-as', to: original.id, weight: 1 }])
      const found = (await store.search({ text: 'payroll disk monday night', k: 3 })).map(r => r.id)
      assert.ok(found.includes(original.id) && !found.includes(copy.id), JSON.stringify(found))
      // used together again: the link grows; nothing new to compare
      for (let i = 0; i < 3; i++) await store.search({ text: 'deploy checklist step', k: 2 })
      const again = await store.consolidate()
      assert.deepEqual([again.strengthened, again.duplicates, again.scanned], [1, 0, 0])
      assert.deepEqual(await coUsed(), [{ relation: 'co-used', to, weight: 0.5 }])
      await store.close()
    })
  })

  it('raises one convergence signal when three agents on two nodes write the same thing, on every node; none for unrelated chunks', async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(async () => await openStore({ useInterval: 0 })))
    const sync = async (): Promise<void> => {
      const all = (await Promise.all([a, b, c].map(allEntries))).flat()
      for (const node of [a, b, c]) await node.ingest(all)
      await Promise.all([a, b, c].map(async n => { await n.signalsSettled() }))
    }
    // unrelated chunks of three agents on three nodes first: no signal
    await a.put({ text: 'the payroll database disk fills up every monday night', agent: 'ops' })
    await b.put({ text: 'the dns resolver in rack seven caches negative answers', agent: 'net' })
    await c.put({ text: 'customers prefer the blue checkout button', agent: 'web' })
    await sync()
    await sync()
    for (const node of [a, b, c]) assert.deepEqual(node.signals(), [])
    // the same knowledge from two agents of A and one of B
    const first = await a.put({ text: 'restarting the gpu scheduler frees the stuck training jobs', agent: 'ops' })
    const second = await a.put({ text: 'the stuck training jobs are freed by restarting the gpu scheduler', agent: 'dev' })
    // a chunk's time is its clock's milliseconds (equal times go by id): B writes in a later one
    await new Promise(resolve => setTimeout(resolve, 2))
    const third = await b.put({ text: 'restarting the gpu scheduler frees stuck training jobs again', agent: 'ml' })
    await sync()
    await sync()
    const seen = [a, b, c].map(node => node.signals())
    for (const signals of seen) assert.deepEqual(signals, seen[0])
    assert.equal(seen[0].length, 1)
    const [signal] = seen[0]
    assert.deepEqual(signal.chunks, [first.id, second.id, third.id].sort())
    // named by its earliest chunk, raised by the node that wrote the newest one
    assert.equal(signal.id, first.id)
    assert.deepEqual(signal.raisedBy, [b.peerId.toString()])
    assert.deepEqual(signal.agents.map(x => x.agent).sort(), ['dev', 'ml', 'ops'])
    assert.deepEqual(signal.nodes, [a.peerId.toString(), b.peerId.toString()].sort())
    assert.ok(signal.score > 0.75 && signal.score <= 1, String(signal.score))
    assert.ok(signal.novelty > 0 && signal.novelty <= 1, String(signal.novelty))
    assert.ok([first, second, third].some(chunk => chunk.text === signal.topic))
    await Promise.all([a, b, c].map(async n => { await n.close() }))
  })

  it('raises a signal after the grace period when the node that wrote the newest chunk does not', async () => {
    const signals = { grace: 200 }
    const [a, b] = await Promise.all([0, 1].map(async () => await openStore({ useInterval: 0, signals })))
    // the newest chunk comes from a node that never raises signals
    const silent = await openStore({ useInterval: 0, signals: { agents: 0 } })
    await a.put({ text: 'the build cache is cold after every deploy', agent: 'ci' })
    await b.put({ text: 'after every deploy the build cache is cold', agent: 'ops' })
    await silent.put({ text: 'the build cache is cold after each deploy', agent: 'dev' })
    const all = (await Promise.all([a, b, silent].map(allEntries))).flat()
    const raised = new Promise<unknown>(resolve => { a.addEventListener('signal', evt => { resolve(evt.detail) }, { once: true }) })
    for (const node of [a, b]) await node.ingest(all)
    const signal = await raised as { chunks: string[] }
    assert.equal(signal.chunks.length, 3)
    assert.equal(silent.signals().length, 0)
    await Promise.all([a, b, silent].map(async n => { await n.close() }))
  })

  it('converges after a 2|2 partition and heal: the same confidence, salience, links, archive state and signals on all four', async () => {
    const t0 = Date.UTC(2026, 11, 4, 12)
    const day = 86_400_000
    await withFakeClock(t0, async () => {
      const rules = { after: 7 * day, salienceBelow: 0.2, confidenceBelow: 0.25 }
      const nodes = await Promise.all([0, 1, 2, 3].map(async () => await openStore({ useInterval: 0, prune: rules, consolidateInterval: 0 })))
      const sync = async (group: MemoryStore[]): Promise<void> => {
        const all = (await Promise.all(group.map(allEntries))).flat()
        for (const node of group) await node.ingest(all)
      }
      const written = await Promise.all(nodes.map(async (node, i) => await node.putMany([0, 1, 2].map(j => ({ text: `note ${j} of node ${i} about the deploy queue` })))))
      await sync(nodes)
      const ids = written.flat().map(c => c.id)
      // the partition: A B | C D, each side reads, rates, links and archives on its own
      vi.setSystemTime(t0 + 8 * day)
      const sides = [nodes.slice(0, 2), nodes.slice(2)]
      for (const [s, side] of sides.entries()) {
        for (const [i, node] of side.entries()) {
          for (let n = 0; n <= i + s; n++) await node.search({ text: 'deploy queue', k: 4, agent: `agent-${s}` })
          await node.flushUses()
          await node.feedback([ids[s * 3 + i]], s === 0)
          await node.link(ids[s * 6], ids[s * 6 + 1 + i], s === 0 ? 'explains' : 'follows', { weight: 0.5 + i / 4 })
          await node.prune()
        }
        // three agents of the side write the same thing: a signal on that side
        const text = s === 0 ? 'the payroll database disk fills up every monday night' : 'restarting the gpu scheduler frees the stuck training jobs'
        await side[0].put({ text, agent: 'a' })
        await side[0].put({ text: `${text} again`, agent: 'b' })
        await side[1].put({ text: `as before ${text}`, agent: 'c' })
        await sync(side)
        await Promise.all(side.map(async node => { await node.signalsSettled() }))
        await sync(side)
      }
      assert.deepEqual(nodes[0].signals(), nodes[1].signals())
      assert.notDeepEqual(nodes[0].signals(), nodes[2].signals())
      const digests = await Promise.all(nodes.map(async n => (await n.digest()).digest))
      assert.notEqual(digests[0], digests[2], 'the two sides differ while apart')
      await sync(nodes)
      const healed = await Promise.all(nodes.map(async n => await n.digest()))
      assert.ok(healed.every(d => d.digest === healed[0].digest), 'one digest after the heal')
      const views = await Promise.all(nodes.map(async n => await Promise.all(ids.map(async id => {
        const v = await n.get(id)
        return [v.confidence, v.salience, v.uses, v.archived, v.links]
      }))))
      for (const view of views.slice(1)) assert.deepEqual(view, views[0])
      const signals = nodes.map(n => n.signals())
      for (const list of signals.slice(1)) assert.deepEqual(list, signals[0])
      assert.ok(['payroll', 'gpu'].every(word => signals[0].some(signal => signal.topic.includes(word))), JSON.stringify(signals[0]))
      // the test is not vacuous: some chunks were archived by their author, some used, some linked
      assert.ok(views[0].some(v => v[3] === true) && views[0].some(v => v[3] === false))
      assert.ok(views[0].some(v => (v[2] as number) > 1) && views[0].some(v => (v[4] as unknown[]).length > 0))
      await Promise.all(nodes.map(async n => { await n.close() }))
    })
  })

  it('refuses a use event that counts no use, and any other event that counts some', async () => {
    const store = await openStore()
    const key = await generateKeyPair('Ed25519')
    const chunk = await signChunk(chunkBody(key), key)
    assert.equal((await store.ingest([chunk.signed])).stored, 1)
    const event = (fields: Partial<Event>): Event => ({ author: peerIdFromPrivateKey(key).toMultihash().bytes, agent: 'a', zone: Zone.FEDERATION, kind: EventKind.USE, targets: [chunk.id], success: false, relation: '', hlcWallTime: 1n, hlcLogical: 0, seq: 2n, uses: 1, weight: 0, score: 0, novelty: 0, topic: '', ...fields })
    for (const [reason, fields] of [['malformed', { uses: 0 }], ['malformed', { kind: EventKind.FEEDBACK, uses: 2 }], ['oversized', { uses: 1_000_001 }]] as const) {
      const result = await store.ingest([(await signEvent(event(fields), key)).signed])
      assert.equal(result.rejected[0]?.reason, reason, JSON.stringify(fields))
    }
    assert.equal((await store.ingest([(await signEvent(event({ uses: 7 }), key)).signed])).stored, 1)
    assert.equal((await store.get(chunk.id)).uses, 7)
    await store.close()
  })

  it('honours a tombstone only from the chunk\'s author', async () => {
    const author = await openStore()
    const other = await openStore()
    const chunk = await author.put({ text: 'the cache is warmed at startup' })
    await other.ingest(await allEntries(author))
    await assert.rejects(other.forget(chunk.id), { name: 'NotAuthorError' })
    assert.equal((await other.get(chunk.id)).id, chunk.id)
    await Promise.all([author.close(), other.close()])
  })

  it('rejects forged, foreign, oversized and malformed entries with a reason and stores none of them', async () => {
    const store = await openStore()
    const key = await generateKeyPair('Ed25519')
    const otherKey = await generateKeyPair('Ed25519')
    const good = await signChunk(chunkBody(key), key)

    const forged = { ...good.signed, signature: (await signChunk(chunkBody(key, { text: 'something else' }), key)).signed.signature }
    const wrongAuthor = (await signChunk(chunkBody(key), otherKey)).signed
    const oversized = (await signChunk(chunkBody(key, { text: 'x'.repeat(40 * 1024) }), key)).signed
    const privateZone = (await signChunk(chunkBody(key, { zone: Zone.PRIVATE }), key)).signed
    const unknownZone = { ...good.signed, body: withZone(good.signed.body, 9) }
    const malformed = new Uint8Array([0x0a, 0xff, 0xff, 0x01])
    const cases: Array<[string, Uint8Array | SignedEntry]> = [
      ['bad-signature', forged],
      ['bad-signature', wrongAuthor],
      ['oversized', oversized],
      ['zone-not-replicated', privateZone],
      ['unknown-zone', unknownZone],
      ['malformed', malformed]
    ]
    for (const [reason, entry] of cases) {
      const result = await store.ingest([entry])
      assert.equal(result.stored, 0, reason)
      assert.equal(result.rejected[0]?.reason, reason, `${reason}: ${result.rejected[0]?.message}`)
    }
    await assert.rejects(verifyEntry(SignedEntry.encode(forged)), (err: any) => err instanceof EntryRejectedError && err.reason === 'bad-signature')
    assert.equal((await store.digest()).chunks, 0)

    const accepted = await store.ingest([good.signed, good.signed])
    assert.deepEqual([accepted.stored, accepted.duplicates], [1, 1])
    await store.close()
  })

  it('checks a large page on the worker threads (ids, encoding, signatures): stores the good entries and rejects each bad one with its reason', async () => {
    const store = await openStore()
    const key = await generateKeyPair('Ed25519')
    const otherKey = await generateKeyPair('Ed25519')
    const good = await Promise.all(Array.from({ length: 40 }, async (_, i) => (await signChunk(chunkBody(key, { text: `note ${i} about the build`, seq: BigInt(i + 1) }), key)).signed))
    const forged = { ...good[3], signature: good[4].signature }
    const wrongAuthor = (await signChunk(chunkBody(key, { seq: 100n }), otherKey)).signed
    const privateZone = (await signChunk(chunkBody(key, { zone: Zone.PRIVATE, seq: 101n }), key)).signed
    // signed as it is, but with an unknown field its author's encoder would never write
    const padded = Uint8Array.from([...Chunk.encode(chunkBody(key, { seq: 102n })), 0x78, 0x01])
    const nonCanonical = SignedEntry.decode(signedEntryBytes(EntryKind.CHUNK, padded, signerFromSeed(key.raw.subarray(0, 32))))
    const page = [...good.slice(0, 3), forged, ...good.slice(4), wrongAuthor, privateZone, nonCanonical, good[0]]
    const result = await store.ingest(page)
    assert.equal(result.stored, 39)
    assert.equal(result.duplicates, 1)
    assert.deepEqual(result.rejected.map(r => r.reason), ['bad-signature', 'bad-signature', 'zone-not-replicated', 'malformed'])
    assert.match(result.rejected[3].message, /canonical/)
    assert.equal((await store.digest()).chunks, 39)
    // the checking threads read the words: a chunk is found by its own number
    const [hit] = await store.search({ text: 'note 17', k: 1 })
    assert.equal(hit?.id, (await verifyEntry(good[17])).id)
    assert.ok(hit.lexical > 0.9, `lexical score ${hit.lexical}`)
    await store.close()
  })

  it('keeps a text exactly as its author wrote it (a leading BOM, every plane of Unicode), and refuses a text that is not UTF-8', async () => {
    const store = await openStore()
    const key = await generateKeyPair('Ed25519')
    const signer = signerFromSeed(key.raw.subarray(0, 32))
    const text = '\uFEFFrésumé 漢字 🚀 Ω ' + 'ü'.repeat(600)
    const good = await signChunk(chunkBody(key, { text }), key)
    // the same chunk with two bytes of its text replaced by a lone lead byte and an ASCII byte
    const body = Chunk.encode(chunkBody(key, { text: 'AB' + text, seq: 2n }))
    // where the text starts: "AB" and the BOM's three bytes (the author's key bytes may hold an "A" before it)
    const marker = new TextEncoder().encode('AB\uFEFF')
    const at = body.findIndex((_, i) => marker.every((byte, j) => body[i + j] === byte))
    assert.ok(at > 0)
    body.set([0xc3, 0x28], at)
    const invalid = SignedEntry.decode(signedEntryBytes(EntryKind.CHUNK, body, signer))
    // alone (checked on the event loop) and in a page large enough for the checking threads
    const signed = await Promise.all(Array.from({ length: 40 }, async (_, i) => await signChunk(chunkBody(key, { text: `${text} ${i}`, seq: BigInt(i + 3) }), key)))
    const alone = await store.ingest([invalid])
    const paged = await store.ingest([...signed.map(s => s.signed), invalid])
    assert.deepEqual([alone.stored, alone.rejected[0]?.reason], [0, 'malformed'])
    assert.match(alone.rejected[0].message, /canonical/)
    assert.deepEqual([paged.stored, paged.rejected.map(r => r.reason)], [40, ['malformed']])
    assert.equal((await store.ingest([good.signed])).stored, 1)
    assert.equal((await store.get(good.id)).text, text)
    assert.equal((await store.get(signed[7].id)).text, `${text} 7`)
    await store.close()
  })

  it('embeds a chunk whose vector names this node\'s model with another size, instead of failing', async () => {
    const store = await openStore()
    const key = await generateKeyPair('Ed25519')
    const model = store.stats().model
    const wrongSize = await signChunk(chunkBody(key, { text: 'kernel panic on the storage node', embedding: { model, dimensions: 8, vector: new Uint8Array(32) } }), key)
    assert.equal((await store.ingest([wrongSize.signed])).stored, 1)
    await waitFor(() => store.stats().backlog.embedding === 0 && store.stats().backlog.writes === 0)
    const [hit] = await store.search({ text: 'kernel panic on the storage node', k: 1, vectorOnly: true })
    assert.equal(hit?.id, wrongSize.id)
    assert.ok(hit.similarity > 0.99, `embedded here: similarity ${hit.similarity}`)
    // the store still writes
    await store.put({ text: 'a later note' })
    await store.close()
  })

  it('sends exactly the entries a peer lacks, in seq order per author', async () => {
    const a = await openStore()
    const b = await openStore()
    for (let i = 0; i < 20; i++) await a.put({ text: `note ${i} from a` })
    const first = (await allEntries(a)).slice(0, 12)
    await b.ingest(first)
    const missing: Uint8Array[] = []
    for await (const entry of a.missing(b.versionVector())) missing.push(entry)
    assert.deepEqual(missing.map(e => Number(Chunk.decode(SignedEntry.decode(e).body).seq)), [13, 14, 15, 16, 17, 18, 19, 20])
    await b.ingest(missing)
    assert.equal((await b.digest()).digest, (await a.digest()).digest)
    await Promise.all([a.close(), b.close()])
  })

  it('digests what it holds, a peer\'s entries included while their batch is still being written', async () => {
    const a = await openStore()
    for (let i = 0; i < 5; i++) await a.put({ text: `note ${i} from a` })
    let release = (): void => {}
    const slow = new Promise<void>(resolve => { release = resolve })
    const b = await openStore({ beforeWrite: async () => { await slow } })
    const entries = await allEntries(a)
    const ingest = b.ingest(entries)
    // held (searchable, counted by holds) while the write waits
    const ids = entries.map(e => entryId(SignedEntry.decode(e).body))
    while (!ids.every(id => b.holds(id))) await new Promise(resolve => setTimeout(resolve, 5))
    const digest = b.digest()
    setTimeout(release, 50)
    const { digest: held, chunks } = await digest
    assert.equal(chunks, 5)
    assert.equal(held, (await a.digest()).digest)
    await ingest
    await Promise.all([a.close(), b.close()])
  })

  it('reports a gap in an author\'s log until it is filled', async () => {
    const a = await openStore()
    const b = await openStore()
    for (let i = 0; i < 5; i++) await a.put({ text: `entry ${i}` })
    const entries = await allEntries(a)
    await b.ingest([entries[0], entries[1], entries[3], entries[4]])
    assert.deepEqual(b.logHeads().map(h => [h.contiguous, h.max]), [[2n, 5n]])
    await b.ingest([entries[2]])
    assert.deepEqual(b.logHeads().map(h => [h.contiguous, h.max]), [[5n, 5n]])
    await Promise.all([a.close(), b.close()])
  })

  it('filters search by zone, agent, tags, author and time', async () => {
    const store = await openStore()
    const before = Date.now() - 1
    const a = await store.put({ text: 'kubernetes pods restart when memory limits are hit', agent: 'ops', tags: ['k8s', 'memory'] })
    const b = await store.put({ text: 'kubernetes nodes drain before upgrades', agent: 'dev', tags: ['k8s'], zone: 'shared' })
    const ids = async (q: Parameters<MemoryStore['search']>[0]): Promise<string[]> => (await store.search(q)).map(r => r.id).sort()
    assert.deepEqual(await ids({ text: 'kubernetes' }), [a.id, b.id].sort())
    assert.deepEqual(await ids({ text: 'kubernetes', zones: ['shared'] }), [b.id])
    assert.deepEqual(await ids({ text: 'kubernetes', agents: ['ops'] }), [a.id])
    assert.deepEqual(await ids({ text: 'kubernetes', tags: ['memory'] }), [a.id])
    assert.deepEqual(await ids({ text: 'kubernetes', authors: ['12D3KooWPUctyKhcmpJqp9A91yeJdhxCmXJRpkSYq5kh6iBkU4U9'] }), [])
    assert.deepEqual(await ids({ text: 'kubernetes', since: before }), [a.id, b.id].sort())
    assert.deepEqual(await ids({ text: 'kubernetes', until: before }), [])
    assert.deepEqual(await ids({ text: 'kubernetes', replicatedOnly: true }), [a.id])
    await store.close()
  })

  it('ranks a chunk with successful feedback above an equally similar one with failures', async () => {
    const store = await openStore()
    const good = await store.put({ text: 'restart the worker to clear the stuck queue' })
    const bad = await store.put({ text: 'restart the worker to clear the stuck queue.' })
    await store.feedback([good.id], true)
    await store.feedback([bad.id], false)
    const results = await store.search({ text: 'stuck queue worker' })
    assert.deepEqual(results.map(r => r.id), [good.id, bad.id])
    assert.ok(results[0].score > results[1].score)
    await store.close()
  })

  it('refuses bad input with a clear error and writes nothing', async () => {
    const store = await openStore()
    await assert.rejects(store.put({ text: '' }), { name: 'InvalidInputError' })
    await assert.rejects(store.put({ text: ' \n\t\u00a0\u2028' }), /non-empty/)
    await assert.rejects(store.put({ text: 'x'.repeat(33 * 1024) }), /over the 32768 byte limit/)
    await assert.rejects(store.put({ text: 'ok', zone: 'galaxy' as any }), /unknown zone "galaxy"/)
    await assert.rejects(store.putMany([{ text: 'fine' }, { text: '' }]), { name: 'InvalidInputError' })
    await assert.rejects(store.get('not-an-id'), { name: 'InvalidInputError' })
    assert.equal(store.stats().chunks.federation, 0)
    await store.close()
  })

  it('checks an entry from a peer without writing it, and drops what comes beyond the queue of writes', async () => {
    const author = await openStore()
    await author.putMany(Array.from({ length: 5 }, (_, i) => ({ text: `peer note ${i}` })))
    const sent = await allEntries(author)
    const receiver = await openStore({ maxPending: 2 })
    const admissions = await Promise.all(sent.map(async bytes => await receiver.check(bytes, { publisher: author.peerId })))
    assert.deepEqual(admissions.map(a => a.verdict), ['accept', 'accept', 'accept', 'accept', 'accept'])
    assert.equal((await receiver.digest()).chunks, 0, 'a check writes nothing')
    const outcomes = admissions.map(a => a.verdict === 'accept' ? receiver.accept(a.entry) : 'unexpected')
    assert.deepEqual(outcomes, ['queued', 'queued', 'full', 'full', 'full'])
    assert.equal(receiver.accept((admissions[0] as any).entry), 'duplicate')
    await waitFor(() => receiver.stats().chunks.federation === 2)
    assert.equal(receiver.stats().backlog.dropped, 3)
    // what was dropped comes by anti-entropy: ingest waits for room instead
    assert.equal((await receiver.ingest(sent)).stored, 3)
    assert.equal((await receiver.digest()).digest, (await author.digest()).digest)
    await Promise.all([author.close(), receiver.close()])
  })

  it('signs a large write on the worker threads to the same bytes as one signed here, each verifying', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    const store = await openStore({ privateKey })
    const many = await store.putMany(Array.from({ length: 200 }, (_, i) => ({ text: `bulk note ${i} zebra${i}`, tags: ['bulk'] })))
    // the signing threads read the words: each chunk is found by the word only it holds
    for (const i of [0, 77, 199]) {
      const [hit] = await store.search({ text: `zebra${i}`, k: 1 })
      assert.equal(hit?.id, many[i].id)
      assert.ok(hit.lexical > 0.9, `lexical score ${hit.lexical}`)
    }
    const entries = await allEntries(store)
    assert.equal(entries.length, 200)
    for (const [i, bytes] of entries.entries()) {
      const entry = await verifyEntry(bytes)
      assert.equal(entry.id, many[i].id)
      const again = await signChunk(Chunk.decode(SignedEntry.decode(bytes).body), privateKey)
      assert.deepEqual(new Uint8Array(again.bytes), new Uint8Array(bytes))
    }
    await store.close()
  })

  it('advances its clock past every entry it receives', async () => {
    const clock = new HybridLogicalClock()
    const ahead = new HybridLogicalClock({ wallClock: () => Date.now() + 30_000 })
    const author = await openStore({ clock: ahead })
    await author.put({ text: 'written by a node whose clock runs 30 s ahead' })
    const receiver = await openStore({ clock })
    await receiver.ingest(await allEntries(author))
    const mine = await receiver.put({ text: 'written after receiving it' })
    assert.ok(mine.hlc.wallTime >= Date.now() + 29_000, 'the next local entry is ordered after the received one')
    await Promise.all([author.close(), receiver.close()])
  })

  it('rebuilds the graph instead of loading a damaged graph file, and still finds everything', async () => {
    const path = await tempPath()
    const privateKey = await generateKeyPair('Ed25519')
    let store = await openStore({ path, privateKey })
    const chunks = await store.putMany(Array.from({ length: 300 }, (_, i) => ({ text: `graph note ${i} about subject ${i % 13}` })))
    await store.close()
    await writeFile(join(path, 'vectors.usearch'), randomBytes(200_000))
    store = await openStore({ path, privateKey })
    const [hit] = await store.search({ text: chunks[42].text, k: 1 })
    assert.equal(hit.id, chunks[42].id)
    await store.flushIndex()
    assert.equal(store.stats().indexed.vectors, 300)
    await store.close()
  })

  it('finds every chunk of a large import through the approximate graph as well as by exact scan', async () => {
    const store = await openStore()
    const texts = Array.from({ length: 6000 }, (_, i) => `record ${i} about topic ${i % 97} and item ${(i * 7919) % 6007}`)
    for (let i = 0; i < texts.length; i += 1000) await store.putMany(texts.slice(i, i + 1000).map(text => ({ text })))
    // every vector in the graph, so the approximate search really walks it
    await store.flushIndex()
    let agree = 0
    for (let i = 0; i < 50; i++) {
      const text = texts[i * 113]
      const [approx] = await store.search({ text, k: 1 })
      const [exact] = await store.search({ text, k: 1, exact: true })
      if (approx.text === text && exact.text === text) agree++
    }
    assert.ok(agree >= 48, `the top result was the chunk itself for ${agree}/50 queries`)
    await store.close()
  })
})

describe('an author that signs two entries with one seq', () => {
  it('is caught by every path an entry comes in: the entry held stays, the other is kept as evidence and never folded', async () => {
    const key = await generateKeyPair('Ed25519')
    const author = peerIdFromPrivateKey(key)
    const first = await signChunk(chunkBody(key, { text: 'the build cache lives in /var/cache/ci', seq: 1n }), key)
    const second = await signChunk(chunkBody(key, { text: 'the build cache lives in /tmp', seq: 1n }), key)
    const third = await signChunk(chunkBody(key, { text: 'deploys go out on Tuesdays', seq: 2n }), key)
    const honest = await generateKeyPair('Ed25519')
    const other = await signChunk(chunkBody(honest, { text: 'the build cache is cleared weekly', seq: 1n }), honest)

    const path = await tempPath()
    const privateKey = await generateKeyPair('Ed25519')
    const store = await openStore({ path, privateKey })
    const seen: string[] = []
    store.addEventListener('equivocation', evt => { seen.push(`${evt.detail.held ?? '?'} ${evt.detail.other}`) })
    // a sync page that holds both: the first is stored, the second is evidence, and the page is not the sender's fault
    const page = await store.ingest([first.bytes, second.bytes, other.bytes])
    assert.deepEqual({ stored: page.stored, equivocations: page.equivocations, rejected: page.rejected.length }, { stored: 2, equivocations: 1, rejected: 0 })
    // gossip: checked against what is held
    const admission = await store.check(second.bytes, { publisher: author })
    assert.equal(admission.verdict, 'equivocation')
    assert.equal(store.accept(second), 'equivocation')
    // the author's other entries still come in, and rank below an honest author's
    assert.equal((await store.ingest([third.bytes])).stored, 1)
    await waitFor(() => seen.length > 0)
    assert.deepEqual(seen, [`${first.id} ${second.id}`])
    assert.deepEqual(store.stats().equivocations, { authors: [author.toString()], entries: 1 })
    const results = await store.search({ text: 'build cache', k: 3 })
    assert.deepEqual(results.map(r => r.text).slice(0, 2), ['the build cache is cleared weekly', 'the build cache lives in /var/cache/ci'])
    assert.ok(!results.some(r => r.text === 'the build cache lives in /tmp'), 'the second entry is never folded')
    assert.equal((await store.get(first.id)).text, 'the build cache lives in /var/cache/ci')
    await store.close()

    // the evidence and the flag outlive a restart
    const reopened = await openStore({ path, privateKey })
    assert.deepEqual(reopened.stats().equivocations, { authors: [author.toString()], entries: 1 })
    assert.equal((await reopened.check(second.bytes)).verdict, 'equivocation')
    assert.equal(reopened.stats().equivocations.entries, 1, 'evidence already held is not kept twice')
    await reopened.close()
  })
})

function chunkBody (key: PrivateKey, fields: Partial<Chunk> = {}): Chunk {
  return {
    author: peerIdFromPrivateKey(key).toMultihash().bytes as Uint8Array<ArrayBuffer>,
    agent: 'agent',
    zone: Zone.FEDERATION,
    text: 'a chunk from another node',
    tags: [],
    hlcWallTime: BigInt(Date.now()),
    hlcLogical: 0,
    seq: 1n,
    ...fields
  }
}

/** Rewrites the zone varint (field 3, after author and agent) of an encoded chunk body */
function withZone (body: Uint8Array, zone: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(body)
  let i = 2 + out[1]
  i += 2 + out[i + 1]
  assert.equal(out[i], 0x18)
  out[i + 1] = zone
  return out
}
