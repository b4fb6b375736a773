import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { ApiClient } from '@overmind/node'
import { BIN, NodeProcess, ROOT, json, overmind, setConfig, tempDir } from '../src/cli.js'
import { waitFor } from '../src/wait.js'
import type { MeshAgent } from '@overmind/agents'

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0']
const WORKER = join(ROOT, 'test', 'dist', 'src', 'mcp-worker.js')

/**
 * The agent every host runs: it notes that it started, says "working" at
 * once when its input is "early", and finishes after two seconds
 */
const JOB = 'echo $$ > "$0.running"; if [ "$1" = early ]; then echo working; fi; sleep 2; echo finished'

describe('overmind agents and overmind run on a mesh of node processes', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  const nodes: NodeProcess[] = []
  const dirs: string[] = []
  const peers: string[] = []

  beforeAll(async () => {
    dir = await tempDir()
    const init = async (i: number): Promise<void> => {
      const res = await overmind(['init', '--data-dir', dirs[i], '--mesh', 'runs-e2e', ...(i > 0 ? ['--mesh-key-file', join(dirs[0], 'mesh.key')] : [])])
      assert.equal(res.code, 0, res.stderr)
      await setConfig(dirs[i], {
        'heartbeat.interval': '500ms',
        'memory.embedder': 'hash',
        // A hosts agents other nodes lend it
        ...(i === 0 ? { 'delegation.accept': true } : {}),
        agents: i === 0
          ? []
          : [
              { name: 'job', runner: 'command', command: ['sh', '-c', JOB, join(dir.path, `host${i}`)], input: 'argument', concurrency: 2, skills: ['batch'] },
              // no process: agent sessions claim its runs through MCP
              ...(i === 3 ? [{ name: 'reviewer', runner: 'session', concurrency: 4 }] : [])
            ]
      })
    }
    for (let i = 0; i < 4; i++) dirs.push(join(dir.path, `n${i}`))
    await init(0)
    await Promise.all([1, 2, 3].map(init))
    nodes.push(await NodeProcess.start(dirs[0], LISTEN))
    const bootstrap = (await nodes[0].status()).addresses.find(a => a.includes('/tcp/') && !a.includes('/ws'))!
    nodes.push(...await Promise.all([1, 2, 3].map(async i => await NodeProcess.start(dirs[i], [...LISTEN, '--bootstrap', bootstrap]))))
    for (const n of nodes) peers.push((await n.status()).peerId)
    await waitFor(async () => {
      const { agents } = await (await ApiClient.forDataDir(dirs[0])).get<{ agents: MeshAgent[] }>('/v1/agents')
      return agents.filter(a => a.name === 'job').length === 3 ? true : undefined
    }, { timeout: 20_000, message: 'A never saw the three hosts of job' })
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.kill() }))
    await dir.remove()
  })

  it('lists every agent of the mesh with its host', async () => {
    const agents = await json<MeshAgent[]>(['agents', '--data-dir', dirs[0], '--json'])
    const hosts = agents.filter(a => a.name === 'job').map(a => a.host).sort()
    assert.deepEqual(hosts, peers.slice(1).sort())
    assert.ok(agents.filter(a => a.name === 'job').every(a => typeof a.freeSlots === 'number' && a.concurrency === 2))
  })

  it('prints the output and the host, and names the error on failure', async () => {
    const result = await json<{ output: string, host: string }>(['run', '--data-dir', dirs[0], 'job', 'plain', '--json'])
    assert.equal(result.output, 'finished\n')
    assert.ok(peers.slice(1).includes(result.host))
    const missing = await overmind(['run', '--data-dir', dirs[0], 'no-such-agent', 'x', '--json'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /AgentNotFoundError/)
  })

  it('runs by skill, spread over the hosts by load; a skill nobody offers fails naming it', async () => {
    // four at once from A: two slots a host, so they cannot all go to one
    const results = await Promise.all([0, 1, 2, 3].map(async () => await json<{ output: string, host: string }>(['run', '--data-dir', dirs[0], '--skill', 'batch', 'plain', '--json'])))
    assert.ok(results.every(r => r.output === 'finished\n' && peers.slice(1).includes(r.host)))
    const hosts = new Set(results.map(r => r.host))
    assert.ok(hosts.size >= 2, `all four ran on ${[...hosts].join(', ')}`)
    const missing = await overmind(['run', '--data-dir', dirs[0], '--skill', 'juggling', 'x'])
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /AgentNotFoundError: no node of the mesh offers an agent with the skill "juggling"/)
    const neither = await overmind(['run', '--data-dir', dirs[0]])
    assert.notEqual(neither.code, 0)
    assert.match(neither.stderr, /name an agent, or a skill with --skill/)
  })

  it('keeps a run no host can take with --queue-ttl, lists it with `overmind queued`, and fails it with QueueExpiredError when its time runs out', async () => {
    const kept = await overmind(['run', '--data-dir', dirs[0], '--queue-ttl', '2s', 'not-here-yet', 'x'])
    assert.equal(kept.code, 0, kept.stderr)
    const id = /kept as ([0-9a-f]{24})/.exec(kept.stderr)?.[1]
    assert.ok(id != null, kept.stderr)
    const listed = await json<Array<{ id: string, state: string }>>(['queued', '--data-dir', dirs[0], '--json'])
    assert.ok(listed.some(r => r.id === id))
    const expired = await waitFor(async () => {
      const res = await overmind(['queued', '--data-dir', dirs[0], id])
      return res.code === 1 ? res : undefined
    }, { timeout: 15_000, message: 'the queued run to expire' })
    assert.match(expired.stdout, /expired/)
    assert.match(expired.stdout, /QueueExpiredError/)
  })

  it('serves a session agent\'s runs from two callers with MCP workers: a worker killed mid-lease leaves its run to another, which completes it once', async () => {
    const spawned: ChildProcess[] = []
    const start = (args: string[]): { child: ChildProcess, out: () => string, err: () => string, closed: Promise<number | null> } => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      spawned.push(child)
      let out = ''
      let err = ''
      child.stdout?.on('data', d => { out += d })
      child.stderr?.on('data', d => { err += d })
      return { child, out: () => out, err: () => err, closed: new Promise(resolve => child.once('close', resolve)) }
    }
    const events = (worker: { out: () => string }): Array<{ event: string, id?: string, attempt?: number, input?: string }> =>
      worker.out().split('\n').filter(line => line !== '').map(line => JSON.parse(line))
    try {
      for (const i of [0, 1]) {
        await waitFor(async () => (await json<MeshAgent[]>(['agents', '--data-dir', dirs[i], '--json'])).some(a => a.name === 'reviewer') || undefined, { timeout: 15_000, message: `node ${i} to see the reviewer` })
      }
      // the first worker claims one run and then stops answering
      const hanging = start([WORKER, dirs[3], 'reviewer', 'hang'])
      const callers = [0, 1].map(i => start([BIN, 'run', '--data-dir', dirs[i], 'reviewer', `draft ${i}`, '--deadline', '60s']))
      const claimed = await waitFor(() => events(hanging).find(e => e.event === 'claimed'), { timeout: 20_000, message: () => `the first worker to claim a run: ${hanging.err()}` })
      hanging.child.kill('SIGKILL')
      await hanging.closed
      const tasks = async (): Promise<Array<{ id: string, state: string }>> =>
        (await (await ApiClient.forDataDir(dirs[3])).post<{ result: { tasks: Array<{ id: string, state: string }> } }>('/rpc', { jsonrpc: '2.0', id: 1, method: 'task.list', params: {} })).result.tasks
      // both runs wait on the host: one held by the dead worker's lease
      const held = await waitFor(async () => { const t = await tasks(); return t.length === 2 ? t : undefined }, { timeout: 10_000, message: 'both runs to reach the host' })
      assert.deepEqual(held.map(t => t.state).sort(), ['claimed', 'waiting'])
      const listed = await json<{ workers: Array<{ agent: string, waiting: number, claimed: number, lastAskedAt?: number }> }>(['tasks', '--data-dir', dirs[3], '--json'])
      assert.deepEqual(listed.workers.map(w => [w.agent, w.waiting, w.claimed, (w.lastAskedAt ?? 0) > 0]), [['reviewer', 1, 1, true]])
      // a second worker serves both: the free one at once, the other once the dead worker's lease ran out
      const serving = start([WORKER, dirs[3], 'reviewer', 'serve', '2'])
      const codes = await Promise.all(callers.map(async c => await c.closed))
      assert.deepEqual(codes, [0, 0], callers.map(c => c.err()).join('\n'))
      assert.equal(await serving.closed, 0, serving.err())
      for (const [i, c] of callers.entries()) {
        assert.equal(c.out(), `reviewed: draft ${i}\n`, 'the output once, from the worker that completed the run')
        assert.match(c.err(), new RegExp(`… reading draft ${i}`))
        assert.match(c.err(), /… writing the review/)
      }
      const completed = events(serving).filter(e => e.event === 'completed')
      assert.equal(completed.length, 2)
      const again = completed.find(e => e.id === claimed.id)
      assert.equal(again?.attempt, 2, 'the run the dead worker held was claimed again')
      // the host ran each once, and nothing waits
      const runs = await (await ApiClient.forDataDir(dirs[3])).get<{ recent: Array<{ role: string, agent: string, state: string }> }>('/v1/runs')
      assert.equal(runs.recent.filter(r => r.role === 'host' && r.agent === 'reviewer' && r.state === 'ok').length, 2)
      assert.deepEqual(await tasks(), [])
    } finally {
      for (const child of spawned) child.kill('SIGKILL')
    }
  })

  it('exports an agent\'s package and lends the agent to another node for a time with the CLI', async () => {
    const file = join(dir.path, 'reviewer.json')
    const exported = await overmind(['agent', 'export', 'reviewer', '--data-dir', dirs[3], '--out', file])
    assert.equal(exported.code, 0, exported.stderr)
    const pkg = JSON.parse(await readFile(file, 'utf8')) as { node: string, agent: { name: string, runner: string }, signed: string }
    assert.deepEqual([pkg.node, pkg.agent.name, pkg.agent.runner], [peers[3], 'reviewer', 'session'])
    const refused = await overmind(['agent', 'delegate', 'reviewer', '--data-dir', dirs[3], '--to', peers[1], '--for', '1m'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /not-allowed/)
    const lent = await json<{ peer: string, state: string }>(['agent', 'delegate', 'reviewer', '--data-dir', dirs[3], '--to', peers[0], '--for', '3s', '--json'])
    assert.deepEqual([lent.peer, lent.state], [peers[0], 'lent'])
    const hosted = await json<{ incoming: Array<{ agent: string, peer: string }> }>(['agent', 'delegations', '--data-dir', dirs[0], '--json'])
    assert.deepEqual(hosted.incoming.map(d => [d.agent, d.peer]), [['reviewer', peers[3]]])
    await waitFor(async () => {
      const { outgoing } = await json<{ outgoing: Array<{ agent: string, state: string }> }>(['agent', 'delegations', '--data-dir', dirs[3], '--json'])
      return outgoing.some(d => d.agent === 'reviewer' && d.state === 'back') || undefined
    }, { timeout: 20_000, message: 'the reviewer to come back' })
  })

  /**
   * Starts `overmind run` on A, waits for a host to start the job, and kills
   * that host. The run has a 30 s deadline: any answer other than
   * DeadlineExceededError came before it.
   */
  async function killHostDuringRun (input: string, waitForOutput: boolean): Promise<{ code: number | null, stdout: string, stderr: string, killed: number }> {
    for (const i of [1, 2, 3]) rmSync(join(dir.path, `host${i}.running`), { force: true })
    const child = spawn(process.execPath, [BIN, 'run', '--data-dir', dirs[0], 'job', input, '--deadline', '30s'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', d => { stdout += d })
    child.stderr.on('data', d => { stderr += d })
    const closed = new Promise<number | null>(resolve => child.once('close', resolve))
    const killed = await waitFor(() => {
      const i = [1, 2, 3].find(i => nodes[i].exited == null && existsSync(join(dir.path, `host${i}.running`)))
      return i != null && (!waitForOutput || stdout.includes('working')) ? i : undefined
    }, { timeout: 15_000, message: () => `no host started the job; run stderr: ${stderr}` })
    await nodes[killed].kill()
    const code = await closed
    return { code, stdout, stderr, killed }
  }

  it('retries on another host when the host dies before any output', async () => {
    const { code, stdout, stderr, killed } = await killHostDuringRun('quiet', false)
    assert.equal(code, 0, stderr)
    assert.equal(stdout, 'finished\n')
    assert.match(stderr, /ran on/)
    assert.notEqual(nodes[killed].exited, undefined)
    // the run finished on one of the hosts still alive, which started the job afresh
    assert.ok([1, 2, 3].some(i => i !== killed && existsSync(join(dir.path, `host${i}.running`))))
  })

  it('fails with HostFailedError before its deadline when the host dies after output was delivered', async () => {
    const { code, stdout, stderr } = await killHostDuringRun('early', true)
    assert.equal(code, 1)
    assert.equal(stdout, 'working\n')
    assert.match(stderr, /HostFailedError/)
  })

  it('keeps running by skill on the host left once the others were killed', async () => {
    const alive = [1, 2, 3].filter(i => nodes[i].exited == null)
    assert.ok(alive.length >= 1 && alive.length < 3, `${alive.length} hosts alive`)
    for (let n = 0; n < 2; n++) {
      const result = await json<{ output: string, host: string }>(['run', '--data-dir', dirs[0], '--skill', 'batch', 'plain', '--json', '--deadline', '30s'])
      assert.equal(result.output, 'finished\n')
      assert.ok(alive.map(i => peers[i]).includes(result.host))
    }
  })
})
