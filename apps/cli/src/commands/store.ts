import { rename } from 'node:fs/promises'
import { Command } from 'commander'
import { ApiClient } from '@overmind/node/client'
import { dataDirOption, jsonOption } from '../options.js'
import { progressBar } from '../progress.js'
import type { ProgressBar } from '../progress.js'
import type { StoreReport } from '@overmind/memory'

interface Options { dataDir: string, json?: boolean, standalone?: boolean }

/** A progress bar that appears with the first figures */
function progress (label: string, json?: boolean): { update(done: number, total: number): void, done(): void } {
  let bar: ProgressBar | undefined
  return {
    update (done, total) {
      if (json === true) return
      bar ??= progressBar({ label, total })
      bar.update(done)
    },
    done () { bar?.done() }
  }
}

/** libp2p's datastore (peer store, DHT records): LevelDB's files only, it holds nothing that cannot be learnt again */
async function datastoreProblem (path: string): Promise<string | undefined> {
  const { StorageError, checkStoreFolder, folderState } = await import('@overmind/memory')
  if (await folderState(path) !== 'store') return undefined
  try {
    await checkStoreFolder(path)
    return undefined
  } catch (err: any) {
    if (err instanceof StorageError) return err.message
    throw err
  }
}

async function refuseRunningNode (dataDir: string, what: string): Promise<void> {
  try {
    await ApiClient.forDataDir(dataDir)
  } catch (err: any) {
    if (err.name === 'NodeNotRunningError') return
    throw err
  }
  throw new Error(`a node is running on ${dataDir}: stop it before you ${what}`)
}

function describe (report: StoreReport, self: string, datastore: string | undefined): string {
  const lines: string[] = []
  lines.push(`memory store   ${report.path}`)
  lines.push(`entries        ${report.entries} read, ${report.invalidCount} failing their checks`)
  for (const { file, problem } of report.files) lines.push(`damaged file   ${file}: ${problem}`)
  for (const { key, problem } of report.invalid) lines.push(`invalid entry  ${key}: ${problem}`)
  if (report.invalidCount > report.invalid.length) lines.push(`               … and ${report.invalidCount - report.invalid.length} more`)
  if (report.danglingPositions > 0) lines.push(`log positions  ${report.danglingPositions} point to no valid entry`)
  if (report.unlogged > 0) lines.push(`log positions  ${report.unlogged} valid entries have none`)
  for (const gap of report.gaps) {
    const whose = gap.author === self ? 'this node\'s' : `${gap.author}'s`
    lines.push(`log gap        ${whose} ${gap.zone} log misses ${gap.missing} of its seqs up to ${gap.head}${gap.zone === 'private' ? '' : ' (peers that hold them send them back)'}`)
  }
  lines.push(`vector graph   ${report.graph}${report.graph === 'damaged' ? ' (rebuilt when the node starts)' : ''}`)
  if (datastore != null) lines.push(`datastore      ${datastore}`)
  return lines.join('\n') + '\n'
}

export function checkCommand (): Command {
  return new Command('check')
    .description('check the data dir\'s stores offline: LevelDB\'s files, every memory entry (id, encoding, signature), the logs and the vector graph')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .addHelpText('after', `
Nothing is changed: the memory store is read from a copy beside it. Exits 1
when something needs \`overmind repair\`. Log gaps in other nodes' logs are
normal (anti-entropy fills them); a gap in this node's own log is lost data.`)
    .action(async (opts: Options) => {
      const { openDataDir } = await import('@overmind/node/data-dir')
      const { checkStore } = await import('@overmind/memory')
      const dir = await openDataDir(opts.dataDir)
      // an Ed25519 key's string form is its peer id
      const self = dir.privateKey.publicKey.toString()
      const bar = progress('checking', opts.json)
      const report = await checkStore(dir.paths.memory, { onProgress: (done, total) => { bar.update(done, total) } })
      bar.done()
      const datastore = await datastoreProblem(dir.paths.datastore)
      const ok = report.ok && datastore == null
      if (opts.json === true) {
        process.stdout.write(JSON.stringify({ ok, memory: report, datastore: datastore ?? 'ok' }, null, 2) + '\n')
      } else {
        process.stdout.write(describe(report, self, datastore))
        process.stdout.write(ok ? 'no damage found\n' : `damage found: \`overmind repair --data-dir ${opts.dataDir}\` keeps every entry that verifies\n`)
      }
      if (!ok) process.exitCode = 1
    })
}

