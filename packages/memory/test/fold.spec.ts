import assert from 'node:assert/strict'
import { EventKind, Zone } from '@overmind/protocols'
import { describe, it } from 'vitest'
import { applyEvent, confidence, salience, SALIENCE_DECAY_PER_HOUR, useCount } from '../src/fold.js'
import { SignalFold } from '../src/signals.js'
import type { VerifiedEvent } from '../src/entry.js'
import type { ChunkState } from '../src/fold.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2026, 11, 1)

/** A small seeded generator (mulberry32), so a failing order can be replayed */
function random (seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function shuffled<T> (items: T[], next: () => number): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

let made = 0

function event (author: string, kind: EventKind, targets: string[], at: number, fields: { success?: boolean, relation?: string, uses?: number, weight?: number, score?: number, novelty?: number, topic?: string } = {}): VerifiedEvent {
  return {
    id: `e${String(made++).padStart(4, '0')}`,
    author: { toString: () => author },
    body: { agent: 'a', zone: Zone.FEDERATION, kind, targets, success: fields.success ?? false, relation: fields.relation ?? '', hlcWallTime: BigInt(at), hlcLogical: 0, seq: 1n, uses: fields.uses ?? 0, weight: fields.weight ?? 0, score: fields.score ?? 0, novelty: fields.novelty ?? 0, topic: fields.topic ?? '', author: new Uint8Array() }
  } as unknown as VerifiedEvent
}

function fold (events: VerifiedEvent[]): Map<string, ChunkState> {
  const states = new Map<string, ChunkState>()
  for (const e of events) applyEvent(states, e)
  return states
}

/** The signals the events make, as comparable values */
function signals (events: VerifiedEvent[]): unknown[] {
  const signals = new SignalFold()
  for (const e of events) signals.apply(e)
  return [...signals.values()]
    .map(s => ({ id: s.id, chunks: [...s.chunks].sort(), raisedBy: [...s.raisedBy].sort(), raisedAt: s.raisedAt, lead: s.lead }))
    .sort((a, b) => a.id < b.id ? -1 : 1)
}

/** Everything a node shows of a chunk's state, salience included, as comparable values */
function view (states: Map<string, ChunkState>, ids: string[], now: number): unknown[] {
  return ids.map(id => {
    const s = states.get(id)
    return {
      confidence: confidence(s),
      tombstonedBy: [...s?.tombstonedBy ?? []].sort(),
      archivedBy: [...s?.archivedBy ?? []].sort(),
      links: [...s?.links ?? []].map(([relation, to]) => [relation, [...to].sort()]).sort(),
      uses: useCount(s),
      salience: salience(s, T0, now)
    }
  })
}

describe('folding events', () => {
  it('gives the same confidence, links, tombstones, archive state, salience and signals, to the last bit, whatever the order', () => {
    const next = random(7)
    const ids = ['c0', 'c1', 'c2', 'c3', 'c4']
    const authors = ['n1', 'n2', 'n3', 'n4']
    const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]
    const events: VerifiedEvent[] = []
    for (let i = 0; i < 400; i++) {
      const at = T0 + Math.floor(next() * 48 * HOUR)
      const r = next()
      if (r < 0.5) events.push(event(pick(authors), EventKind.USE, [pick(ids), pick(ids)].filter((x, j, a) => a.indexOf(x) === j), at, { uses: 1 + Math.floor(next() * 5) }))
      else if (r < 0.75) events.push(event(pick(authors), EventKind.FEEDBACK, [pick(ids)], at, { success: next() < 0.6 }))
      else if (r < 0.95) events.push(event(pick(authors), EventKind.LINK, [pick(ids), pick(ids)], at, { relation: pick(['', 'cause', 'same']), weight: pick([0, 250, 500, 1000]) }))
      else if (r < 0.96) events.push(event(pick(authors), EventKind.TOMBSTONE, [pick(ids)], at))
      else if (r < 0.97) events.push(event(pick(authors), EventKind.ARCHIVE, [pick(ids)], at))
      else {
        // signals named by two chunks, some of them raised by several nodes with other chunks, topics and scores
        const first = pick(ids.slice(0, 2))
        const rest = shuffled(ids.filter(id => id !== first), next).slice(0, 2 + Math.floor(next() * 2)).sort()
        events.push(event(pick(authors), EventKind.SIGNAL, [first, ...rest], at, { score: Math.floor(next() * 1000), novelty: Math.floor(next() * 1000), topic: pick(['disk full', 'restart fixes it']) }))
      }
    }
    const now = T0 + 72 * HOUR
    const reference = view(fold(events), ids, now)
    const referenceSignals = signals(events)
    // four nodes, each receiving the events in its own order
    for (let node = 0; node < 4; node++) {
      const order = shuffled(events, next)
      assert.deepEqual(view(fold(order), ids, now), reference, `node ${node} folded a different state`)
      assert.deepEqual(signals(order), referenceSignals, `node ${node} folded different signals`)
    }
    // signal events with chunks in common, different first targets, topics and scores fold into one: the order could matter
    assert.ok(referenceSignals.length >= 1)
    assert.ok(events.filter(e => e.body.kind === EventKind.SIGNAL).length > 4 * referenceSignals.length)
    // the test is not vacuous: the chunks were used, linked and rated
    const states = fold(events)
    assert.ok(ids.every(id => useCount(states.get(id)) > 0))
    assert.ok(ids.some(id => confidence(states.get(id)) !== 0.5))
  })

  it('decays salience lazily: read 10 hours later, it is what it was × 0.99^10', () => {
    const states = fold([event('n1', EventKind.USE, ['c'], T0, { uses: 3 }), event('n2', EventKind.FEEDBACK, ['c'], T0 - HOUR, { success: true })])
    const state = states.get('c')
    const created = T0 - 2 * HOUR
    const before = salience(state, created, T0)
    const after = salience(state, created, T0 + 10 * HOUR)
    assert.ok(Math.abs(after - before * SALIENCE_DECAY_PER_HOUR ** 10) < 1e-9, `${after} against ${before} × 0.99^10`)
    // the writing counts as one use, the three uses and the feedback as four more
    assert.ok(Math.abs(before - (0.99 ** 2 + 3 + 0.99)) < 1e-9, String(before))
    assert.equal(useCount(state), 4)
  })

  it('counts a use stamped after now (a clock ahead) undecayed, and a chunk never used as its writing alone', () => {
    const state = fold([event('n1', EventKind.USE, ['c'], T0 + HOUR, { uses: 2 })]).get('c')
    assert.equal(salience(state, T0, T0), 3)
    assert.equal(salience(undefined, T0, T0 + 100 * HOUR), 0.99 ** 100)
  })
})
