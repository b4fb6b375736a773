// How long the CLI takes to answer, against a bare `node -e ''` start on the
// same machine in the same run: `--help`, `--version`, and `status --json` /
// `peers --json` asking a running node (`overmind start` in its own process).
// Each command runs in a fresh process, as a user or a script runs it; the
// figures include Node's own start. Peak memory (maxRSS) is each process's own.
//
//   node test/dist/bench/cli.js [--quick] [--runs N]
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BIN, NodeProcess, overmind, setConfig, tempDir } from '../src/cli.js'
import { chart, fmt, percentile, table } from './report.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' }
  }
})
const RUNS = Number(values.runs ?? (values.quick ? 5 : 30))

const dir = await tempDir('overmind-bench-cli-')
const dataDir = join(dir.path, 'node')
// every measured process reports its own peak memory on exit, through the same preload
const preload = join(dir.path, 'rss.mjs')
await writeFile(preload, "process.on('exit', () => { process.stderr.write(`\\nmaxRSS ${process.resourceUsage().maxRSS}\\n`) })\n")

interface Figures { p50: number, p99: number, rssMB: number }

async function once (args: string[]): Promise<{ ms: number, rssMB: number }> {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--import', preload, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  const ms = performance.now() - t0
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}: ${stderr}`)
  const rss = /maxRSS (\d+)/.exec(stderr)
  return { ms, rssMB: Number(rss?.[1] ?? 0) / 1024 }
}

async function measure (args: string[]): Promise<Figures> {
  await once(args) // the first run fills the OS's file cache and V8's code cache
  const times: number[] = []
  let rss = 0
  for (let i = 0; i < RUNS; i++) {
    const { ms, rssMB } = await once(args)
    times.push(ms)
    rss = Math.max(rss, rssMB)
  }
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 50), p99: percentile(times, 99), rssMB: rss }
}

let node: NodeProcess | undefined
try {
  const init = await overmind(['init', '--data-dir', dataDir, '--mesh', 'bench-cli'])
  if (init.code !== 0) throw new Error(init.stderr)
  await setConfig(dataDir, { 'memory.embedder': 'hash' })
  node = await NodeProcess.start(dataDir, ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns'])

  const cases: Array<[string, string[]]> = [
    ["node -e ''", ['-e', '']],
    ['overmind --help', [BIN, '--help']],
    ['overmind --version', [BIN, '--version']],
    ['overmind status --json', [BIN, 'status', '--json', '--data-dir', dataDir]],
    ['overmind peers --json', [BIN, 'peers', '--json', '--data-dir', dataDir]]
  ]
  process.stdout.write(`each command in a fresh process, ${RUNS} runs after one warm-up; floor: a bare \`node -e ''\` (Node ${process.version})\n`)
  const figures: Array<[string, Figures]> = []
  for (const [name, args] of cases) figures.push([name, await measure(args)])
  const floor = figures[0][1]
  table('CLI start-to-exit (ms)', ['command', 'p50', 'p99', 'maxRSS MB', '× node p50'],
    figures.map(([name, f]) => [name, fmt(f.p50), fmt(f.p99), fmt(f.rssMB), `${(f.p50 / floor.p50).toFixed(2)}×`]))
  chart('p50 start-to-exit', figures.map(([name, f]) => [name, f.p50]), 'ms')
  process.stdout.write('goal: --help and status --json within 3× of a bare node start\n')
} finally {
  await node?.stop()
  await dir.remove()
}
