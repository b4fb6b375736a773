/**
 * Scale benchmark of the simulator's in-process mode: the steady-mesh
 * scenario (production timers, a steady trickle of writes, each also sent
 * on a bare gossipsub topic of the same nodes as the floor) at growing mesh
 * sizes, each in a fresh process. Prints a table and charts; asserts
 * nothing. Goals (issue 14): ≤ 40 MB per node, every peer table full within
 * 60 s, knowledge p99 ≤ 2 s at 200 nodes.
 *
 * A second floor, independent of the node: a bare js-libp2p mesh of the
 * same size in a process and thread of its own (bare-mesh.js, only the
 * layers below Overmind's services), carrying the same write rate and a
 * beat from each node, printed beside it.
 *
 * The nodes reach each other over libp2p's in-memory transport unless
 * `--transport tcp` says loopback TCP (the same layers above it), spread
 * over worker threads as `threads: auto` does (one per core from 100 nodes)
 * unless `--threads N` says otherwise.
 *
 *   node sim-scale.js [--duration D] [--transport memory|tcp] [--threads N|auto] [SIZES…]     (default 60s, memory, auto; 50 100 200)
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { chart, fmt, table } from './report.js'
import type { BareMeshReport } from './bare-mesh.js'
import type { SimReport } from '@overmind/sim'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const BIN = join(ROOT, 'apps', 'cli', 'dist', 'bundle', 'bin.js')
const SCENARIO = join(ROOT, 'scenarios', 'steady-mesh.yaml')
const BARE = fileURLToPath(new URL('./bare-mesh.js', import.meta.url))

const { values: args, positionals } = parseArgs({ options: { duration: { type: 'string', default: '60s' }, transport: { type: 'string', default: 'memory' }, threads: { type: 'string', default: 'auto' } }, allowPositionals: true })
const sizes = positionals.map(Number).filter(n => n >= 2)
const reports: SimReport[] = []
const bares: BareMeshReport[] = []
for (const n of sizes.length > 0 ? sizes : [50, 100, 200]) {
  process.stderr.write(`steady-mesh on ${n} nodes for ${args.duration}… `)
  const started = Date.now()
  const res = spawnSync(process.execPath, [BIN, 'sim', SCENARIO, '--nodes', String(n), '--duration', args.duration, '--transport', args.transport, '--threads', args.threads, '--json'], { encoding: 'utf8', timeout: 30 * 60_000, maxBuffer: 64 * 1024 * 1024 })
  if (res.stdout.trim() === '') {
    process.stderr.write(`failed (${res.signal ?? res.status})\n${res.stderr.slice(-2000)}\n`)
    process.exitCode = 1
    continue
  }
  const report: SimReport = JSON.parse(res.stdout)
  reports.push(report)
  process.stderr.write(`${Math.round((Date.now() - started) / 1000)} s; tables ${report.formationMs == null ? 'never full' : `full in ${fmt(report.formationMs / 1000)} s`}, delivery p99 ${report.delivery.p99 ?? '–'} ms\n`)
  process.stderr.write(`bare js-libp2p mesh of ${n} nodes for ${args.duration}… `)
  const floor = spawnSync(process.execPath, [BARE, '--nodes', String(n), '--duration', args.duration, '--json'], { encoding: 'utf8', timeout: 30 * 60_000, maxBuffer: 16 * 1024 * 1024 })
  try {
    const bare: BareMeshReport = JSON.parse(floor.stdout)
    bares.push(bare)
    process.stderr.write(`delivery p99 ${bare.p99 ?? '–'} ms\n`)
  } catch {
    process.stderr.write(`failed (${floor.signal ?? floor.status})\n${floor.stderr.slice(-2000)}\n`)
    process.exitCode = 1
  }
}

const ms = (v: number | null | undefined): string => v == null ? '–' : fmt(v)
const ratio = (v: number | null | undefined): string => v == null ? '–' : `${v.toFixed(1)}×`
table(`Steady mesh in one process over the ${args.transport === 'tcp' ? 'loopback TCP' : 'in-memory'} transport (production timers; floor: bare gossipsub on the same nodes, same texts, same moment)`,
  ['nodes', 'threads', 'tables full s', 'MB/node', 'delivered', 'p50 ms', 'p99 ms', 'floor p50', 'floor p99', 'p50 ×floor', 'p99 ×floor', 'CPU cores', 'loop delay p99 ms'],
  reports.map(r => [
    String(r.nodes),
    String(r.threads),
    r.formationMs == null ? 'never' : fmt(r.formationMs / 1000),
    fmt(r.resources.rssMbPerNodeMax),
    `${(r.delivery.ratio * 100).toFixed(2)}%`,
    ms(r.delivery.p50),
    ms(r.delivery.p99),
    ms(r.floor?.p50),
    ms(r.floor?.p99),
    ratio(r.floor?.ratioP50),
    ratio(r.floor?.ratioP99),
    fmt(r.resources.cpuCoresAvg),
    fmt(r.resources.eventLoopDelayP99Ms)
  ]))
table('Floor: a bare js-libp2p mesh of the same size, in a process and thread of its own (in-memory transport, pre-shared key, noise, yamux, identify, gossipsub; 8 dials a node, 2 messages/s of 1,400 bytes, one 1,500-byte beat a node), and the steady mesh over it',
  ['nodes', 'mesh formed s', 'delivered', 'p50 ms', 'p99 ms', 'beats p99 ms', 'CPU cores', 'loop delay p99 ms', 'MB/node', 'steady mesh p99 × bare'],
  bares.map(b => {
    const sim = reports.find(r => r.nodes === b.nodes)
    return [
      String(b.nodes),
      b.meshMs == null ? 'never' : fmt(b.meshMs / 1000),
      `${(b.ratio * 100).toFixed(2)}%`,
      ms(b.p50),
      ms(b.p99),
      ms(b.beatsP99),
      fmt(b.cpuCores),
      fmt(b.eventLoopDelayP99Ms),
      fmt(b.rssMbPerNode),
      sim?.delivery.p99 != null && b.p99 != null && b.p99 > 0 ? ratio(sim.delivery.p99 / b.p99) : '–'
    ]
  }))
chart('Knowledge delivery p99 (ms; goal ≤ 2,000 at 200 nodes)', [...reports.map((r): [string, number] => [`${r.nodes} nodes`, r.delivery.p99 ?? 0]), ...bares.map((b): [string, number] => [`${b.nodes} bare js-libp2p`, b.p99 ?? 0])], 'ms')
chart('Memory per node (MB; goal ≤ 40)', reports.map(r => [`${r.nodes} nodes`, r.resources.rssMbPerNodeMax]), 'MB')
