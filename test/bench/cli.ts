// How long the CLI takes to answer, against a bare `node -e ''` start on the
// same machine in the same run: `--help`, `--version`, and `status --json` /
// `peers --json` asking a running node (`overmind start` in its own process).
// Each command runs in a fresh process, as a user or a script runs it; the
// figures include Node's own start. Peak memory (maxRSS) is each process's own.
// Then `overmind start` itself: time until the node says it started, and the
// CPU its process used by then, against a bare js-libp2p node (TCP, Noise,
// yamux: bare-node.js) started the same way, from the bundle the CLI runs as
// and from its compiled modules (apps/cli/dist/src/bin.js).
//
//   node test/dist/bench/cli.js [--quick] [--runs N]
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { BIN, NodeProcess, ROOT, overmind, setConfig, tempDir } from '../src/cli.js'
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
await writeFile(preload, [
  "process.on('exit', () => { const u = process.resourceUsage(); process.stderr.write(`\\nmaxRSS ${u.maxRSS}\\n`) })",
  // a node started: its CPU so far (every thread), once
  "process.on('SIGUSR2', () => { const u = process.resourceUsage(); process.stderr.write(`\\ncpuMs ${(u.userCPUTime + u.systemCPUTime) / 1000}\\n`) })",
  ''
].join('\n'))

interface Figures { p50: number, p99: number, rssMB: number }

/** A node started in a process of its own (`node ARGS`): ms until it logs that it started, and its CPU by then */
async function startOnce (args: string[]): Promise<{ ms: number, cpuMs: number }> {
  const t0 = performance.now()
  const child = spawn(process.execPath, ['--import', preload, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  const closed = new Promise<number | null>(resolve => child.once('close', resolve))
  const started = await new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
      if (stderr.includes('node started') && !stderr.includes('cpuMs')) {
        const ms = performance.now() - t0
        child.kill('SIGUSR2')
        resolve(ms)
      }
    })
    void closed.then(code => { reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr}`)) })
  })
  await new Promise(resolve => setTimeout(resolve, 100))
  child.kill('SIGTERM')
  await closed
  const cpu = /cpuMs ([\d.]+)/.exec(stderr)
  if (cpu == null) throw new Error(`no CPU figure from node ${args.join(' ')}: ${stderr}`)
  return { ms: started, cpuMs: Number(cpu[1]) }
}

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

  // a node's own start, bundled and from the compiled modules, against a bare libp2p node's
  const startDir = join(dir.path, 'start')
  if ((await overmind(['init', '--data-dir', startDir, '--mesh', 'bench-cli'])).code !== 0) throw new Error('init failed')
  await setConfig(startDir, { 'memory.embedder': 'hash' })
  const STARTS = values.quick ? 2 : 10
  // the floor: a bare js-libp2p node (TCP, Noise, yamux) in a process of its own
  const start = (bin: string): string[] => [bin, 'start', '--data-dir', startDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']
  const starts: Array<[string, string[], { ms: number[], cpuMs: number[] }]> = [
    ['bare js-libp2p node: TCP, Noise, yamux (floor)', [fileURLToPath(new URL('./bare-node.js', import.meta.url))], { ms: [], cpuMs: [] }],
    ['overmind start, bundle (apps/cli/dist/bundle/bin.js)', start(BIN), { ms: [], cpuMs: [] }],
    ['overmind start, compiled modules (apps/cli/dist/src/bin.js)', start(join(ROOT, 'apps', 'cli', 'dist', 'src', 'bin.js')), { ms: [], cpuMs: [] }]
  ]
  for (const [, args] of starts) await startOnce(args) // warm-up: file cache and code cache
  for (let i = 0; i < STARTS; i++) {
    // interleaved, so all see the same machine
    for (const [, args, f] of starts) {
      const { ms, cpuMs } = await startOnce(args)
      f.ms.push(ms)
      f.cpuMs.push(cpuMs)
    }
  }
  const median = (values: number[]): number => percentile([...values].sort((a, b) => a - b), 50)
  const floorCpu = median(starts[0][2].cpuMs)
  table(`A node's start until it says so, in a process of its own (${STARTS} starts each, interleaved)`, ['node', 'p50 ms', 'CPU ms p50 (all threads)', '× floor CPU'],
    starts.map(([name, , f]) => [name, fmt(median(f.ms)), fmt(median(f.cpuMs)), `${(median(f.cpuMs) / floorCpu).toFixed(2)}×`]))
  chart('CPU to start a node (p50)', starts.map(([name, , f]) => [name.split(':')[0].split(' (')[0], median(f.cpuMs)]), 'ms')
} finally {
  await node?.stop()
  await dir.remove()
}
