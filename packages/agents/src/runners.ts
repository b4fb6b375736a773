import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { isAbsolute, join } from 'node:path'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { AgentFailedError } from './errors.js'
import { SessionRunner } from './tasks.js'
import type { TaskBoard } from './tasks.js'

export interface RunOptions {
  /** Aborted on cancel, deadline or shutdown: the runner stops and throws the reason */
  signal: AbortSignal
  /** When the run's time is up, ms since the epoch */
  deadline?: number
  /** The node that asked (peer id) and its agent */
  caller?: string
  callerAgent?: string
  /** Names the run across requests of one caller (a queued run's id): a runner that journals answers a repeat from it */
  key?: string
  /** Tells the caller how the run goes, apart from its output */
  onProgress?(message: string): void
}

/**
 * Runs an agent once. Output is yielded as the agent produces it; the
 * generator returns when the agent finished successfully and throws an
 * `AgentFailedError` when it failed, or the signal's reason when aborted.
 */
export interface Runner {
  run(input: Uint8Array, options: RunOptions): AsyncGenerator<Uint8Array, RunnerExit>
  /**
   * False while a run could not start even with a free slot (a session agent
   * no worker asks for): the host then advertises no free slot, and callers
   * try hosts that can serve first
   */
  ready?(): boolean
}

export interface RunnerExit {
  /** Exit status of a child process */
  exitCode?: number
}

/** An in-process agent: output as one value, or as a stream of parts */
export type AgentFunction = (input: Uint8Array, options: RunOptions) =>
  AsyncIterable<Uint8Array | string> | Promise<Uint8Array | string>

/** How an agent declared in the config runs (the shape of `agents[]` in `overmind.config.yaml`) */
export interface RunnerConfig {
  name: string
  runner: 'command' | 'http' | 'builtin' | 'session'
  command: string[]
  input: 'stdin' | 'argument'
  cwd: string
  env: Record<string, string>
  url: string
  model: string
  apiKey: string
  system: string
  builtin: string
}

/** Functions every node can host with `runner: builtin` */
export const BUILTINS: Record<string, AgentFunction> = {
  echo: async (input) => input
}

export interface RunnerContext {
  /** Relative `cwd`s are resolved against it */
  dataDir?: string
  /** In-process functions by name, besides the builtins */
  functions?: Record<string, AgentFunction>
  /** Where the runs of `runner: session` agents wait for workers */
  tasks?: TaskBoard
}

/** The runner an agent's config asks for */
export function createRunner (config: RunnerConfig, context: RunnerContext = {}): Runner {
  if (config.runner === 'command') {
    const cwd = config.cwd === '' ? context.dataDir : isAbsolute(config.cwd) || context.dataDir == null ? config.cwd : join(context.dataDir, config.cwd)
    return new CommandRunner({ command: config.command, input: config.input, cwd, env: config.env })
  }
  if (config.runner === 'http') {
    return new HttpChatRunner({ url: config.url, model: config.model, apiKey: config.apiKey, system: config.system })
  }
  if (config.runner === 'session') {
    if (context.tasks == null) throw new Error(`agent "${config.name}" is a session agent, and this node has no task board`)
    return new SessionRunner(context.tasks, config.name)
  }
  const name = config.builtin === '' ? config.name : config.builtin
  const fn = context.functions?.[name] ?? BUILTINS[name]
  if (fn == null) throw new Error(`no builtin agent function named "${name}"`)
  return new FunctionRunner(fn)
}

/** Runs an in-process function */
export class FunctionRunner implements Runner {
  constructor (private readonly fn: AgentFunction) {}

  async * run (input: Uint8Array, options: RunOptions): AsyncGenerator<Uint8Array, RunnerExit> {
    options.signal.throwIfAborted()
    let result: AsyncIterable<Uint8Array | string> | Uint8Array | string
    try {
      result = await this.fn(input, options)
    } catch (err: any) {
      throw options.signal.aborted ? options.signal.reason : new AgentFailedError(err.message ?? String(err))
    }
    if (typeof result === 'string' || result instanceof Uint8Array) {
      yield bytes(result)
      return {}
    }
    try {
      for await (const part of result) {
        options.signal.throwIfAborted()
        yield bytes(part)
      }
    } catch (err: any) {
      throw options.signal.aborted ? options.signal.reason : err instanceof AgentFailedError ? err : new AgentFailedError(err.message ?? String(err))
    }
    return {}
  }
}

export interface CommandRunnerInit {
  /** Program and arguments */
  command: string[]
  /** The input goes to stdin, or is appended as the last argument */
  input?: 'stdin' | 'argument'
  cwd?: string
  env?: Record<string, string>
  /** Time between SIGTERM and SIGKILL of the process group when a run is stopped @default 2000 */
  killGrace?: number
}

/** Keeps this much of stderr for the error message of a failed run */
const STDERR_TAIL = 2048

/**
 * Runs a program per run. The program gets its own process group, so a
 * cancelled or timed-out run ends the program and everything it started;
 * the group is also killed when the program exits, so nothing it left in
 * the background survives the run.
 */
export class CommandRunner implements Runner {
  private readonly init: CommandRunnerInit

  constructor (init: CommandRunnerInit) {
    if (init.command.length === 0) throw new Error('a command runner needs a program to run')
    this.init = init
  }

