import { spawn, execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { ROOT, collect } from './cli.js'
import type { CliResult } from './cli.js'

export interface FreshCloneOptions {
  /** Run the demo with these extra arguments */
  demoArgs: string[]
  /** Run the test command with these arguments */
  testArgs: string[]
  /** Streams the commands' output here as it comes */
  echo?: NodeJS.WritableStream
  timeout?: number
}

export interface FreshCloneReport {
  clone: string
  machineNode: string
  demo: CliResult & { ms: number }
  test: CliResult & { ms: number }
}

/**
 * Clones the repository's committed state into a temporary folder and runs
 * the README's two commands there with the machine's own PATH (no toolchain
 * brought by an earlier setup), as a new user would.
 */
export async function freshCloneCheck (options: FreshCloneOptions): Promise<FreshCloneReport> {
  const base = await mkdtemp(join(tmpdir(), 'overmind-clone-'))
  const clone = join(base, 'overmind')
  try {
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], { stdio: 'ignore' })
    const env: Record<string, string | undefined> = {
      ...process.env,
      PATH: machinePath(),
      // this check runs inside the test suite: the clone's suite must not start it again
      OVERMIND_IN_FRESH_CLONE: '1',
      OVERMIND_DATA_DIR: undefined,
      npm_config_nodedir: undefined,
      NODE_OPTIONS: undefined,
      NODE_TEST_CONTEXT: undefined
    }
    const machineNode = execFileSync('node', ['--version'], { env, encoding: 'utf8' }).trim()
    const run = async (cmd: string, args: string[]): Promise<CliResult & { ms: number }> => {
      const started = Date.now()
      const child = spawn(join(clone, cmd), args, { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'] })
      if (options.echo != null) {
        child.stdout.pipe(options.echo, { end: false })
        child.stderr.pipe(options.echo, { end: false })
      }
      const res = await collect(child, options.timeout ?? 900_000)
      return { ...res, ms: Date.now() - started }
    }
    const demo = await run('scripts/demo', options.demoArgs)
    const test = demo.code === 0 ? await run('scripts/test', options.testArgs) : { code: null, signal: null, stdout: '', stderr: 'not run: the demo failed', ms: 0 }
    return { clone, machineNode, demo, test }
  } finally {
    await rm(base, { recursive: true, force: true })
  }
}

/** PATH without any toolchain folder a setup put first */
function machinePath (): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(dir => !dir.includes(`${join('.tools', 'node_modules')}`) && !dir.includes('node_modules/.bin'))
    .filter(dir => existsSync(dir))
    .join(delimiter)
}
