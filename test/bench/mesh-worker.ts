/**
 * One benchmark run in a fresh process: starts N nodes, all told only node 1's
 * address, waits for full peer tables, and prints one JSON line of figures.
 *
 *   node mesh-worker.js N
 */
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import { defaultConfig } from '@overmind/config'
import type { OvermindConfig } from '@overmind/config'
import type { OvermindNode } from '@overmind/node'

const count = Number(process.argv[2] ?? 20)
const timeout = Number(process.argv[3] ?? 180_000)
// the timers a real node runs with (30 s heartbeats: newcomers get early
// beats; the first DHT self-query after a second, then one every 30 s)
const config = (c: OvermindConfig): void => {
  c.heartbeat.interval = defaultConfig().heartbeat.interval
  c.discovery.rejoinInterval = defaultConfig().discovery.rejoinInterval
  c.dht.querySelfInterval = defaultConfig().dht.querySelfInterval
}
global.gc?.()
const baseline = process.memoryUsage().rss
const psk = meshKey()
const started = performance.now()
const nodes: OvermindNode[] = [await startTestNode({ psk, config })]
nodes.push(...await Promise.all(Array.from({ length: count - 1 }, async () => startTestNode({ psk, config, bootstrap: [tcpAddress(nodes[0])] }))))
const startedAll = performance.now()
const full = (): boolean => nodes.every(n => n.peers().filter(p => p.status === 'connected' || p.status === 'alive').length === count - 1)
let formationMs: number | null = null
try {
  await waitFor(full, { timeout, interval: 50 })
  formationMs = performance.now() - started
} catch {}
const peersKnown = nodes.map(n => n.peers().length)
global.gc?.()
const rss = process.memoryUsage().rss
await Promise.all(nodes.map(async n => n.stop()))
process.stdout.write(JSON.stringify({
  nodes: count,
  startMs: Math.round(startedAll - started),
  formationMs: formationMs == null ? null : Math.round(formationMs),
  minPeersKnown: Math.min(...peersKnown),
  baselineRssMb: Math.round(baseline / 1048576),
  rssMb: Math.round(rss / 1048576),
  rssPerNodeMb: Math.round((rss - baseline) / count / 1048576 * 10) / 10
}) + '\n')
