// Runs the benchmarks: figures are printed, nothing is asserted. Run it
// through `./scripts/bench`, which sets up the toolchain and builds first.
//
//   node scripts/run-bench.mjs [mesh SIZES…]
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const res = spawnSync(process.execPath, [join(root, 'test', 'dist', 'bench', 'mesh.js'), ...process.argv.slice(2)], { stdio: 'inherit' })
process.exit(res.status ?? 1)
