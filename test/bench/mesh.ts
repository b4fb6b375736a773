/**
 * Mesh benchmarks: time for a mesh to reach full peer tables, and memory per
 * node with 1, 20 and 50 nodes in one process. Each size runs in a fresh
 * process. Prints a table and a bar chart; asserts nothing.
 *
 *   node mesh.js [SIZES…]     (default 1 20 50)
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

interface Figures {
  nodes: number
  startMs: number
  formationMs: number | null
  minPeersKnown: number
  baselineRssMb: number
  rssMb: number
  rssPerNodeMb: number
}

const WORKER = fileURLToPath(new URL('./mesh-worker.js', import.meta.url))
const sizes = process.argv.slice(2).map(Number).filter(n => n > 0)
const runs: Figures[] = []
for (const n of sizes.length > 0 ? sizes : [1, 20, 50]) {
  process.stderr.write(`mesh of ${n} node${n === 1 ? '' : 's'} in one process… `)
  const res = spawnSync(process.execPath, ['--expose-gc', WORKER, String(n)], { encoding: 'utf8', timeout: 600_000 })
  if (res.status !== 0) {
    process.stderr.write(`failed (${res.signal ?? res.status})\n${res.stderr}\n`)
    process.exitCode = 1
    continue
  }
  const figures: Figures = JSON.parse(res.stdout.trim().split('\n').pop() ?? '{}')
  runs.push(figures)
  process.stderr.write(`${figures.formationMs == null ? 'peer tables never filled' : `full peer tables in ${figures.formationMs} ms`}\n`)
}

const rows = runs.map(r => [
  String(r.nodes),
  `${r.startMs}`,
  r.nodes === 1 ? 'n/a' : r.formationMs == null ? `incomplete (min ${r.minPeersKnown}/${r.nodes - 1})` : `${r.formationMs}`,
  `${r.baselineRssMb}`,
  `${r.rssMb}`,
  `${r.rssPerNodeMb}`
])
const header = ['nodes', 'start ms', 'full peer tables ms', 'process RSS before MB', 'RSS with nodes MB', 'RSS per node MB']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ')
process.stdout.write(['', 'Mesh formation and memory (nodes in one process, each told only node 1\'s address)', line(header), line(widths.map(w => '-'.repeat(w))), ...rows.map(line), ''].join('\n'))

const max = Math.max(...runs.map(r => r.rssPerNodeMb), 1)
process.stdout.write(['', 'RSS per node (MB)', ...runs.map(r => `${String(r.nodes).padStart(4)} nodes │${'█'.repeat(Math.max(1, Math.round(r.rssPerNodeMb / max * 40)))} ${r.rssPerNodeMb}`), ''].join('\n'))
