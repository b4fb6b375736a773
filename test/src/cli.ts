import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Queue } from '@libp2p/utils'
import { ApiClient } from '@overmind/node'
import { updateConfigFile } from '@overmind/config'
import { waitFor } from './wait.js'
import type { NodeStatus, PeerReport } from '@overmind/node'
import type { ChildProcess } from 'node:child_process'

/** The repository root */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The built CLI, run with the Node running the tests */
export const BIN = join(ROOT, 'apps', 'cli', 'dist', 'bundle', 'bin.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `overmind ARGS` to completion */
export async function overmind (args: string[], options: { env?: Record<string, string | undefined>, timeout?: number } = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] })
  return await collect(child, options.timeout ?? 60_000)
}

/** `overmind sim` runs started by this process: a simulation mostly waits on its scenario's clock, so two share the machine */
const simulations = new Queue<CliResult>({ concurrency: 2 })

/** Runs `overmind sim ARGS` to completion, at most two at a time in this process */
export async function overmindSim (args: string[]): Promise<CliResult> {
  return await simulations.add(async () => await overmind(['sim', ...args], { timeout: 240_000 }))
}

export async function collect (child: ChildProcess, timeout: number): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`process did not finish within ${timeout} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeout)
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

export async function tempDir (prefix = 'overmind-test-'): Promise<{ path: string, remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: async () => { await rm(path, { recursive: true, force: true }) } }
}

/** Sets config keys in a data dir's overmind.config.yaml, keeping its comments */
export async function setConfig (dataDir: string, values: Record<string, unknown>): Promise<void> {
  await updateConfigFile(join(dataDir, 'overmind.config.yaml'), values)
}

/** A node daemon started with `overmind start` */
export class NodeProcess {
  stderr = ''
  exited?: { code: number | null, signal: NodeJS.Signals | null }
  private client?: ApiClient
  private readonly exitPromise: Promise<void>

  private constructor (readonly dataDir: string, readonly child: ChildProcess) {
    child.stderr?.on('data', (d: Buffer) => { this.stderr += d.toString() })
    child.stdout?.resume()
    this.exitPromise = new Promise(resolve => {
      child.once('close', (code, signal) => {
        this.exited = { code, signal }
        resolve()
      })
    })
  }

  /** Spawns `overmind start --data-dir DIR ...args` and waits until its API answers */
  static async start (dataDir: string, args: string[] = [], options: { env?: Record<string, string> } = {}): Promise<NodeProcess> {
    const child = spawn(process.execPath, [BIN, 'start', '--data-dir', dataDir, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    const node = new NodeProcess(dataDir, child)
    await waitFor(async () => {
      if (node.exited != null) {
        throw new Error(`node exited with ${node.exited.signal ?? node.exited.code}: ${node.stderr}`)
      }
      await (await ApiClient.forDataDir(dataDir)).get('/v1/status')
      return true
    }, { timeout: 30_000, interval: 250, message: () => `node ${dataDir} to start; stderr: ${node.stderr}` }).catch(async err => {
      child.kill('SIGKILL')
      throw err
    })
    return node
  }

  /** `overmind status --json`, through the CLI as a user runs it */
  async cliStatus (): Promise<NodeStatus> {
    return await json(['status', '--data-dir', this.dataDir, '--json'])
  }

  /** `overmind peers --json`, through the CLI as a user runs it */
  async cliPeers (): Promise<PeerReport[]> {
    return await json(['peers', '--data-dir', this.dataDir, '--json'])
  }

  /** The same answers straight from the local API: cheaper when polling */
  async status (): Promise<NodeStatus> {
    return await (await this.api()).get<NodeStatus>('/v1/status')
  }

  async peers (): Promise<PeerReport[]> {
    return await (await this.api()).get<PeerReport[]>('/v1/peers')
  }

  private async api (): Promise<ApiClient> {
    this.client ??= await ApiClient.forDataDir(this.dataDir)
    return this.client
  }

  /** SIGTERM, then wait; SIGKILL when it does not exit in time */
  async stop (timeout = 15_000): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    if (this.exited == null) {
      this.child.kill('SIGTERM')
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeout)
      await this.exitPromise
      clearTimeout(timer)
    }
    return this.exited!
  }

  async kill (): Promise<void> {
    if (this.exited == null) {
      this.child.kill('SIGKILL')
      await this.exitPromise
    }
  }
}

export async function json<T> (args: string[]): Promise<T> {
  const res = await overmind(args)
  if (res.code !== 0) {
    throw new Error(`overmind ${args.join(' ')} exited with ${res.code}: ${res.stderr}`)
  }
  return JSON.parse(res.stdout)
}
