import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { Zone } from '@overmind/protocols'
import { EntryLog } from '../src/entry-log.js'
import { StorageError } from '../src/errors.js'
import { WriteQueue } from '../src/write-queue.js'
import { chunk } from './fixtures/entries.js'
import type { Write, WriteQueueInit } from '../src/write-queue.js'
import type { PrivateKey } from '@libp2p/interface'

const dirs: string[] = []
afterAll(async () => {
  await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
})

/** A gate a hook waits on until the test opens it */
function gate (): { wait: Promise<void>, open(): void } {
  const { promise, resolve } = Promise.withResolvers<void>()
  return { wait: promise, open: resolve }
}

interface Harness {
  queue: WriteQueue
  entries: EntryLog
  self: PrivateKey
  peer: PrivateKey
  /** What happened, in order: `apply:<origin>:<seqs>`, `write:<count>`, `written:<count>`, `reopened` */
  events: string[]
  close(): Promise<void>
}

async function harness (hooks: Partial<Pick<WriteQueueInit, 'beforeWrite' | 'afterWrite'>> = {}): Promise<Harness> {
  const path = await mkdtemp(join(tmpdir(), 'overmind-writes-'))
  dirs.push(path)
  const entries = await EntryLog.open(path, { create: true })
  const self = await generateKeyPair('Ed25519')
  const peer = await generateKeyPair('Ed25519')
  const events: string[] = []
  const queue = new WriteQueue({
    path,
    entries,
    self: peerIdFromPrivateKey(self).toString(),
    log: logger('overmind:test:writes'),
    apply: async (write: Write) => {
      // what the store's apply does to the logs: the seqs become acknowledged
      for (const entry of write.entries) entries.heads.add(entry.body.zone, entry.author.toString(), entry.body.seq)
      events.push(`apply:${write.origin}:${write.entries.map(e => e.body.seq).join(',')}`)
    },
    beforeLocal: async () => {},
    written: ids => { events.push(`written:${ids.length}`) },
    sequence: async fn => { await fn() },
    reopened: () => { events.push('reopened') },
    beforeWrite: async count => {
      events.push(`write:${count}`)
      await hooks.beforeWrite?.(count)
    },
    afterWrite: hooks.afterWrite
  })
  return {
    queue,
    entries,
    self,
    peer,
    events,
    close: async () => {
      await queue.close()
      await queue.idle()
      await entries.close()
    }
  }
}

