import { describeTopology } from './topology.js'
import type { SimReport } from './run.js'
import type { SimResources } from './timeline.js'
import type { LinkReport } from './topology.js'

/** A run short of CPU: its processes used this share of the machine's cores on average, */
const CPU_SHORT = 0.85
/** or its event loops ran this late at p99 (ms) */
const LOOP_LATE_MS = 1_000

/** A duration for people: "850 ms", "12.4 s", "–" for none */
export function formatMs (value: number | null | undefined): string {
  if (value == null) return '–'
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`
}

/**
 * The figures of a report as [figure, value] rows: what the CLI prints as
 * its table and the HTML report shows, from one place. A section the
 * report does not have gives no row.
 */
export function reportRows (report: SimReport): Array<[string, string]> {
  const r: Partial<SimReport> = report
  const rows: Array<[string, string]> = []
  rows.push(['nodes', `${report.nodes} (${describeTopology(report.topology)}, ${report.mode}${report.transport === 'memory' ? ', in-memory transport' : ''}${(r.threads ?? 1) > 1 ? `, ${r.threads ?? 1} threads` : ''}); started in ${formatMs(report.startMs ?? null)}; every peer table full ${report.formationMs == null ? 'not within 60 s' : `${formatMs(report.formationMs)} after the last start`}`])
  if (r.schedule != null) rows.push(['schedule', `${r.schedule.writes} writes, ${r.schedule.runs > 0 ? `${r.schedule.runs} runs, ` : ''}${r.schedule.searches > 0 ? `${r.schedule.searches} searches, ` : ''}${r.schedule.faults} faults over ${formatMs(report.durationMs)}; seed ${report.seed}, digest ${r.schedule.digest.slice(0, 16)}`])
  if (r.writes != null) rows.push(['writes', `${r.writes.done} acknowledged, ${r.writes.failed} failed, ${r.writes.skipped} skipped (node down)`])
  if (r.zones != null && (r.zones.shared > 0 || r.zones.private > 0)) rows.push(['zones', `${r.zones.federation} federation, ${r.zones.shared} shared, ${r.zones.private} private; ${r.zones.leaked === 0 ? 'no private or shared write on another node' : `${r.zones.leaked} times a private or shared write was on another node`}`])
  rows.push(...workloadRows(report))
  if (r.delivery != null) rows.push(['delivery', `${(r.delivery.ratio * 100).toFixed(2)}% (${r.delivery.delivered} of ${r.delivery.expected}); p50 ${formatMs(r.delivery.p50)}, p99 ${formatMs(r.delivery.p99)}, max ${formatMs(r.delivery.max)}`])
  if (r.floor != null) rows.push(['floor', `bare gossipsub on the same nodes: ${r.floor.delivered} deliveries of ${r.floor.messages} messages, p50 ${formatMs(r.floor.p50)}, p99 ${formatMs(r.floor.p99)}; knowledge takes ${r.floor.ratioP50?.toFixed(1) ?? '–'}× as long at p50, ${r.floor.ratioP99?.toFixed(1) ?? '–'}× at p99`])
  for (const c of r.convergence ?? []) rows.push(['convergence', `after ${c.fault} at ${formatMs(c.at)}: ${c.ms == null ? 'not within settle' : formatMs(c.ms)}`])
  if (r.final != null) rows.push(['final state', r.final.converged ? 'every node up has the same memory digest' : `${r.final.digests} different memory digests`])
  if (r.links != null) rows.push(['links', describeLinks(r.links)])
  if (r.memoryPerNodeMb != null) rows.push(['memory', r.resources?.perNode != null ? `${r.memoryPerNodeMb} MB per node process on average (its largest resident memory)` : `${r.memoryPerNodeMb} MB of the process per node`])
  if (r.resources?.perNode != null) rows.push(['resources', `CPU of the node processes ${r.resources.cpuCoresAvg} cores on average, ${r.resources.cpuCoresMax} in the busiest second; up to ${r.resources.rssMbPerNodeMax} MB in one node; event-loop delay p99 up to ${r.resources.eventLoopDelayP99Ms} ms in one node`], ['per node', r.resources.perNode.map(n => `${n.node}: ${n.cpuSeconds} s CPU, ${n.rssMbMax} MB`).join('; ')])
  else if (r.resources != null) rows.push(['resources', `CPU ${r.resources.cpuCoresAvg} cores on average, ${r.resources.cpuCoresMax} in the busiest second; up to ${r.resources.rssMbPerNodeMax} MB per node; event-loop delay p99 ${r.resources.eventLoopDelayP99Ms} ms (${(r.threads ?? 1) > 1 ? 'the busiest thread\'s: the nodes of a thread share its loop' : 'the process\'s: its nodes share it'})`])
  const capacity = shortOfCpu(r.resources)
  if (capacity != null) rows.push(['capacity', capacity])
  if (r.hostile != null && r.hostile.published > 0) rows.push(['hostile', `${r.hostile.published} forged entries published, ${r.hostile.rejected} rejected at a first hop, ${r.hostile.stored} stored by an honest node`])
  if (r.rejected != null && Object.keys(r.rejected).length > 0) rows.push(['rejected', Object.entries(r.rejected).map(([reason, n]) => `${reason} ${n}`).join(', ')])
  return rows
}

/** A run whose processes kept the machine's cores busy, or whose loops ran late by a second, says so: its figures are the machine's limit */
function shortOfCpu (resources: SimResources | undefined): string | undefined {
  if (resources?.cores == null) return undefined
  const busy = resources.cpuCoresAvg >= CPU_SHORT * resources.cores
  const late = resources.eventLoopDelayP99Ms >= LOOP_LATE_MS
  if (!busy && !late) return undefined
  const why = [busy ? `${resources.cpuCoresAvg} of ${resources.cores} cores busy on average` : '', late ? `event loops ${formatMs(resources.eventLoopDelayP99Ms)} late at p99` : ''].filter(Boolean).join(', ')
  return `short of CPU (${why}): delivery, convergence and peer tables show this machine's limit more than the mesh's; simulate fewer nodes, or give it more cores (threads, mode: processes on a larger machine)`
}

/** "7 direct, 6 relayed (none direct between homes); roles: 1 relay, 6 private" */
function describeLinks (links: LinkReport): string {
  const roles = Object.entries(links.roles).filter(([, n]) => n > 0).map(([role, n]) => `${n} ${role}`).join(', ')
  const homes = links.roles.private > 0 ? ` (${links.directBetweenHomes === 0 ? 'none' : links.directBetweenHomes} direct between homes)` : ''
  return `${links.direct} direct, ${links.relayed} relayed${homes}; roles: ${roles}`
}

/** Each expectation as [figure, wanted, got, "ok" or "FAILED"] */
export function expectationRows (report: SimReport): Array<[string, string, string, string]> {
  return ((report as Partial<SimReport>).expectations ?? []).map(e => [e.key, e.expected, e.actual == null ? '–' : String(Math.round(e.actual * 1000) / 1000), e.ok ? 'ok' : 'FAILED'])
}

const percent = (value: number | null): string => value == null ? '–' : `${(value * 100).toFixed(1)}%`
const counts = (record: Record<string, number | undefined>): string => Object.entries(record).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0)).map(([name, n]) => `${name} ${n ?? 0}`).join(', ')

/** Rows of the runs and searches, when the scenario has them */
function workloadRows (report: SimReport): Array<[string, string]> {
  const { runs, searches, schedule } = report as Partial<SimReport>
  const rows: Array<[string, string]> = []
  if (runs != null && (schedule?.runs ?? 0) > 0) {
    rows.push(['runs', `${runs.requested} requested, ${runs.succeeded} succeeded (${percent(runs.successRate)}), ${runs.failed} failed${runs.skipped > 0 ? `, ${runs.skipped} skipped (node down)` : ''}; p50 ${formatMs(runs.p50)}, p99 ${formatMs(runs.p99)}, max ${formatMs(runs.max)}`])
    if (runs.failed > 0) rows.push(['run failures', counts(runs.byCause)])
    rows.push(['run hosts', `${Object.entries(runs.hosts).map(([host, n]) => `node ${host} ${n}`).join(', ') || 'none'}; ${runs.retried} succeeded on a host tried after a busy or failed one`])
  }
  if (searches != null && (schedule?.searches ?? 0) > 0) {
    rows.push(['searches', `${searches.done} (${searches.local} local, ${searches.federated} federated${searches.skipped > 0 ? `, ${searches.skipped} skipped` : ''}): ${percent(searches.completeness)} found what they looked for${searches.failed > 0 ? `, ${searches.failed} failed` : ''}; p50 ${formatMs(searches.p50)}, p99 ${formatMs(searches.p99)}`])
  }
  return rows
}
