/**
 * Starts N connected nodes in this process, stops them all, and repeats.
 * Run as a child process: when it is done it must exit on its own, which
 * proves that stopped nodes leave no timer, socket or listener behind.
 *
 *   node churn.js NODES ROUNDS
 */
import { rm, mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelDatastore } from 'datastore-level'
import { meshKey, startTestNode, tcpAddress } from './in-process.js'
import { waitFor } from './wait.js'
import type { OvermindConfig } from '@overmind/config'
import type { OvermindNode } from '@overmind/node'

const [count, rounds] = process.argv.slice(2).map(Number)
const base = await mkdtemp(join(tmpdir(), 'overmind-churn-'))
const psk = meshKey()
for (let round = 1; round <= rounds; round++) {
  const nodes: OvermindNode[] = []
  const datastore = (i: number): LevelDatastore => new LevelDatastore(join(base, `r${round}-n${i}`))
  const config = (c: OvermindConfig): void => { c.heartbeat.interval = 1_000 }
  const started = Date.now()
  nodes.push(await startTestNode({ psk, datastore: datastore(0), config }))
  nodes.push(...await Promise.all(Array.from({ length: count - 1 }, async (_, i) =>
    startTestNode({ psk, datastore: datastore(i + 1), bootstrap: [tcpAddress(nodes[0])], config }))))
  // everyone has heard at least one other node before the round ends: every
  // part of every node is running. 20 nodes in one process keep a core busy,
  // so on a loaded machine this takes a while
  await waitFor(() => nodes.every(n => n.peers().length > 0), {
    timeout: 120_000,
    message: () => `every node to hear a heartbeat (${nodes.filter(n => n.peers().length === 0).length} of ${count} have not)`
  })
  const heard = Date.now() - started
  await Promise.all(nodes.map(async n => n.stop()))
  process.stdout.write(`round ${round}: started and stopped ${count} nodes (every node heard another after ${(heard / 1000).toFixed(1)} s)\n`)
}
await rm(base, { recursive: true, force: true })
process.stdout.write(`done; still active: ${JSON.stringify(process.getActiveResourcesInfo())}\n`)
