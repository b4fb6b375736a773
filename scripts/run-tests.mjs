// Runs the test suite with Node's test runner. Run it through `./scripts/test`,
// which sets up the toolchain and builds first.
//
//   node scripts/run-tests.mjs            # everything
//   node scripts/run-tests.mjs --quick    # unit tests only (no node processes)
//   node scripts/run-tests.mjs PATTERN…   # only test files whose path contains PATTERN
import { spawnSync } from 'node:child_process'
import { globSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const quick = args.includes('--quick')
const patterns = args.filter(a => !a.startsWith('--'))

const unit = ['packages/*/dist/test/*.spec.js', 'protocols/dist/test/*.spec.js', 'apps/*/dist/test/*.spec.js']
const e2e = ['test/dist/e2e/*.spec.js']
// two files run at a time, each started as the one before it ends: the
// longest go first so that short ones fill in at the end
const LONGEST = ['memory-load', 'sim', 'sim-modes', 'sim-links', 'mesh-processes', 'memory-cli', 'fresh-clone', 'storage-repair', 'cli']
const rank = (file) => {
  const i = LONGEST.indexOf(file.split('/').pop().replace(/\.spec\.js$/, ''))
  return i === -1 ? LONGEST.length + (file.startsWith('test/') ? 0 : 1) : i
}
let files = (quick ? unit : [...unit, ...e2e])
  .flatMap(glob => globSync(glob, { cwd: root }))
  .sort()
  .sort((a, b) => rank(a) - rank(b))
if (patterns.length > 0) {
  files = files.filter(f => patterns.some(p => f.includes(p)))
}
if (files.length === 0) {
  process.stderr.write('run-tests: no test files found: was the project built (./scripts/test builds it)?\n')
  process.exit(1)
}
process.stderr.write(`run-tests: ${files.length} test files${quick ? ' (quick: unit tests only)' : ''}\n`)
// two test files at a time: most of a file's time is spent waiting on node
// processes and timers, not on a core
const res = spawnSync(process.execPath, [
  '--test',
  '--test-concurrency=2',
  '--test-timeout=300000',
  ...files.map(f => relative(process.cwd(), join(root, f)))
], { stdio: 'inherit' })
process.exit(res.status ?? 1)
