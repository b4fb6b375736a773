// Runs the benchmarks: figures are printed, nothing is asserted. Run it
// through `./scripts/bench`, which sets up the toolchain and builds first.
//
//   node scripts/run-bench.mjs                 every benchmark, full sizes
//   node scripts/run-bench.mjs mesh [SIZES…]   mesh formation and memory per node
//   node scripts/run-bench.mjs memory [--quick] [--ingest N] [--replicate N] [--search N,N]
//   node scripts/run-bench.mjs run-agent [--quick] [--requests N] [--parallel N]
//   node scripts/run-bench.mjs api [--quick] [--requests N] [--chunks N]
//   node scripts/run-bench.mjs gossip [--quick] [--nodes N] [--messages M]
//   node scripts/run-bench.mjs cli [--quick] [--runs N]   CLI start-to-exit against a bare node start
//   node scripts/run-bench.mjs sim [--duration D] [SIZES…]   overmind sim at scale (default 50 100 200 nodes)
//   node scripts/run-bench.mjs living-memory [--quick] [--chunks N] [--searches N]   use events per 1,000 searches, search with spread
//   node scripts/run-bench.mjs SIZES…          mesh sizes (as `mesh SIZES…`)
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const benches = {
  mesh: join(root, 'test', 'dist', 'bench', 'mesh.js'),
  memory: join(root, 'test', 'dist', 'bench', 'memory.js'),
  'run-agent': join(root, 'test', 'dist', 'bench', 'run-agent.js'),
  api: join(root, 'test', 'dist', 'bench', 'api.js'),
  gossip: join(root, 'test', 'dist', 'bench', 'gossip.js'),
  cli: join(root, 'test', 'dist', 'bench', 'cli.js'),
  sim: join(root, 'test', 'dist', 'bench', 'sim-scale.js'),
  'living-memory': join(root, 'test', 'dist', 'bench', 'living-memory.js')
}

let [first, ...rest] = process.argv.slice(2)
let runs
if (first == null) runs = Object.keys(benches).map(name => [name, []])
else if (benches[first] != null) runs = [[first, rest]]
else if (/^\d+$/.test(first)) runs = [['mesh', [first, ...rest]]]
else {
  process.stderr.write(`unknown benchmark "${first}"; choose one of: ${Object.keys(benches).join(', ')}\n`)
  process.exit(2)
}

let status = 0
for (const [name, args] of runs) {
  const res = spawnSync(process.execPath, [benches[name], ...args], { stdio: 'inherit' })
  if (res.status !== 0) status = res.status ?? 1
}
process.exit(status)
