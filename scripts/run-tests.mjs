// Runs the test suite with vitest (vitest.config.mjs) on the compiled tests.
// Run it through `./scripts/test`, which sets up the toolchain and builds first.
//
//   node scripts/run-tests.mjs            # everything
//   node scripts/run-tests.mjs --quick    # unit tests only (no node processes)
//   node scripts/run-tests.mjs --heavy    # with the heavy versions of the load tests (OVERMIND_HEAVY=1)
//   node scripts/run-tests.mjs PATTERN…   # only test files whose path contains PATTERN
//   node scripts/run-tests.mjs -t NAME    # only tests whose name contains NAME
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, globSync, openSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const args = process.argv.slice(2)
const quick = args.includes('--quick')
if (args.includes('--heavy')) process.env.OVERMIND_HEAVY = '1'
const nameAt = args.indexOf('-t')
const name = nameAt >= 0 ? args[nameAt + 1] : undefined
const patterns = args.filter((a, i) => !a.startsWith('-') && (nameAt < 0 || i !== nameAt + 1))

const unit = ['packages/*/dist/test/*.spec.js', 'protocols/dist/test/*.spec.js', 'apps/*/dist/test/*.spec.js']
const e2e = ['test/dist/e2e/*.spec.js']
let files = (quick ? unit : [...unit, ...e2e]).flatMap(glob => globSync(glob, { cwd: root })).sort()
if (patterns.length > 0) {
  files = files.filter(f => patterns.some(p => f.includes(p)))
}
if (files.length === 0) {
  process.stderr.write('run-tests: no test files found: was the project built (./scripts/test builds it)?\n')
  process.exit(1)
}
process.stderr.write(`run-tests: ${files.length} test files${quick ? ' (quick: unit tests only)' : ''}\n`)
// the page tests need Chromium: on a machine without it, apt-get installs it
// while the rest of the suite runs (its output goes to a log file)
if (files.some(f => f.endsWith('/ui.spec.js')) && !existsSync('/usr/bin/chromium') && process.getuid?.() === 0) {
  const logFile = join(root, '.tools', 'chromium-install.log')
  process.stderr.write(`run-tests: installing Chromium for the page tests in the background (log: ${logFile})\n`)
  const log = openSync(logFile, 'w')
  spawn(process.execPath, [join(root, 'test', 'dist', 'src', 'install-chromium.js')], { cwd: root, stdio: ['ignore', log, log], detached: true }).unref()
}
// V8's code cache for the modules the suite loads again and again: vitest's
// workers, the nodes' worker threads, every node and CLI process
process.env.NODE_COMPILE_CACHE ??= join(root, '.tools', 'node-compile-cache')
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
const res = spawnSync(process.execPath, [vitest, 'run', '--config', join(root, 'vitest.config.mjs'), '--root', root, ...(name != null ? ['-t', name] : []), ...files], { stdio: 'inherit', cwd: root })
process.exit(res.status ?? 1)
