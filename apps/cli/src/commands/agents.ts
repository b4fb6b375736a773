import { writeFile } from 'node:fs/promises'
import { Command, InvalidArgumentError, Option } from 'commander'
import { ApiClient } from '@overmind/node/client'
import { dataDirOption, jsonOption, parseDurationArg } from '../options.js'
import { ago, paint, rtt, shortId, status as paintStatus, table } from '../format.js'
import type { MeshAgent, QueuedRun, TaskView, WorkerView } from '@overmind/agents'
import type { RunProgress } from '@overmind/node/client'

export function agentsCommand (): Command {
  return new Command('agents')
    .description('list every agent known in the mesh: its host, load, free slots and round-trip time')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .addHelpText('after', `
Agents come from this node's config and from the heartbeats of the other
nodes (only agents with expose: mesh are announced).

JSON: an array of {name, host (peer id), self, expose, version, capabilities,
concurrency, freeSlots, queueDepth, load, rtt, status}.`)
    .action(async (opts: { dataDir: string, json?: boolean }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      const { agents } = await client.get<{ agents: MeshAgent[] }>('/v1/agents')
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(agents, null, 2) + '\n')
        return
      }
      if (agents.length === 0) {
        process.stdout.write('no agents known yet (declare some under agents: in overmind.config.yaml)\n')
        return
      }
      process.stdout.write(table(
        ['AGENT', 'HOST', 'STATUS', 'SLOTS FREE', 'QUEUED', 'LOAD', 'RTT', 'EXPOSE'],
        agents.map(a => [
          a.name,
          a.self ? 'this node' : shortId(a.host, 12),
          paintStatus(a.status),
          `${a.freeSlots}/${a.concurrency}`,
          String(a.queueDepth),
          a.load == null ? '-' : a.load.toFixed(2),
          a.self ? '-' : rtt(a.rtt),
          a.expose
        ])
      ) + '\n')
    })
}

interface RunOptions {
  dataDir: string
  json?: boolean
  node?: string
  deadline?: number
  as?: string
  skill?: string
  queueTtl?: number
  key?: string
}

export function runCommand (): Command {
  return new Command('run')
    .description('run an agent of the mesh, by name or by skill, and stream its output as it comes')
    .argument('[agent]', 'agent name (left out with --skill)')
    .argument('[input...]', 'input text (several words are joined with spaces; "-" or nothing reads stdin)')
    .addOption(new Option('-s, --skill <skill>', 'run any agent that declares this skill, on the least loaded host'))
    .addOption(dataDirOption())
    .addOption(new Option('-n, --node <peer-id>', 'run on this node only'))
    .addOption(new Option('--deadline <duration>', 'give up after this long, e.g. 30s (default runs.deadline)').argParser(parseDurationArg))
    .addOption(new Option('--as <agent>', 'the agent on this node that asks (for fair queueing and logs)'))
    .addOption(new Option('--queue-ttl <duration>', 'when no host is reachable now, keep the run this long (e.g. 10m) and deliver it when one is; `overmind queued` tells how it went').argParser(parseDurationArg))
    .addOption(new Option('--key <key>', 'name the run (at most 128 bytes): run again with the same key, a session agent\'s host answers with the output it journaled instead of running it twice'))
    .addOption(jsonOption())
    .addHelpText('after', `
The run goes to this node when it hosts the agent, otherwise to the best
host known from heartbeats or the DHT (with --skill: among every agent that
declares the skill, by free slots, queue depth, failures and round-trip time); a busy or failed host is followed by
the next one while no output has arrived. Ctrl-C cancels the run on its host.
Progress a session agent's worker reports is shown on stderr.

JSON: {output, host, frames, durationMs, exitCode, attempts}. On failure the
exit code is 1 and stderr names the error: AgentNotFoundError,
AllHostsBusyError, DeadlineExceededError, HostFailedError, RunRefusedError,
AgentFailedError, RunCancelledError.`)
    .action(async (first: string | undefined, rest: string[], opts: RunOptions) => {
      // with --skill, every word is input
      const agent = opts.skill != null ? undefined : first
      const words = opts.skill != null && first != null ? [first, ...rest] : rest
      if (agent == null && opts.skill == null) throw new InvalidArgumentError('name an agent, or a skill with --skill')
      const input = words.length === 0 || (words.length === 1 && words[0] === '-') ? await readStdin() : words.join(' ')
      const client = await ApiClient.forDataDir(opts.dataDir)
      const cancel = new AbortController()
      const onSignal = (): void => { cancel.abort() }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      let output = ''
      let endsWithNewline = true
      try {
        const body = JSON.stringify({ agent, skill: opts.skill, input, node: opts.node, deadline: opts.deadline, callerAgent: opts.as, queueTtl: opts.queueTtl, key: opts.key })
        for await (const line of client.lines('POST', '/v1/agents/run', (async function * () { yield new TextEncoder().encode(body) })(), cancel.signal) as AsyncGenerator<RunProgress>) {
          if ('output' in line) {
            if (opts.json === true) {
              output += line.output
            } else {
              process.stdout.write(line.output)
              endsWithNewline = line.output.endsWith('\n')
            }
          } else if ('progress' in line) {
            if (opts.json !== true) process.stderr.write(paint('gray', `… ${line.progress}\n`, process.stderr))
          } else if ('done' in line) {
            if (opts.json === true) {
              process.stdout.write(JSON.stringify({ output, ...line.done }, null, 2) + '\n')
            } else if (line.done.queued != null) {
              process.stderr.write(`no host is reachable now: kept as ${line.done.queued.id} until ${new Date(line.done.queued.expiresAt).toISOString()}; \`overmind queued ${line.done.queued.id}\` tells how it went\n`)
            } else {
              if (!endsWithNewline) process.stdout.write('\n')
              process.stderr.write(paint('gray', `${opts.skill != null && line.done.agent != null ? `${line.done.agent} ` : ''}ran on ${shortId(line.done.host, 12)} in ${line.done.durationMs} ms\n`, process.stderr))
            }
          } else if ('error' in line) {
            if (!endsWithNewline && opts.json !== true) process.stdout.write('\n')
            throw Object.assign(new Error(line.error.message), { remoteName: line.error.name })
          }
        }
      } catch (err: any) {
        if (cancel.signal.aborted) throw Object.assign(new Error('cancelled'), { remoteName: 'RunCancelledError' })
        throw err
      } finally {
        process.off('SIGINT', onSignal)
        process.off('SIGTERM', onSignal)
      }
    })
}