  async * run (input: Uint8Array, options: RunOptions): AsyncGenerator<Uint8Array, RunnerExit> {
    const { signal } = options
    signal.throwIfAborted()
    const [program, ...args] = this.init.command
    const asArgument = this.init.input === 'argument'
    const child = spawn(program, asArgument ? [...args, uint8ArrayToString(input)] : args, {
      cwd: this.init.cwd,
      env: { ...process.env, ...this.init.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      // a new process group: killing -pid reaches the program's children too
      detached: true
    })
    // `once` rejects when the program cannot be started (ENOENT, EACCES)
    const exited = once(child, 'close').then(([code, sig]) => ({ code: code as number | null, sig: sig as string | null, err: undefined }), (err: Error) => ({ code: null, sig: null, err }))
    let stderr = ''
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (text: string) => { stderr = (stderr + text).slice(-STDERR_TAIL) })
    // a program that does not read its input must not fail the run
    child.stdin.on('error', () => {})
    child.stdin.end(asArgument ? undefined : input)

    let term: ReturnType<typeof setTimeout> | undefined
    const stop = (): void => {
      killGroup(child.pid, 'SIGTERM')
      term = setTimeout(() => { killGroup(child.pid, 'SIGKILL') }, this.init.killGrace ?? 2_000)
      term.unref()
    }
    signal.addEventListener('abort', stop, { once: true })
    try {
      for await (const chunk of child.stdout) {
        yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      }
      const { code, sig, err } = await exited
      signal.throwIfAborted()
      if (err != null) {
        throw new AgentFailedError(`cannot start "${program}": ${err.message}`)
      }
      if (code !== 0) {
        const detail = stderr.trim() === '' ? '' : `: ${stderr.trim().split('\n').slice(-3).join(' | ')}`
        throw new AgentFailedError(`"${program}" ${code == null ? `was killed by ${sig ?? 'a signal'}` : `exited with code ${code}`}${detail}`, code ?? undefined)
      }
      return { exitCode: 0 }
    } finally {
      signal.removeEventListener('abort', stop)
      clearTimeout(term)
      // whatever the program left running in its group ends with the run
      killGroup(child.pid, 'SIGKILL')
      child.stdout.destroy()
      child.stderr.destroy()
    }
  }
}

function killGroup (pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid == null) return
  try {
    process.kill(-pid, sig)
  } catch {
    // the group is already gone
  }
}

export interface HttpChatRunnerInit {
  /** Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:11434/v1 */
  url: string
  model: string
  apiKey?: string
  /** System prompt sent before the input */
  system?: string
}

/**
 * Sends the input as one user message to an OpenAI-compatible
 * `/chat/completions` endpoint with `stream: true`, and yields the content
 * deltas as they arrive.
 */
export class HttpChatRunner implements Runner {
  private readonly init: HttpChatRunnerInit

  constructor (init: HttpChatRunnerInit) {
    this.init = init
  }

  async * run (input: Uint8Array, options: RunOptions): AsyncGenerator<Uint8Array, RunnerExit> {
    const { signal } = options
    const messages = []
    if (this.init.system != null && this.init.system !== '') messages.push({ role: 'system', content: this.init.system })
    messages.push({ role: 'user', content: uint8ArrayToString(input) })
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' }
    if (this.init.apiKey != null && this.init.apiKey !== '') headers.authorization = `Bearer ${this.init.apiKey}`
    const url = `${this.init.url.replace(/\/+$/, '')}/chat/completions`
    let res: Response
    try {
      res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ model: this.init.model, stream: true, messages }), signal })
    } catch (err: any) {
      throw signal.aborted ? signal.reason : new AgentFailedError(`cannot reach ${url}: ${err.cause?.message ?? err.message}`)
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '')
      throw new AgentFailedError(`${url} answered ${res.status}: ${text.slice(0, 300)}`)
    }
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      // an endpoint that ignores stream: true answers with one completion
      const body = await res.json() as any
      const content = body?.choices?.[0]?.message?.content
      if (typeof content !== 'string') throw new AgentFailedError(`${url} answered without choices[0].message.content`)
      yield uint8ArrayFromString(content)
      return {}
    }
    try {
      for await (const data of serverSentEvents(res.body)) {
        if (data === '[DONE]') break
        let event: any
        try {
          event = JSON.parse(data)
        } catch {
          throw new AgentFailedError(`${url} sent an event that is not JSON: ${data.slice(0, 100)}`)
        }
        if (event.error != null) throw new AgentFailedError(`${url}: ${event.error.message ?? JSON.stringify(event.error)}`)
        const delta = event.choices?.[0]?.delta?.content
        if (typeof delta === 'string' && delta !== '') yield uint8ArrayFromString(delta)
      }
    } catch (err: any) {
      throw signal.aborted ? signal.reason : err instanceof AgentFailedError ? err : new AgentFailedError(`${url}: ${err.message}`)
    }
    return {}
  }
}

/** The `data` of each server-sent event of a response body */
async function * serverSentEvents (body: ReadableStream<Uint8Array> | null): AsyncGenerator<string> {
  if (body == null) return
  const decoder = new TextDecoder()
  let buffer = ''
  let data: string[] = []
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true })
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '')
      buffer = buffer.slice(nl + 1)
      if (line === '') {
        if (data.length > 0) yield data.join('\n')
        data = []
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''))
      }
    }
  }
  if (data.length > 0) yield data.join('\n')
}

function bytes (value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? uint8ArrayFromString(value) : value
}
