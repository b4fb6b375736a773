import { Command, InvalidArgumentError } from 'commander'
import { jsonOption, parseDurationArg, parsePositiveInt } from '../options.js'
import { table } from '../format.js'
import type { LinkReport, SimReport } from '@overmind/sim'

interface Options { nodes?: number, duration?: number, seed?: number, json?: boolean, schema?: boolean }

function parseSeed (value: string): number {
  const seed = Number(value)
  if (!Number.isInteger(seed) || seed < 0) throw new InvalidArgumentError(`"${value}" is not a seed (a whole number ≥ 0)`)
  return seed
}

const ms = (value: number | null): string => value == null ? '–' : value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value} ms`

/** "7 direct, 6 relayed (none between homes); 1 relay, 6 private" */
function describeLinks (links: LinkReport): string {
  const roles = Object.entries(links.roles).filter(([, n]) => n > 0).map(([role, n]) => `${n} ${role}`).join(', ')
  const homes = links.roles.private > 0 ? ` (${links.directBetweenHomes === 0 ? 'none' : links.directBetweenHomes} direct between homes)` : ''
  return `${links.direct} direct, ${links.relayed} relayed${homes}; roles: ${roles}`
}

function describe (report: SimReport, topology: string): string {
  const rows: string[][] = [
    ['nodes', `${report.nodes} (${topology}, ${report.mode}); every peer table full ${report.formationMs == null ? 'not within 60 s' : `${ms(report.formationMs)} after the last start`}`],
    ['schedule', `${report.schedule.writes} writes, ${report.schedule.faults} faults over ${ms(report.durationMs)}; seed ${report.seed}, digest ${report.schedule.digest.slice(0, 16)}`],
    ['writes', `${report.writes.done} acknowledged, ${report.writes.failed} failed, ${report.writes.skipped} skipped (node down)`],
    ['delivery', `${(report.delivery.ratio * 100).toFixed(2)}% (${report.delivery.delivered} of ${report.delivery.expected}); p50 ${ms(report.delivery.p50)}, p99 ${ms(report.delivery.p99)}, max ${ms(report.delivery.max)}`],
    ...report.convergence.map(c => ['convergence', `after ${c.fault} at ${ms(c.at)}: ${c.ms == null ? 'not within settle' : ms(c.ms)}`]),
    ['final state', report.final.converged ? 'every node up has the same memory digest' : `${report.final.digests} different memory digests`],
    ['links', describeLinks(report.links)],
    ['memory', `${report.memoryPerNodeMb} MB of the process per node`],
    ...(report.hostile.published > 0 ? [['hostile', `${report.hostile.published} forged entries published, ${report.hostile.rejected} rejected at a first hop, ${report.hostile.stored} stored by an honest node`]] : []),
    ...(Object.keys(report.rejected).length > 0 ? [['rejected', Object.entries(report.rejected).map(([reason, n]) => `${reason} ${n}`).join(', ')]] : [])
  ]
  const lines = [table(['FIGURE', 'VALUE'], rows)]
  if (report.expectations.length > 0) {
    lines.push(table(['EXPECT', 'WANTED', 'GOT', ''], report.expectations.map(e => [e.key, e.expected, e.actual == null ? '–' : String(Math.round(e.actual * 1000) / 1000), e.ok ? 'ok' : 'FAILED'])))
  }
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
    .addOption(jsonOption())
    .addHelpText('after', `
The same scenario and seed give the same workload and fault schedule (the
report prints its digest). Exits 1 when an expectation of the scenario's
"expect:" block fails, so scenarios can run in CI.`)
    .action(async (file: string | undefined, opts: Options, command: Command) => {
      // loaded here: the simulator is not part of every command
      const { describeTopology, loadScenario, runScenario, scenarioJsonSchema } = await import('@overmind/sim')
      if (opts.schema === true) {
        process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n')
        return
      }
      if (file == null) command.error('error: missing argument \'scenario\'', { exitCode: 2 })
      const scenario = await loadScenario(file, { nodes: opts.nodes, duration: opts.duration, seed: opts.seed })
      const tty = process.stderr.isTTY === true
      const report = await runScenario(scenario, {
        onProgress: p => {
          const line = `${scenario.name}: ${Math.round(p.elapsed / 1000)}/${Math.round(p.duration / 1000)} s, ${p.up}/${p.nodes} nodes up, ${p.faults} faults applied, ${p.writes} writes`
          process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`)
        }
      })
      if (tty) process.stderr.write('\n')
      process.stdout.write(opts.json === true ? JSON.stringify(report, null, 2) + '\n' : describe(report, describeTopology(scenario.topology)))
      if (!report.ok) process.exitCode = 1
    })
}
