import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { ReplicationLag } from '../src/replication-lag.js'
import type { MemoryStore } from '@overmind/memory'

const SELF = '12D3KooWPUctyKhcmpJqp9A91yeJdhxCmXJRpkSYq5kh6iBkU4U9'
const PEER = '12D3KooWSqtLGJz4kqoD5fjGPLdJYGZxBmBfibwDrvHSzUn6m6zA'

function stored (target: EventTarget, author: string, origin: 'local' | 'remote', writtenAt: number): void {
  target.dispatchEvent(new CustomEvent('entry', { detail: { origin, entry: { author: { toString: () => author }, body: { hlcWallTime: BigInt(writtenAt) } } } }))
}

describe('ReplicationLag', () => {
  it('gives the median lag of peers\' entries over the last minute, leaving out its own and local ones', () => {
    const memory = new EventTarget()
    const lag = new ReplicationLag(memory as unknown as MemoryStore, SELF)
    assert.equal(lag.medianMs(), 0)
    const now = Date.now()
    for (const ms of [100, 300, 200]) stored(memory, PEER, 'remote', now - ms)
    stored(memory, SELF, 'remote', now - 50_000)
    stored(memory, PEER, 'local', now - 50_000)
    const median = lag.medianMs()
    assert.ok(median >= 200 && median < 250, `median ${median}`)
    // a minute later, nothing is left in the window
    assert.equal(lag.medianMs(Date.now() + 61_000), 0)
    lag.stop()
    stored(memory, PEER, 'remote', now - 10_000)
    assert.ok(lag.medianMs() < 250, 'a stopped tracker counts nothing')
  })

  it('keeps the latest 1024 arrivals of a burst', () => {
    const memory = new EventTarget()
    const lag = new ReplicationLag(memory as unknown as MemoryStore, SELF)
    const now = Date.now()
    for (let i = 0; i < 5000; i++) stored(memory, PEER, 'remote', now - (i < 4000 ? 10_000 : 100))
    assert.ok(lag.medianMs() < 1_000, `the burst's last entries set the median: ${lag.medianMs()}`)
    lag.stop()
  })
})
