import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { AgentFailedError, CommandRunner, FunctionRunner, HttpChatRunner, createRunner } from '../src/index.js'
import type { Runner } from '../src/index.js'
import type { AddressInfo } from 'node:net'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

async function collect (runner: Runner, input: string, signal = new AbortController().signal): Promise<{ parts: string[], at: number[] }> {
  const parts: string[] = []
  const at: number[] = []
  for await (const part of runner.run(bytes(input), { signal })) {
    parts.push(text(part))
    at.push(Date.now())
  }
  return { parts, at }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('CommandRunner', () => {
  const dirs: string[] = []
  afterAll(async () => { await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) })) })

  it('feeds the input on stdin and returns stdout', async () => {
    const { parts } = await collect(new CommandRunner({ command: ['tr', 'a-z', 'A-Z'] }), 'hello mesh')
    assert.equal(parts.join(''), 'HELLO MESH')
  })

  it('passes the input as the last argument when asked', async () => {
    const { parts } = await collect(new CommandRunner({ command: ['printf', '%s|'], input: 'argument' }), 'one two')
    assert.equal(parts.join(''), 'one two|')
  })

  it('streams output as the program writes it', async () => {
    const started = Date.now()
    const { parts, at } = await collect(new CommandRunner({ command: ['sh', '-c', 'for i in 1 2 3; do echo $i; sleep 0.3; done'] }), '')
    assert.equal(parts.join(''), '1\n2\n3\n')
    assert.ok(parts.length >= 3, `expected separate parts, got ${JSON.stringify(parts)}`)
    // the first line arrives long before the program ends
    assert.ok(at[0] - started < at[at.length - 1] - started - 300)
  })

  it('fails with the exit code and the end of stderr', async () => {
    await assert.rejects(collect(new CommandRunner({ command: ['sh', '-c', 'echo broken >&2; exit 3'] }), ''), (err: any) => {
      assert.equal(err.name, AgentFailedError.name)
      assert.equal(err.exitCode, 3)
      assert.match(err.message, /exited with code 3: broken/)
      return true
    })
  })

  it('fails clearly when the program does not exist', async () => {
    await assert.rejects(collect(new CommandRunner({ command: ['/nonexistent/agent'] }), ''), /cannot start "\/nonexistent\/agent"/)
  })

  it('kills the program and its children when the run is cancelled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runner-'))
    dirs.push(dir)
    const pids = join(dir, 'pids')
    // a parent that starts a child, both sleeping; both write their pids first
    const script = `sleep 60 & echo $! >> ${pids}; echo $$ >> ${pids}; echo started; wait`
    const controller = new AbortController()
    const runner = new CommandRunner({ command: ['sh', '-c', script], killGrace: 500 })
    const run = collect(runner, '', controller.signal)
    for (let i = 0; i < 100 && (await readFile(pids, 'utf8').catch(() => '')).trim().split('\n').length < 2; i++) {
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const ids = (await readFile(pids, 'utf8')).trim().split('\n').map(Number)
    assert.equal(ids.length, 2)
    assert.ok(ids.every(alive))
    controller.abort(new Error('cancelled by test'))
    await assert.rejects(run, /cancelled by test/)
    for (let i = 0; i < 40 && ids.some(alive); i++) await new Promise(resolve => setTimeout(resolve, 50))
    assert.deepEqual(ids.filter(alive), [], 'no process of the run is left')
  })

  it('kills what the program left in the background when it exits', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'runner-'))
    dirs.push(dir)
    const pids = join(dir, 'pids')
    const { parts } = await collect(new CommandRunner({ command: ['sh', '-c', `sleep 60 >/dev/null 2>&1 & echo $! > ${pids}; echo done`] }), '')
    assert.equal(parts.join(''), 'done\n')
    const pid = Number((await readFile(pids, 'utf8')).trim())
    for (let i = 0; i < 40 && alive(pid); i++) await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(alive(pid), false)
  })
})

describe('FunctionRunner and builtins', () => {
  it('runs the builtin echo', async () => {
    const runner = createRunner({ name: 'echo', runner: 'builtin', builtin: '', command: [], input: 'stdin', cwd: '', env: {}, url: '', model: '', apiKey: '', system: '' })
    assert.equal((await collect(runner, 'same back')).parts.join(''), 'same back')
  })

  it('turns a thrown error into AgentFailedError', async () => {
    const runner = new FunctionRunner(async () => { throw new Error('nope') })
    await assert.rejects(collect(runner, ''), (err: any) => err.name === 'AgentFailedError' && /nope/.test(err.message))
  })
})

describe('HttpChatRunner', () => {
  it('streams the content deltas of an OpenAI-compatible endpoint', async () => {
    let body: any
    let auth: string | undefined
    const server = createServer((req, res) => {
      let data = ''
      req.on('data', c => { data += c })
      req.on('end', () => {
        body = JSON.parse(data)
        auth = req.headers.authorization
        res.writeHead(200, { 'content-type': 'text/event-stream' })
        const events = ['Hel', 'lo ', 'there'].map(c => ({ choices: [{ delta: { content: c } }] }))
        for (const e of events) res.write(`data: ${JSON.stringify(e)}\n\n`)
        res.end('data: [DONE]\n\n')
      })
    })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const runner = new HttpChatRunner({ url: `http://127.0.0.1:${port}/v1/`, model: 'm1', apiKey: 'k', system: 'be brief' })
      const { parts } = await collect(runner, 'hi')
      assert.deepEqual(parts, ['Hel', 'lo ', 'there'])
      assert.equal(body.model, 'm1')
      assert.equal(body.stream, true)
      assert.deepEqual(body.messages, [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }])
      assert.equal(auth, 'Bearer k')
    } finally {
      server.close()
    }
  })

  it('fails with the status of an endpoint that refuses', async () => {
    const server = createServer((_req, res) => { res.writeHead(401).end('{"error":"bad key"}') })
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      await assert.rejects(collect(new HttpChatRunner({ url: `http://127.0.0.1:${port}/v1`, model: 'm' }), 'x'), /answered 401: {"error":"bad key"}/)
    } finally {
      server.close()
    }
  })
})