export function repairCommand (): Command {
  return new Command('repair')
    .description('repair the data dir\'s stores offline: keep every memory entry that verifies, rebuild the indexes, report what was lost')
    .addOption(dataDirOption())
    .option('--standalone', 'the node never shared its memory with peers: it takes writes at once (otherwise, after damage, only once a sync with a peer has brought back its own entries, so none of its seqs is used twice)')
    .addOption(jsonOption())
    .addHelpText('after', `
The memory folder is first copied beside it as it was (memory.backup-<time>).
LevelDB's repair salvages what its files still hold; entries that fail their
checks and log positions that point to nothing are removed; the vector graph
and the lexical index are rebuilt from the log. Entries of other nodes that
were lost come back from peers by anti-entropy once the node runs. A damaged
libp2p datastore (peer store, DHT records) is moved aside and starts empty.`)
    .action(async (opts: Options) => {
      const { openDataDir, openMemoryStore } = await import('@overmind/node')
      const { createStore, folderState, repairStore } = await import('@overmind/memory')
      const dir = await openDataDir(opts.dataDir)
      await refuseRunningNode(opts.dataDir, 'repair its stores')
      // an Ed25519 key's string form is its peer id
      const self = dir.privateKey.publicKey.toString()
      if (await folderState(dir.paths.memory) !== 'store') {
        // nothing to salvage: an empty store, which peers refill (this node's private zone is gone)
        await createStore(dir.paths.memory, { awaitingSync: opts.standalone !== true })
        process.stdout.write(opts.json === true
          ? JSON.stringify({ memory: { created: dir.paths.memory } }, null, 2) + '\n'
          : `memory store   ${dir.paths.memory} was missing: an empty one is created; peers send back the zones they replicate\n`)
        return
      }
      const bar = progress('checking', opts.json)
      const report = await repairStore(dir.paths.memory, { standalone: opts.standalone, onProgress: (done, total) => { bar.update(done, total) } })
      bar.done()
      const datastore = await datastoreProblem(dir.paths.datastore)
      let movedDatastore: string | undefined
      if (datastore != null) {
        movedDatastore = `${dir.paths.datastore}.damaged-${Date.now()}`
        await rename(dir.paths.datastore, movedDatastore)
      }
      // opened once with the node's embedder: the graph is built from the log and saved
      if (opts.json !== true) process.stderr.write('rebuilding the indexes…\n')
      const store = await openMemoryStore(dir.paths.memory, { config: dir.config, privateKey: dir.privateKey })
      let chunks: number
      try {
        await store.flushIndex()
        chunks = Object.values(store.stats().chunks).reduce((a, b) => a + b, 0)
      } finally {
        await store.close()
      }
      if (opts.json === true) {
        process.stdout.write(JSON.stringify({ memory: report, chunks, datastore: datastore ?? 'ok', movedDatastore }, null, 2) + '\n')
        return
      }
      process.stdout.write(describe(report, self, datastore))
      const repair = report.repair
      if (repair != null) {
        process.stdout.write([
          `backup         ${repair.backup}`,
          `removed        ${repair.removedEntries} invalid entries, ${repair.removedPositions} log positions; ${repair.addedPositions} positions restored`,
          ...(movedDatastore != null ? [`datastore      moved aside to ${movedDatastore}`] : []),
          `memory         ${chunks} chunks, indexes rebuilt`,
          ...(repair.awaitingSync ? ['writes         taken once the node has synced with a peer (entries of its own that peers hold come back first)'] : []),
          ''
        ].join('\n'))
      }
    })
}
