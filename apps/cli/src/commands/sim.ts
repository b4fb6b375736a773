import { constants } from 'node:fs'
import { access, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { Command, InvalidArgumentError, Option } from 'commander'
import { jsonOption, parseDurationArg, parsePositiveInt } from '../options.js'
import { table } from '../format.js'
import type { SimReport } from '@overmind/sim'

interface Options { nodes?: number, duration?: number, seed?: number, transport?: 'tcp' | 'memory', threads?: number | 'auto', json?: boolean, schema?: boolean, html?: string }

function parseSeed (value: string): number {
  const seed = Number(value)
  if (!Number.isInteger(seed) || seed < 0) throw new InvalidArgumentError(`"${value}" is not a seed (a whole number ≥ 0)`)
  return seed
}

function threadsArg (value: string): number | 'auto' {
  if (value === 'auto') return value
  const threads = Number(value)
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) throw new InvalidArgumentError(`"${value}" is not a number of threads (1 to 64, or auto)`)
  return threads
}

type Sim = typeof import('@overmind/sim')

function describe (report: SimReport, { reportRows, expectationRows }: Sim): string {
  const lines = [table(['FIGURE', 'VALUE'], reportRows(report))]
  if (report.expectations.length > 0) lines.push(table(['EXPECT', 'WANTED', 'GOT', ''], expectationRows(report)))
  return lines.join('\n\n') + '\n'
}

export function simCommand (): Command {
  return new Command('sim')
    .description('simulate a mesh on this machine from a scenario file: nodes, topology, workload and faults on a schedule, then a report')
    .argument('[scenario]', 'the scenario file (YAML; examples in scenarios/)')
    .option('--schema', 'print the scenario format as a JSON Schema and exit')
    .option('-n, --nodes <count>', 'number of nodes, instead of the file\'s', parsePositiveInt)
    .option('--duration <duration>', 'how long the workload runs, instead of the file\'s (e.g. 30s)', parseDurationArg)
    .option('--seed <seed>', 'seed of the workload and fault schedule, instead of the file\'s', parseSeed)
    .addOption(new Option('--transport <transport>', 'in-process: how the nodes reach each other, instead of the file\'s').choices(['tcp', 'memory']))
    .addOption(new Option('--threads <n>', 'in-process: worker threads the nodes are spread over ("auto": one per core from 100 nodes), instead of the file\'s').argParser(threadsArg))
    .option('--html <file>', 'also write the report as one self-contained HTML page with charts (no network needed to view it)')
    .addOption(jsonOption())
    .addHelpText('after', `
The same scenario and seed give the same workload and fault schedule (the
report prints its digest). Exits 1 when an expectation of the scenario's
"expect:" block fails, so scenarios can run in CI.`)
    .action(async (file: string | undefined, opts: Options, command: Command) => {
      // loaded here: the simulator is not part of every command
      const sim = await import('@overmind/sim')
      const { loadScenario, runScenario, scenarioJsonSchema, renderHtml } = sim
      if (opts.schema === true) {
        process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n')
        return
      }
      if (file == null) command.error('error: missing argument \'scenario\'', { exitCode: 2 })
      const scenario = await loadScenario(file, { nodes: opts.nodes, duration: opts.duration, seed: opts.seed, transport: opts.transport, threads: opts.threads })
      // a report that cannot be written should fail now, not after the run
      if (opts.html != null) {
        const dir = dirname(resolve(opts.html))
        await access(dir, constants.W_OK).catch(() => { throw new Error(`cannot write the HTML report to ${opts.html}: ${dir} is not a folder this user can write to`) })
      }
      const tty = process.stderr.isTTY === true
      const report = await runScenario(scenario, {
        onProgress: p => {
          const line = `${scenario.name}: ${Math.round(p.elapsed / 1000)}/${Math.round(p.duration / 1000)} s, ${p.up}/${p.nodes} nodes up, ${p.faults} faults applied, ${p.writes} writes${p.runs > 0 ? `, ${p.runs} runs` : ''}`
          process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`)
        }
      })
      if (tty) process.stderr.write('\n')
      process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + '\n' : describe(report, sim))
      if (opts.html != null) {
        await writeFile(opts.html, renderHtml(report)).catch((err: Error) => {
          throw new Error(`cannot write the HTML report to ${opts.html}: ${err.message}`, { cause: err })
        })
        process.stderr.write(`${scenario.name}: HTML report in ${opts.html}\n`)
      }
      if (!report.ok) process.exitCode = 1
    })
}
