import { createReadStream } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import { ZONE_NAMES } from '@overmind/memory/zones'
import { Command, InvalidArgumentError, Option } from 'commander'
import { openMemoryAccess } from '../memory-access.js'
import { dataDirOption, jsonOption, parseDurationArg, parsePositiveInt } from '../options.js'
import { ago, shortId, table } from '../format.js'
import { progressBar } from '../progress.js'
import type { MemoryAccess } from '../memory-access.js'
import type { ChunkView } from '@overmind/memory'
import type { ZoneName } from '@overmind/memory/zones'

interface Common { dataDir: string, json?: boolean, agent?: string }

function zoneOption (help: string): Option {
  return new Option('-z, --zone <zone>', help).choices(ZONE_NAMES)
}

function agentOption (): Option {
  return new Option('-a, --agent <name>', 'the agent acting: owns private chunks it writes, and reads its own private chunks (default "default")')
}

function parseTags (value: string): string[] {
  return value.split(',').map(t => t.trim()).filter(t => t !== '')
}

function parseTime (value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value)
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`"${value}" is not a time (ms since the epoch or an ISO date)`)
  return ms
}

function parseWeight (value: string): number {
  const weight = Number(value)
  if (!(weight > 0 && weight <= 1)) throw new InvalidArgumentError(`"${value}" is not a weight above 0 and at most 1`)
  return weight
}

