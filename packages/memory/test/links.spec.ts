import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { EventKind, Zone } from '@overmind/protocols'
import { NO_EVENT_FIELDS, signChunk, signEvent } from '../src/entry.js'
import { spreadActivation, withoutDuplicates } from '../src/links.js'
import { MemoryIndex } from '../src/memory-index.js'
import type { PrivateKey } from '@libp2p/interface'

/** An index of chunks `a`…, and link events between them, all by one author */
async function indexOf (names: string[], links: Array<[string, string, string, number]>, zone = Zone.FEDERATION): Promise<{ index: MemoryIndex, ordinal(name: string): number, id(name: string): string }> {
  const key: PrivateKey = await generateKeyPair('Ed25519')
  const peer = peerIdFromPrivateKey(key)
  const author = peer.toMultihash().bytes as Uint8Array<ArrayBuffer>
  const index = new MemoryIndex({ model: 'none', dimensions: 4, self: peer.toString(), replicatedZones: [Zone.FEDERATION] })
  const ids = new Map<string, string>()
  let seq = 0n
  for (const [i, name] of names.entries()) {
    const chunk = await signChunk({ author, agent: 'a', zone, text: name, tags: [], hlcWallTime: BigInt(Date.now()), hlcLogical: 0, seq: ++seq }, key)
    index.addChunk(i, chunk.id, peer.toString(), chunk.body)
    ids.set(name, chunk.id)
  }
  for (const [from, to, relation, weight] of links) {
    const targets = [ids.get(from) as string, ids.get(to) as string]
    index.addEvent(await signEvent({ ...NO_EVENT_FIELDS, author, agent: 'a', zone, kind: EventKind.LINK, targets, relation, weight: Math.round(weight * 1000), hlcWallTime: BigInt(Date.now()), hlcLogical: 0, seq: ++seq }, key))
  }
  return { index, ordinal: name => index.ordinal(ids.get(name) as string) as number, id: name => ids.get(name) as string }
}

const hit = (ordinal: number, score: number): { ordinal: number, score: number, similarity: number, lexical: number } => ({ ordinal, score, similarity: score, lexical: 0 })

describe('links in search', () => {
  it('spread activation reaches linked chunks hop by hop, each by its best way in, and keeps the best k', async () => {
    const { index, ordinal, id } = await indexOf(['a', 'b', 'c', 'd'], [['a', 'b', 'fixes', 0.8], ['b', 'c', 'cites', 1], ['d', 'c', 'cites', 0.2]])
    const filter = { reader: 'a' }
    const one = spreadActivation(index, [hit(ordinal('a'), 1), hit(ordinal('d'), 0.9)], filter, 10, 1)
    const score = (hits: typeof one, name: string): number | undefined => hits.find(h => h.ordinal === ordinal(name))?.score
    assert.equal(score(one, 'b'), 1 * 0.8 * 0.5)
    assert.deepEqual(one.find(h => h.ordinal === ordinal('b'))?.via, { from: id('a'), relation: 'fixes', weight: 0.8, hops: 1 })
    // c is one hop from d (0.9 × 0.2 × 0.5) and two from a (0.4 × 1 × 0.5): one hop sees only d's way
    assert.ok(Math.abs((score(one, 'c') ?? 0) - 0.09) < 1e-9)
    const two = spreadActivation(index, [hit(ordinal('a'), 1), hit(ordinal('d'), 0.9)], filter, 10, 2)
    assert.ok(Math.abs((score(two, 'c') ?? 0) - 0.2) < 1e-9)
    assert.deepEqual(two.find(h => h.ordinal === ordinal('c'))?.via, { from: id('b'), relation: 'cites', weight: 1, hops: 2 })
    // the best k, by score
    assert.deepEqual(spreadActivation(index, [hit(ordinal('a'), 1), hit(ordinal('d'), 0.9)], filter, 2, 2).map(h => h.ordinal), [ordinal('a'), ordinal('d')])
    // a linked chunk outside the filter is not reached
    assert.equal(score(spreadActivation(index, [hit(ordinal('a'), 1)], { reader: 'a', since: Date.now() + 60_000 }, 10, 1), 'b'), undefined)
  })

  it('drops a hit linked same-as to another hit, but keeps both of a pair linked same-as each other', async () => {
    const { index, ordinal } = await indexOf(['original', 'copy', 'x', 'y'], [['copy', 'original', 'same-as', 1], ['x', 'y', 'same-as', 1], ['y', 'x', 'same-as', 1]])
    const all = [hit(ordinal('original'), 0.9), hit(ordinal('copy'), 0.95), hit(ordinal('x'), 0.5), hit(ordinal('y'), 0.4)]
    assert.deepEqual(withoutDuplicates(index, all).map(h => h.ordinal), [ordinal('original'), ordinal('x'), ordinal('y')])
    // without its original among the hits, the copy stays
    assert.deepEqual(withoutDuplicates(index, [hit(ordinal('copy'), 0.95), hit(ordinal('x'), 0.5)]).map(h => h.ordinal), [ordinal('copy'), ordinal('x')])
  })
})