describe('WriteQueue', () => {
  it('writes what is queued while a batch is being written as one next batch', async () => {
    const stall = gate()
    let first = true
    const h = await harness({ beforeWrite: async () => { if (first) { first = false; await stall.wait } } })
    const one = h.queue.enqueue({ entries: [await chunk(h.self, 1)], origin: 'local' })
    await new Promise(resolve => setImmediate(resolve))
    const rest = [
      h.queue.enqueue({ entries: [await chunk(h.self, 2)], origin: 'local' }),
      h.queue.enqueue({ entries: [await chunk(h.peer, 1), await chunk(h.peer, 2)], origin: 'remote' }),
      h.queue.enqueue({ entries: [await chunk(h.self, 3)], origin: 'local' })
    ]
    assert.equal(h.queue.backlog, 5)
    stall.open()
    await Promise.all([one, ...rest])
    assert.deepEqual(h.events.filter(e => e.startsWith('write:')), ['write:1', 'write:4'])
    assert.equal(h.queue.backlog, 0)
    assert.equal(await h.entries.lastSeq(Zone.FEDERATION, peerIdFromPrivateKey(h.self).toString()), 3n)
    assert.equal(await h.entries.lastSeq(Zone.FEDERATION, peerIdFromPrivateKey(h.peer).toString()), 2n)
    await h.close()
  })

  it('applies entries from peers when queued and local ones only once written, and serves unwritten bytes meanwhile', async () => {
    const stall = gate()
    const h = await harness({ beforeWrite: async () => { await stall.wait } })
    const remote = await chunk(h.peer, 1)
    const local = await chunk(h.self, 1)
    const remoteDone = h.queue.enqueue({ entries: [remote], origin: 'remote' })
    const localDone = h.queue.enqueue({ entries: [local], origin: 'local' })
    await new Promise(resolve => setImmediate(resolve))
    // the peer's entry is visible and its bytes readable; the local one waits for the disk
    assert.deepEqual(h.events, ['apply:remote:1', 'write:1'])
    assert.deepEqual(h.queue.unwritten.get(remote.id), remote.bytes)
    assert.equal(h.queue.remoteQueued, 1)
    assert.equal(h.queue.holds(local.id), true)
    assert.equal(h.queue.holds(remote.id), false)
    stall.open()
    await Promise.all([remoteDone, localDone])
    // the local write went first (its enqueue applied nothing), and was applied once on disk
    assert.deepEqual(h.events, ['apply:remote:1', 'write:1', 'apply:local:1', 'written:1', 'write:1', 'written:1'])
    assert.equal(h.queue.unwritten.size, 0)
    assert.equal(h.queue.remoteQueued, 0)
    assert.equal(h.queue.holds(local.id), false)
    await h.close()
  })

  it('refuses every local write after a failed one, keeps the entries of peers, and writes again once its files reopen', async () => {
    let failSync = true
    const stall = gate()
    const h = await harness({
      beforeWrite: async () => { await stall.wait },
      // the batch reaches the disk, then its sync fails: the disk may hold it or not
      afterWrite: async () => {
        if (failSync) {
          failSync = false
          throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })
        }
      }
    })
    const failed = h.queue.enqueue({ entries: [await chunk(h.self, 1)], origin: 'local' })
    await new Promise(resolve => setImmediate(resolve))
    // a peer's entry queued behind the failing batch waits for the reopen
    const remote = h.queue.enqueue({ entries: [await chunk(h.peer, 1)], origin: 'remote' })
    stall.open()
    await assert.rejects(failed, StorageError)
    assert.equal(h.queue.failure?.error.problem, 'full')
    // while it fails, every new write is refused at once, a peer's as well as a local one
    await assert.rejects(h.queue.enqueue({ entries: [await chunk(h.self, 2)], origin: 'local' }), (err: any) => err instanceof StorageError && /takes no writes/.test(err.message))
    await assert.rejects(h.queue.enqueue({ entries: [await chunk(h.peer, 2)], origin: 'remote' }), StorageError)
    assert.equal(h.queue.remoteQueued, 1)
    // the queue reopens the files by itself: the failed batch was on disk, so it is applied
    await remote
    assert.equal(h.queue.failure, undefined)
    assert.equal(await h.entries.lastSeq(Zone.FEDERATION, peerIdFromPrivateKey(h.peer).toString()), 1n)
    assert.ok(h.events.includes('reopened'))
    assert.ok(h.events.includes('apply:local:1'), 'the write found on disk after the reopen is applied')
    await h.queue.enqueue({ entries: [await chunk(h.self, 2)], origin: 'local' })
    assert.equal(await h.entries.lastSeq(Zone.FEDERATION, peerIdFromPrivateKey(h.self).toString()), 2n)
    await h.close()
  })

  it('makes a sync page wait for room while entries from peers are queued', async () => {
    const stall = gate()
    const h = await harness({ beforeWrite: async () => { await stall.wait } })
    const queued = h.queue.enqueue({ entries: [await chunk(h.peer, 1), await chunk(h.peer, 2)], origin: 'remote' })
    let roomAt = -1
    const room = h.queue.room(() => h.queue.remoteQueued + 2 > 3).then(() => { roomAt = h.queue.remoteQueued })
    await new Promise(resolve => setTimeout(resolve, 20))
    assert.equal(roomAt, -1, 'no room while the batch is not written')
    stall.open()
    await Promise.all([queued, room])
    assert.equal(roomAt, 0)
    // an empty queue always has room, whatever the test says
    await h.queue.room(() => true)
    const aborted = AbortSignal.abort()
    const stall2 = gate()
    const h2 = await harness({ beforeWrite: async () => { await stall2.wait } })
    const more = h2.queue.enqueue({ entries: [await chunk(h2.peer, 1)], origin: 'remote' })
    await assert.rejects(h2.queue.room(() => true, aborted))
    stall2.open()
    await more
    await h.close()
    await h2.close()
  })
})
