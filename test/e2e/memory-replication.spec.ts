import assert from 'node:assert/strict'
import { afterAll, describe, it } from 'vitest'
import { multiaddr } from '@multiformats/multiaddr'
import { gater, meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import type { PeerId } from '@libp2p/interface'
import type { OvermindConfig } from '@overmind/config'
import type { OvermindNode } from '@overmind/node'

async function digests (nodes: OvermindNode[]): Promise<string[]> {
  return await Promise.all(nodes.map(async n => (await n.memory!.digest()).digest))
}

const noSignals = (config: OvermindConfig): void => { config.memory.signalAgents = 0 }

/** Writes chunks on a node, then forgets some and gives feedback on others */
async function writeSide (node: OvermindNode, label: string, count: number): Promise<void> {
  const memory = node.memory!
  const chunks = []
  for (let i = 0; i < count; i += 250) {
    chunks.push(...await memory.putMany(Array.from({ length: Math.min(250, count - i) }, (_, j) => ({
      text: `${label} observation ${i + j}: service ${(i + j) % 17} recovered after ${(i + j) % 5} retries`,
      tags: [label]
    }))))
  }
  for (const chunk of chunks.slice(0, 10)) await memory.forget(chunk.id)
  for (const chunk of chunks.slice(10, 40)) await memory.feedback([chunk.id], chunk.seq % 2 === 0)
  await memory.link(chunks[40].id, chunks[41].id, 'follows')
}

describe('memory replication', () => {
  const nodes: OvermindNode[] = []
  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('converges to identical state on both sides of a healed 2|2 partition, then a late joiner catches up by anti-entropy alone', async () => {
    const psk = meshKey()
    // side of each node by peer id; while `split`, nodes of different sides refuse each other
    const side = new Map<string, 'left' | 'right'>()
    let split = true
    const apart = (self: () => OvermindNode | undefined) => (peer: PeerId): boolean => {
      const mine = self()
      return split && mine != null && side.has(peer.toString()) && side.get(peer.toString()) !== side.get(mine.peerId)
    }
    const start = async (which: 'left' | 'right', bootstrap: string[]): Promise<OvermindNode> => {
      let me: OvermindNode | undefined
      // the sides write alike texts: no convergence signal, so the events are exactly the ones written
      const node = await startTestNode({ psk, bootstrap, memory: true, config: noSignals, libp2p: { connectionGater: gater(apart(() => me)) } })
      me = node
      side.set(node.peerId, which)
      nodes.push(node)
      return node
    }
    const l1 = await start('left', [])
    const l2 = await start('left', [tcpAddress(l1)])
    const r1 = await start('right', [])
    const r2 = await start('right', [tcpAddress(r1)])
    const four = [l1, l2, r1, r2]
    await waitFor(() => l2.libp2p.getConnections(l1.libp2p.peerId).length > 0 && r2.libp2p.getConnections(r1.libp2p.peerId).length > 0, { message: 'each side connected' })

    await Promise.all([writeSide(l1, 'left-a', 500), writeSide(l2, 'left-b', 500), writeSide(r1, 'right-a', 500), writeSide(r2, 'right-b', 500)])
    // each side agrees with itself and differs from the other
    await waitFor(async () => { const d = await digests(four); return d[0] === d[1] && d[2] === d[3] }, { message: 'each side to converge on its own' })
    assert.notEqual((await digests(four))[0], (await digests(four))[2])
    assert.equal(l1.libp2p.getConnections().some(c => side.get(c.remotePeer.toString()) === 'right'), false, 'no connection crosses the partition')

    // heal
    split = false
    const healed = Date.now()
    await l1.libp2p.dial(multiaddr(tcpAddress(r1)))
    await l2.libp2p.dial(multiaddr(tcpAddress(r2)))
    await waitFor(async () => new Set(await digests(four)).size === 1, { timeout: 120_000, message: 'the four nodes to converge' })
    const convergedIn = Date.now() - healed
    const state = await l1.memory!.digest()
    assert.deepEqual({ chunks: state.chunks, events: state.events }, { chunks: 2_000, events: 4 * 41 })
    for (const node of four) {
      const stats = node.memory!.stats()
      assert.equal(stats.forgotten, 40)
      assert.equal(stats.chunks.federation, 1_960)
    }
    process.stdout.write(`# partition healed: 4 nodes converged on ${state.chunks} chunks and ${state.events} events in ${convergedIn} ms\n`)

    // a node with an empty store joins later: gossip carries only what is new, so everything comes by sync
    const joined = Date.now()
    const late = await startTestNode({ psk, bootstrap: [tcpAddress(r2)], memory: true, config: noSignals })
    nodes.push(late)
    await waitFor(async () => (await late.memory!.digest()).digest === state.digest, { timeout: 120_000, message: 'the late joiner to catch up' })
    const caughtUpIn = Date.now() - joined
    assert.equal(late.libp2p.services.knowledge!.getStats().received, 0, 'nothing came by gossip')
    const sync = late.libp2p.services.memorySync!.getStats()
    assert.equal(sync.stored, state.chunks + state.events)
    process.stdout.write(`# late joiner caught up ${sync.stored} entries by anti-entropy in ${caughtUpIn} ms (${sync.exchanges} exchanges, ${sync.pages} pages, ${sync.bytes} bytes)\n`)
  })
  it('pulls thousands of entries in one exchange into a node whose disk is slow: the stream is paused, never overflowed', async () => {
    const psk = meshKey()
    const holder = await startTestNode({ psk, memory: true })
    nodes.push(holder)
    const count = 5_000
    // ~1.6 KB an entry: ~8 MB in all, twice what a stream may buffer
    for (let i = 0; i < count; i += 500) {
      await holder.memory!.putMany(Array.from({ length: 500 }, (_, j) => ({ text: `note ${i + j}: ${'the storage node rebalanced its shards after a disk failure; '.repeat(5)}` })))
    }
    const slow = await startTestNode({
      psk,
      memory: true,
      bootstrap: [tcpAddress(holder)],
      beforeMemoryWrite: async () => { await new Promise(resolve => setTimeout(resolve, 1_000)) }
    })
    nodes.push(slow)
    const reports: Array<{ stored: number }> = []
    slow.libp2p.services.memorySync!.addEventListener('sync', evt => { reports.push(evt.detail) })
    await waitFor(() => slow.memory!.stats().chunks.federation === count && slow.memory!.stats().backlog.writes === 0, { timeout: 120_000, message: 'the slow node to hold every entry' })
    const stats = slow.libp2p.services.memorySync!.getStats()
    assert.equal(stats.failures, 0, 'no exchange failed')
    assert.equal(reports[0]?.stored, count, 'the first exchange brought everything')
    process.stdout.write(`# a node writing every batch 1 s late pulled ${count} entries (${Math.round(stats.bytes / 1024)} KiB) in one exchange\n`)
  })
})
