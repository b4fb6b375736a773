import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { TimelineRecorder, faultLabel, latencyHistogram } from '../src/timeline.js'

describe('the timeline', () => {
  it('counts delivery latencies into buckets that cover every value once', () => {
    const buckets = latencyHistogram([0, 0.5, 1, 4.9, 5, 999, 1_000, 59_999, 60_000, 3_600_000])
    assert.equal(buckets.reduce((sum, b) => sum + b.count, 0), 10)
    const at = (ms: number): number => buckets.find(b => b.fromMs <= ms && (b.toMs == null || ms < b.toMs))?.count ?? -1
    assert.equal(at(0), 2)
    assert.equal(at(1), 1)
    assert.equal(at(4.9), 1)
    assert.equal(at(5), 1)
    assert.equal(at(999), 1)
    assert.equal(at(1_000), 1)
    assert.equal(at(60_000), 2)
    assert.equal(buckets[buckets.length - 1].toMs, null)
    buckets.slice(1).forEach((b, i) => { assert.equal(b.fromMs, buckets[i].toMs) })
  })

  it('names faults as the report shows them', () => {
    assert.deepEqual([{ at: 0, partition: [[0, 1], [2]] }, { at: 0, heal: true as const }, { at: 0, kill: 2 }, { at: 0, restart: 2 }, { at: 0, hostile: 3 }, { at: 0, hang: 1, for: 4_000 }].map(faultLabel),
      ['partition 0 1 | 2', 'heal', 'kill 2', 'restart 2', 'hostile 3', 'hang 1 for 4 s'])
  })

  it('samples the counts it is given, the CPU the process used and its memory per node up', async () => {
    const recorder = new TimelineRecorder()
    await new Promise(resolve => setTimeout(resolve, 50))
    const busyUntil = performance.now() + 100
    while (performance.now() < busyUntil) Math.sqrt(Math.random())
    const sample = recorder.sample({ up: 4, faults: 1, writes: 10, deliveries: 30 })
    recorder.fault({ at: 0, kill: 3 })
    recorder.sample({ up: 3, faults: 2, writes: 12, deliveries: 36 })
    const { timeline, faultsApplied, resources } = recorder.stop()
    assert.equal(timeline.length, 2)
    assert.deepEqual({ up: sample.up, faults: sample.faults, writes: sample.writes, deliveries: sample.deliveries }, { up: 4, faults: 1, writes: 10, deliveries: 30 })
    assert.ok(sample.cpuCores > 0, 'a busy loop uses CPU')
    assert.ok(timeline[1].at >= sample.at)
    // memory per node is the process's divided by the nodes up
    const rss = process.memoryUsage.rss() / 1024 / 1024
    assert.ok(sample.rssMbPerNode > rss / 4 / 2 && sample.rssMbPerNode < rss / 4 * 2)
    assert.deepEqual(faultsApplied.map(f => f.fault), ['kill 3'])
    assert.equal(resources.cpuCoresMax, Math.max(...timeline.map(s => s.cpuCores)))
    assert.equal(resources.rssMbPerNodeMax, Math.max(...timeline.map(s => s.rssMbPerNode)))
    assert.ok(resources.cpuCoresAvg > 0 && resources.eventLoopDelayP99Ms >= 0)
  })
})