export function queuedCommand (): Command {
  return new Command('queued')
    .description('runs kept for hosts that are away (run --queue-ttl), and those that ended in the last day')
    .argument('[id]', 'one run: its state, and its output once it ran')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (id: string | undefined, opts: { dataDir: string, json?: boolean }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      const { runs } = await client.get<{ runs: QueuedRun[] }>(`/v1/runs/queued${id != null ? `/${encodeURIComponent(id)}` : ''}`)
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(id != null ? runs[0] : runs, null, 2) + '\n')
        return
      }
      if (id != null && runs[0]?.state === 'ok') {
        process.stdout.write(runs[0].output ?? '')
        return
      }
      process.stdout.write(runs.length === 0
        ? 'no runs kept for absent hosts\n'
        : table(['id', 'for', 'state', 'queued', 'until', 'host or error'], runs.map(r => [
          r.id,
          r.target.agent ?? `skill ${r.target.skill ?? ''}`,
          r.state,
          new Date(r.queuedAt).toISOString(),
          new Date(r.expiresAt).toISOString(),
          r.error != null ? `${r.error.name}: ${r.error.message}` : r.host != null ? shortId(r.host, 12) : ''
        ])) + '\n')
      if (id != null && runs[0]?.state !== 'ok') process.exitCode = runs[0]?.state === 'failed' || runs[0]?.state === 'expired' ? 1 : 0
    })
}

async function readStdin (): Promise<string> {
  if (process.stdin.isTTY === true) return ''
  const parts: Buffer[] = []
  for await (const part of process.stdin) parts.push(part)
  return Buffer.concat(parts).toString('utf8')
}

interface DelegationRow {
  agent: string
  peer: string
  direction: 'outgoing' | 'incoming'
  state: string
  expiresAt: number
  returned?: number
  stored?: number
}