function parseSpread (value: string): number {
  if (!/^[0-2]$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a number of hops from 0 to 2`)
  return Number(value)
}

async function withMemory<T> (dataDir: string, fn: (memory: MemoryAccess) => Promise<T>): Promise<T> {
  const memory = await openMemoryAccess(dataDir)
  try {
    return await fn(memory)
  } finally {
    await memory.close()
  }
}

function print (json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json === true ? JSON.stringify(value, null, 2) + '\n' : text())
}

export function memoryCommand (): Command {
  const memory = new Command('memory')
    .description('store, find and forget knowledge in the federated memory')
    .addHelpText('after', `
Zones: private (one agent of this node; never leaves it), shared (every agent
of this node), federation (replicated to every node of the mesh).

The commands use the running node of the data dir when there is one, and open
its memory directly otherwise (federated search needs the running node).`)

  memory.addCommand(new Command('put')
    .description('store a chunk of knowledge; prints its id')
    .argument('<text...>', 'the text (several words are joined with spaces)')
    .addOption(dataDirOption())
    .addOption(zoneOption('zone of the chunk (default memory.defaultZone, normally federation)'))
    .addOption(agentOption())
    .option('-t, --tags <tags>', 'comma-separated tags', parseTags)
    .addOption(jsonOption())
    .action(async (words: string[], opts: Common & { zone?: ZoneName, tags?: string[] }) => {
      const chunk = await withMemory(opts.dataDir, async m => await m.put({ text: words.join(' '), zone: opts.zone, agent: opts.agent, tags: opts.tags }))
      print(opts.json, chunk, () => `${chunk.id}\n`)
    }))

  memory.addCommand(new Command('get')
    .description('show a chunk by id')
    .argument('<id>', 'chunk id')
    .addOption(dataDirOption())
    .addOption(agentOption())
    .addOption(jsonOption())
    .action(async (id: string, opts: Common) => {
      const chunk = await withMemory(opts.dataDir, async m => await m.get(id, opts.agent))
      print(opts.json, chunk, () => describe(chunk))
    }))

  memory.addCommand(new Command('search')
    .description('find chunks by meaning and words')
    .argument('<query...>', 'what to look for')
    .addOption(dataDirOption())
    .option('-k, --k <n>', 'number of results', parsePositiveInt, 10)
    .option('-f, --federated', 'also ask the other nodes of the mesh (needs the running node)')
    .option('--deadline <duration>', 'how long to wait for other nodes with --federated (default memory.queryDeadline)', parseDurationArg)
    .addOption(agentOption())
    .addOption(new Option('-z, --zone <zone...>', 'only these zones').choices(ZONE_NAMES))
    .option('-t, --tags <tags>', 'only chunks with all of these comma-separated tags', parseTags)
    .option('--from-agent <name...>', 'only chunks written by these agents')
    .option('--author <peerId...>', 'only chunks written on these nodes')
    .option('--since <time>', 'only chunks created at or after this time (ISO date or ms)', parseTime)
    .option('--until <time>', 'only chunks created at or before this time', parseTime)
    .option('--archived', 'archived chunks too (set aside by their author\'s prune rules)')
    .option('--spread <hops>', 'also follow links from the results, 1 or 2 hops (a linked chunk scores its source\'s score × weight × 0.5 a hop)', parseSpread)
    .addOption(jsonOption())
    .addHelpText('after', `
JSON: an array of results {id, text, score, similarity, lexical, confidence,
salience, uses, author (peer id), agent, zone, tags, createdAt, node (the node
that answered)}.`)
    .action(async (words: string[], opts: Common & { k: number, federated?: boolean, deadline?: number, zone?: ZoneName[], tags?: string[], fromAgent?: string[], author?: string[], since?: number, until?: number, spread?: number, archived?: boolean }) => {
      const answer = await withMemory(opts.dataDir, async m => await m.search({
        text: words.join(' '),
        k: opts.k,
        agent: opts.agent,
        zones: opts.zone,
        tags: opts.tags,
        agents: opts.fromAgent,
        authors: opts.author,
        since: opts.since,
        until: opts.until,
        federated: opts.federated,
        deadline: opts.deadline,
        spread: opts.spread,
        archived: opts.archived
      }))
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(answer.results, null, 2) + '\n')
        return
      }
      if (answer.results.length === 0) {
        process.stdout.write('no results\n')
      } else {
        const now = Date.now()
        process.stdout.write(table(['SCORE', 'ID', 'ZONE', 'AGENT', 'AUTHOR', 'AGE', 'TEXT'], answer.results.map(r => [
          r.score.toFixed(3), shortId(r.id, 12), r.zone, r.agent, shortId(r.author, 10), ago(r.createdAt, now), (r.via != null ? `↳ ${r.via.relation} of ${shortId(r.via.from, 10)}: ` : '') + truncate(r.text, 60)
        ])) + '\n')
      }
      for (const peer of answer.peers.filter(p => !p.ok)) {
        process.stderr.write(`peer ${shortId(peer.peer, 12)} did not answer: ${peer.error ?? 'unknown error'}\n`)
      }
    }))

  memory.addCommand(new Command('forget')
    .description('forget a chunk written on this node (a tombstone that every node honours)')
    .argument('<id>', 'chunk id')
    .addOption(dataDirOption())
    .addOption(agentOption())
    .addOption(jsonOption())
    .action(async (id: string, opts: Common) => {
      await withMemory(opts.dataDir, async m => { await m.forget(id, opts.agent) })
      print(opts.json, { id, forgotten: true }, () => `forgot ${id}\n`)
    }))

  memory.addCommand(new Command('feedback')
    .description('record that a task using these chunks succeeded or failed (moves their confidence)')
    .argument('<ids...>', 'chunk ids')
    .addOption(new Option('--success', 'the task succeeded').conflicts('failure'))
    .addOption(new Option('--failure', 'the task failed'))
    .addOption(dataDirOption())
    .addOption(agentOption())
    .addOption(jsonOption())
    .action(async (ids: string[], opts: Common & { success?: boolean, failure?: boolean }) => {
      if (opts.success !== true && opts.failure !== true) throw new InvalidArgumentError('say --success or --failure')
      const success = opts.success === true
      await withMemory(opts.dataDir, async m => { await m.feedback(ids, success, opts.agent) })
      print(opts.json, { ids, success }, () => `recorded ${success ? 'success' : 'failure'} for ${ids.length} chunk${ids.length === 1 ? '' : 's'}\n`)
    }))

  memory.addCommand(new Command('link')
    .description('record that one chunk relates to another (searches with --spread follow links)')
    .argument('<from>', 'chunk id the link starts from')
    .argument('<to>', 'chunk id it points to, in the same zone')
    .option('--relation <name>', 'how they relate, e.g. caused-by, fixed-by (default related)')
    .option('--weight <w>', 'how strong the link is, above 0 and at most 1 (default 1)', parseWeight)
    .addOption(dataDirOption())
    .addOption(agentOption())
    .addOption(jsonOption())
    .action(async (from: string, to: string, opts: Common & { relation?: string, weight?: number }) => {
      await withMemory(opts.dataDir, async m => { await m.link(from, to, { relation: opts.relation, weight: opts.weight, agent: opts.agent }) })
      const relation = opts.relation ?? 'related'
      print(opts.json, { from, to, relation, weight: opts.weight ?? 1 }, () => `linked ${from} → ${to} (${relation}, weight ${opts.weight ?? 1})\n`)
    }))

  memory.addCommand(new Command('signals')
    .description('knowledge several agents on several nodes reached on their own (convergence signals), newest first')
    .option('-n, --limit <n>', 'signals to show (default 100)', parsePositiveInt)
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts: Common & { limit?: number }) => {
      const { signals, total } = await withMemory(opts.dataDir, async m => await m.signals(opts.limit))
      print(opts.json, signals, () => signals.length === 0
        ? 'no convergence signals yet\n'
        : table(['raised', 'topic', 'agents', 'nodes', 'score', 'novelty', 'chunks'], signals.map(s => [
          ago(s.raisedAt),
          s.topic.length > 60 ? `${s.topic.slice(0, 59)}…` : s.topic,
          s.agents.map(a => `${a.agent}@${shortId(a.node)}`).join(' '),
          String(s.nodes.length),
          s.score.toFixed(2),
          s.novelty.toFixed(2),
          String(s.chunks.length)
        ])) + '\n' + (total > signals.length ? `(${total - signals.length} more: --limit)\n` : ''))
    }))

  memory.addCommand(new Command('consolidate')
    .description('run the consolidation pass now: link chunks used together and near-duplicates, apply the prune rules')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts: Common) => {
      const report = await withMemory(opts.dataDir, async m => await m.consolidate())
      print(opts.json, report, () => `consolidated in ${report.ms} ms: ${report.strengthened} links between chunks used together made or strengthened, ` +
        `${report.duplicates} near-duplicates linked to an older chunk (${report.scanned} chunks compared), ${report.pruned} chunks pruned\n`)
    }))

  memory.addCommand(new Command('import')
    .description('store every line of a JSONL file ({"text": …, "zone"?, "agent"?, "tags"?}), with progress')
    .argument('<file>', 'JSONL file, one chunk per line')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .addHelpText('after', `
Lines are stored in durable batches. With --json, one line per batch:
{"acknowledged": n, "total": lines} means the first n lines are stored and
survive a crash; the last line is {"done": true, "acknowledged": n} or
{"error": {...}, "line": n, "acknowledged": n}.`)
    .action(async (file: string, opts: Common) => {
      const total = await countLines(file)
      const bar = opts.json === true ? undefined : progressBar({ total, label: 'importing' })
      let last = { acknowledged: 0 } as any
      try {
        await withMemory(opts.dataDir, async m => {
          for await (const progress of m.import(createReadStream(file))) {
            last = progress
            if (opts.json === true) process.stdout.write(JSON.stringify({ ...progress, total }) + '\n')
            else bar?.update(progress.acknowledged)
          }
        })
      } catch (err: any) {
        // cut off (the node died, the connection broke): the lines acknowledged so far are stored
        last = { error: { name: err.name ?? 'Error', message: err.message }, line: last.acknowledged + 1, acknowledged: last.acknowledged }
        if (opts.json === true) process.stdout.write(JSON.stringify(last) + '\n')
      }
      bar?.done()
      if (last.error != null) {
        throw Object.assign(new Error(`${last.error.message} (stopped at line ${last.line} of ${total}; the ${last.acknowledged} lines before it are stored)`), { name: last.error.name })
      }
      if (opts.json !== true) process.stdout.write(`imported ${last.acknowledged} chunks from ${file}\n`)
    }))

  memory.addCommand(new Command('export')
    .description('print every chunk the agent may read as JSONL (re-importable)')
    .addOption(dataDirOption())
    .addOption(agentOption())
    .addOption(zoneOption('only this zone'))
    .option('-o, --output <file>', 'write to a file instead of stdout, with progress')
    .action(async (opts: Common & { zone?: ZoneName, output?: string }) => {
      const out = opts.output != null ? await open(opts.output, 'w') : undefined
      const bar = out != null ? progressBar({ label: 'exporting' }) : undefined
      let count = 0
      try {
        await withMemory(opts.dataDir, async m => {
          for await (const chunk of m.export({ agent: opts.agent, zone: opts.zone })) {
            const line = JSON.stringify(chunk) + '\n'
            if (out != null) await out.write(line)
            else if (!process.stdout.write(line)) await new Promise(resolve => process.stdout.once('drain', resolve))
            bar?.update(++count)
          }
        })
      } finally {
        await out?.close()
      }
      bar?.done()
      if (out != null) process.stderr.write(`exported ${count} chunks to ${opts.output}\n`)
    }))

  return memory
}

function describe (chunk: ChunkView): string {
  return [
    `id:         ${chunk.id}`,
    `zone:       ${chunk.zone}`,
    `agent:      ${chunk.agent}`,
    `author:     ${chunk.author}`,
    `created:    ${new Date(chunk.createdAt).toISOString()} (seq ${chunk.seq})`,
    `tags:       ${chunk.tags.join(', ') || '-'}`,
    `confidence: ${chunk.confidence.toFixed(2)} (${chunk.successes} successes, ${chunk.failures} failures)`,
    `salience:   ${chunk.salience.toFixed(2)} (${chunk.uses} uses)${chunk.archived ? ', archived' : ''}`,
    ...chunk.links.map(l => `link:       ${l.relation} → ${l.to}`),
    '',
    chunk.text,
    ''
  ].join('\n')
}

function truncate (text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ')
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`
}

async function countLines (file: string): Promise<number> {
  await stat(file)
  let count = 0
  let last = 10
  for await (const part of createReadStream(file)) {
    const bytes = part as Buffer
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) count++
    last = bytes[bytes.length - 1]
  }
  return last === 10 ? count : count + 1
}
