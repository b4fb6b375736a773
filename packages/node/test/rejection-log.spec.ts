import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { runNode } from '../src/daemon.js'
import { initDataDir } from '../src/data-dir.js'
import { createNodeLog } from '../src/log.js'
import { createRejectionLog } from '../src/rejection-log.js'
import type { RunningNode } from '../src/daemon.js'

const ATTACKER = '12D3KooWAttacker'
const OTHER = '12D3KooWOther'

function collect (): { lines: Array<Record<string, any>>, log: ReturnType<typeof createNodeLog> } {
  const lines: Array<Record<string, any>> = []
  return { lines, log: createNodeLog({ format: 'json', write: line => { lines.push(JSON.parse(line)) } }) }
}

describe('rejection log', () => {
  it('logs the first rejection of each peer, then one count per peer when the period ends', () => {
    const { lines, log } = collect()
    const rejections = createRejectionLog(log)
    try {
      for (let i = 0; i < 1_000; i++) rejections.report({ kind: 'entry', reason: 'bad-signature', message: 'signature does not verify', from: ATTACKER, via: 'gossip' })
      for (let i = 0; i < 10; i++) rejections.report({ kind: 'heartbeat', reason: 'wrong-mesh', message: 'beat of mesh elsewhere', from: OTHER })
      rejections.report({ kind: 'heartbeat', reason: 'malformed', message: 'does not decode', from: ATTACKER })

      assert.deepEqual(lines.map(l => [l.level, l.msg, l.from, l.reason]), [
        ['warn', 'rejected a memory entry', ATTACKER, 'bad-signature'],
        ['warn', 'rejected a heartbeat', OTHER, 'wrong-mesh']
      ])
      assert.equal(lines[0].detail, 'signature does not verify')
      assert.equal(lines[0].via, 'gossip')

      rejections.flush()
      assert.deepEqual(lines.slice(2).map(l => [l.level, l.msg, l.from, l.reasons]), [
        ['warn', 'rejected 1000 more messages from this peer in the last 60 s', ATTACKER, 'entry:bad-signature=999,heartbeat:malformed=1'],
        ['warn', 'rejected 9 more messages from this peer in the last 60 s', OTHER, 'heartbeat:wrong-mesh=9']
      ])

      // a new period starts with a full line again; a quiet one writes nothing
      rejections.report({ kind: 'entry', reason: 'malformed', message: 'not a batch', from: ATTACKER, via: 'gossip' })
      rejections.flush()
      rejections.flush()
      assert.deepEqual(lines.slice(4).map(l => [l.msg, l.reason]), [['rejected a memory entry', 'malformed']])
    } finally {
      rejections.stop()
    }
  })

  describe('in a running node', () => {
    let root: string
    let running: RunningNode
    const { lines, log } = collect()

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'overmind-rejection-log-'))
      await initDataDir(root, { mesh: 'test' })
      running = await runNode({ dataDir: root, listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0, mdns: false, log })
    })

    afterAll(async () => {
      await running?.stop()
      await rm(root, { recursive: true, force: true })
    })

    it('writes a few lines for a flood of rejected beats and entries, not one line each', () => {
      const { heartbeat, knowledge, memorySync } = running.node.libp2p.services
      const before = lines.length
      for (let i = 0; i < 500; i++) {
        heartbeat.safeDispatchEvent('heartbeat:rejected', { detail: { reason: 'wrong-mesh', message: 'beat of mesh elsewhere', from: ATTACKER } })
        knowledge!.safeDispatchEvent('entry:rejected', { detail: { reason: 'bad-signature', message: 'signature does not verify', from: ATTACKER, via: 'gossip' } })
      }
      memorySync!.safeDispatchEvent('entry:rejected', { detail: { reason: 'malformed', message: 'page does not decode', from: OTHER, via: 'sync' } })

      const written = lines.slice(before).filter(l => /^rejected/.test(l.msg))
      assert.deepEqual(written.map(l => [l.msg, l.from]), [
        ['rejected a heartbeat', ATTACKER],
        ['rejected a memory entry', OTHER]
      ])
    })
  })
})