/** `overmind agent export|delegate|recall|delegations`: moving an agent to another node for a time */
export function agentCommand (): Command {
  const agent = new Command('agent')
    .description('move one of this node\'s agents: export its package, lend it to a peer for a time, take it back')
  agent.command('export')
    .description('write the agent\'s package: its config without secrets and its top shared and federation chunks, signed by this node')
    .argument('<name>', 'an agent this node\'s config declares')
    .addOption(dataDirOption())
    .addOption(new Option('--top <k>', 'chunks to carry (0 to 100)').default(20).argParser(value => {
      const k = Number(value)
      if (!Number.isInteger(k) || k < 0 || k > 100) throw new InvalidArgumentError('a whole number from 0 to 100')
      return k
    }))
    .addOption(new Option('-o, --out <file>', 'write it to this file (default: stdout)'))
    .action(async (name: string, opts: { dataDir: string, top: number, out?: string }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      const pkg = await client.get<{ memory: unknown[] }>(`/v1/agents/${encodeURIComponent(name)}/package?top=${opts.top}`)
      const text = JSON.stringify(pkg, null, 2) + '\n'
      if (opts.out == null) {
        process.stdout.write(text)
      } else {
        await writeFile(opts.out, text, { mode: 0o600 })
        process.stderr.write(`wrote the package of ${name} with ${pkg.memory.length} chunks to ${opts.out}\n`)
      }
    })
  agent.command('delegate')
    .description('lend an agent to a peer for a time: runs go there, and what it writes comes back at the end (the peer\'s delegation config must allow it)')
    .argument('<name>', 'an agent this node\'s config declares')
    .addOption(dataDirOption())
    .requiredOption('--to <peer-id>', 'the node to host it')
    .addOption(new Option('--for <duration>', 'how long, e.g. 30m or 2h').argParser(parseDurationArg).makeOptionMandatory())
    .addOption(jsonOption())
    .action(async (name: string, opts: { dataDir: string, to: string, for: number, json?: boolean }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      const lent = await client.post<DelegationRow>(`/v1/agents/${encodeURIComponent(name)}/delegate`, { to: opts.to, duration: opts.for }, { timeout: 60_000 })
      if (opts.json === true) process.stdout.write(JSON.stringify(lent, null, 2) + '\n')
      else process.stdout.write(`${name} is on ${shortId(lent.peer, 12)} until ${new Date(lent.expiresAt).toISOString()}\n`)
    })
  agent.command('recall')
    .description('take a lent agent back before its time')
    .argument('<name>', 'the agent')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (name: string, opts: { dataDir: string, json?: boolean }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      const back = await client.post<DelegationRow>(`/v1/agents/${encodeURIComponent(name)}/recall`, {}, { timeout: 60_000 })
      if (opts.json === true) process.stdout.write(JSON.stringify(back, null, 2) + '\n')
      else process.stdout.write(`${name} is back (${back.returned ?? 0} chunks given back, ${back.stored ?? 0} stored here)\n`)
    })
  agent.command('delegations')
    .description('agents this node lent, and agents it hosts for others')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts: { dataDir: string, json?: boolean }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      const { outgoing, incoming } = await client.get<{ outgoing: DelegationRow[], incoming: DelegationRow[] }>('/v1/delegations')
      if (opts.json === true) {
        process.stdout.write(JSON.stringify({ outgoing, incoming }, null, 2) + '\n')
        return
      }
      const rows = [...outgoing, ...incoming]
      process.stdout.write(rows.length === 0
        ? 'no agents lent or hosted\n'
        : table(['agent', 'direction', 'node', 'state', 'until', 'given back'], rows.map(r => [
          r.agent,
          r.direction === 'outgoing' ? 'lent to' : 'hosted for',
          shortId(r.peer, 12),
          r.state,
          new Date(r.expiresAt).toISOString(),
          r.returned != null ? `${r.returned} (${r.stored ?? 0} stored)` : ''
        ])) + '\n')
    })
  return agent
}

/** `overmind tasks`: the runs of this node's session agents, and their workers */
export function tasksCommand (): Command {
  return new Command('tasks')
    .description('runs of this node\'s session agents (runner: session) waiting for workers or claimed, and the workers asking for them')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts: { dataDir: string, json?: boolean }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      const answer = await client.get<{ tasks: TaskView[], workers: WorkerView[] }>('/v1/tasks')
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(answer, null, 2) + '\n')
        return
      }
      if (answer.workers.length === 0) {
        process.stdout.write('no session agent has runs here, and no worker asked for any\n')
        return
      }
      process.stdout.write(table(['agent', 'waiting', 'claimed', 'workers ready', 'a worker last asked'], answer.workers.map(w => [
        w.agent, String(w.waiting), String(w.claimed), String(w.claimsWaiting), w.lastAskedAt != null ? ago(w.lastAskedAt) : paint('yellow', 'never')
      ])) + '\n')
      if (answer.tasks.length > 0) {
        process.stdout.write('\n' + table(['run', 'agent', 'state', 'attempt', 'caller', 'progress'], answer.tasks.map(t => [
          t.id, t.agent, t.state, String(t.attempt), shortId(t.caller, 12), t.progress ?? ''
        ])) + '\n')
      }
    })
}
