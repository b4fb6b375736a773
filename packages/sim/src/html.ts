import { expectationRows, formatMs, reportRows } from './figures.js'
import { describeTopology } from './topology.js'
import type { SimReport } from './run.js'
import type { AppliedFault, LatencyBucket, TimelineSample } from './timeline.js'
import type { LinkReport } from './topology.js'

/**
 * The report of a run as one self-contained HTML page: the scenario, the
 * figures, charts (inline SVG drawn here) and the expectations. It loads
 * nothing: no script, font, stylesheet or image from anywhere, and its
 * Content-Security-Policy forbids it. Every string from the scenario is
 * escaped. A section the report does not have is left out; sections this
 * renderer does not know are shown as JSON at the end.
 */
export function renderHtml (report: SimReport): string {
  const r: Partial<SimReport> = report
  const failed = (r.expectations ?? []).filter(e => !e.ok).length
  const verdict = (r.expectations ?? []).length === 0
    ? '<p class="verdict">no expectations</p>'
    : failed === 0
      ? '<p class="verdict ok">every expectation holds</p>'
      : `<p class="verdict failed">${failed} expectation${failed === 1 ? '' : 's'} FAILED</p>`
  const sections = [
    section('Figures', table(['figure', 'value'], reportRows(report))),
    r.deliveryHistogram != null && r.deliveryHistogram.some(b => b.count > 0) ? section('Delivery latency', histogramChart(r.deliveryHistogram, r.delivery?.p50 ?? null, r.delivery?.p99 ?? null), 'From acknowledgement on the writer to stored on a peer, every delivery.') : '',
    r.timeline != null && r.timeline.length > 0 ? section('Timeline', timelineCharts(r.timeline, r.faultsApplied ?? [], report), `Sampled once a second while the workload ran; dashed lines are faults. ${report.mode !== 'in-process' ? 'CPU is the node processes\' together; memory per node is their average; event-loop delay the slowest node\'s.' : 'CPU is the whole process; memory per node is the process\'s divided by the nodes up.'}`) : '',
    r.convergence != null && r.convergence.length > 0 ? section('Convergence', convergenceChart(r.convergence), 'After each heal or restart: the time until every node up held every write acknowledged before it.') : '',
    r.runs != null && r.runs.requested > 0 ? section('Runs', barChart([{ label: 'succeeded', value: r.runs.succeeded, text: String(r.runs.succeeded) }, ...Object.entries(r.runs.byCause).map(([cause, n]) => ({ label: cause, value: n ?? 0, text: String(n ?? 0) }))], 'bar-convergence'), 'How the runs ended: succeeded, or failed by cause.') : '',
    r.links != null && r.links.direct + r.links.relayed > 0 ? section('Links', linksChart(r.links), 'The links the mesh ended with: pairs of nodes connected directly, or through a circuit relay; a direct link between two homes behind NAT would break the NAT.') : '',
    r.rejected != null && Object.keys(r.rejected).length > 0 ? section('Rejected messages', barChart(Object.entries(r.rejected).map(([reason, n]) => ({ label: reason, value: n, text: String(n) })), 'bar-rejected'), 'Entries from peers the honest nodes rejected on the knowledge topic, by reason.') : '',
    (r.expectations ?? []).length > 0 ? section('Expectations', table(['figure', 'wanted', 'got', ''], expectationRows(report), row => row[3] === 'ok' ? 'ok' : 'failed')) : '',
    otherSections(report)
  ]
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>overmind sim: ${esc(report.scenario)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${esc(report.scenario)}</h1>
${verdict}
${header(report)}
</header>
${sections.filter(s => s !== '').join('\n')}
</body>
</html>
`
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2330; background: #fff; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { margin: 0 0 .3rem; font-size: 1.6rem; }
h2 { font-size: 1.15rem; margin: 2rem 0 .3rem; border-bottom: 1px solid #d8dce4; padding-bottom: .2rem; }
p.note { color: #566; margin: 0 0 .6rem; font-size: .9rem; }
.verdict { font-weight: 600; margin: 0 0 .8rem; }
.verdict.ok, tr.ok td:last-child { color: #17803d; }
.verdict.failed, tr.failed td:last-child { color: #c0282d; font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dt { color: #566; } dd { margin: 0; font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .25rem .6rem .25rem 0; border-bottom: 1px solid #eef0f4; }
th { color: #566; font-weight: 600; }
td:first-child { white-space: nowrap; }
svg { display: block; width: 100%; height: auto; margin: .3rem 0 1rem; font: 11px system-ui, sans-serif; }
svg .axis { stroke: #9aa3b2; stroke-width: 1; }
svg .grid { stroke: #eef0f4; stroke-width: 1; }
svg .tick { fill: #566; }
svg .title { fill: #1d2330; font-weight: 600; font-size: 12px; }
svg .fault line { stroke: #c0282d; stroke-dasharray: 4 3; stroke-width: 1; }
svg .fault-label { fill: #c0282d; }
svg .quantile line { stroke: #1d2330; stroke-dasharray: 5 3; }
svg .quantile text { fill: #1d2330; font-weight: 600; }
svg .bar-latency { fill: #4c78a8; } svg .bar-links { fill: #b279a2; } svg .bar-convergence { fill: #54a24b; } svg .bar-rejected { fill: #e45756; } svg .bar-none { fill: #c0282d; opacity: .35; }
pre { background: #f6f7f9; padding: .6rem; overflow: auto; font-size: 12px; }
`

/** Series colours of the timeline charts */
const COLORS = ['#4c78a8', '#f58518', '#54a24b', '#b279a2']

const KNOWN = new Set(['scenario', 'seed', 'mode', 'nodes', 'topology', 'durationMs', 'formationMs', 'schedule', 'writes', 'delivery', 'deliveryHistogram', 'convergence', 'convergenceMax', 'final', 'memoryPerNodeMb', 'rejected', 'hostile', 'timeline', 'faultsApplied', 'resources', 'runs', 'searches', 'links', 'floor', 'expectations', 'ok'])

/** Escapes text for HTML content and attribute values (inline SVG included) */
function esc (value: unknown): string {
  return String(value).replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

function section (title: string, body: string, note?: string): string {
  return `<section>\n<h2>${esc(title)}</h2>\n${note == null ? '' : `<p class="note">${esc(note)}</p>\n`}${body}\n</section>`
}

function table (head: string[], rows: string[][], rowClass?: (row: string[]) => string): string {
  const tr = (row: string[]): string => `<tr${rowClass == null ? '' : ` class="${esc(rowClass(row))}"`}>${row.map(cell => `<td>${esc(cell)}</td>`).join('')}</tr>`
  return `<table>\n<thead><tr>${head.map(h => `<th>${esc(h)}</th>`).join('')}</tr></thead>\n<tbody>\n${rows.map(tr).join('\n')}\n</tbody>\n</table>`
}

function header (report: SimReport): string {
  const r: Partial<SimReport> = report
  const items: Array<[string, string]> = [
    ['seed', String(report.seed)],
    ...(r.schedule != null ? [['schedule digest', r.schedule.digest] as [string, string]] : []),
    ['nodes', String(report.nodes)],
    ['topology', describeTopology(report.topology)],
    ['mode', String(report.mode)],
    ['transport', String(report.transport ?? 'tcp')],
    ['duration', formatMs(report.durationMs)]
  ]
  return `<dl>\n${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('\n')}\n</dl>`
}

/** Sections added to the report that this renderer has no chart for */
function otherSections (report: SimReport): string {
  const rest = Object.entries(report).filter(([key, value]) => !KNOWN.has(key) && value != null)
  return rest.map(([key, value]) => section(key, `<pre>${esc(JSON.stringify(value, null, 2))}</pre>`)).join('\n')
}

/** 0 and a few round steps up to at least `max` */
function ticks (max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1]
  const raw = max / count
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map(m => m * magnitude).find(s => s >= raw) ?? raw
  const out: number[] = []
  for (let v = 0; v < max + step * 1e-9; v += step) out.push(Math.round(v * 1e6) / 1e6)
  if (out[out.length - 1] < max) out.push(Math.round((out[out.length - 1] + step) * 1e6) / 1e6)
  return out
}

function num (value: number): string {
  return String(Number(value.toFixed(Math.abs(value) < 10 ? 2 : 0)))
}

const W = 760
const PAD = { left: 52, right: 16, top: 26, bottom: 26 }

interface Series { name: string, points: Array<[number, number]>, step?: boolean }

/** One chart of the timeline: series over seconds, with a dashed line at each fault */
function lineChart (title: string, series: Series[], xMax: number, faults: AppliedFault[], labelFaults: boolean, yMin = 0): string {
  const h = labelFaults ? 190 : 150
  const top = labelFaults ? PAD.top + 36 : PAD.top
  const yMax = Math.max(yMin, ...series.flatMap(s => s.points.map(p => p[1])))
  const yTicks = ticks(yMax)
  const yTop = yTicks[yTicks.length - 1]
  const x = (s: number): number => PAD.left + (W - PAD.left - PAD.right) * s / xMax
  const y = (v: number): number => h - PAD.bottom - (h - PAD.bottom - top) * v / yTop
  const parts: string[] = [`<text class="title" x="${PAD.left}" y="14">${esc(title)}</text>`]
  for (const t of yTicks) parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t)}" y2="${y(t)}"/><text class="tick" x="${PAD.left - 6}" y="${y(t) + 4}" text-anchor="end">${num(t)}</text>`)
  for (const t of ticks(xMax, 8)) {
    if (t > xMax) continue
    parts.push(`<text class="tick" x="${x(t)}" y="${h - PAD.bottom + 15}" text-anchor="middle">${num(t)} s</text>`)
  }
  parts.push(`<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0)}" y2="${y(0)}"/>`)
  faults.forEach((f, i) => {
    const fx = x(Math.min(f.at / 1000, xMax))
    const label = `${f.fault} at ${formatMs(f.at)}`
    parts.push(`<g class="fault"><title>${esc(label)}</title><line x1="${fx}" x2="${fx}" y1="${top - 4}" y2="${y(0)}"/></g>`)
    // labels on the first chart only, on three rows so that close faults stay readable
    if (labelFaults) parts.push(`<text class="fault-label" x="${fx + 3}" y="${PAD.top + 2 + (i % 3) * 12}">${esc(f.fault)}</text>`)
  })
  series.forEach((s, i) => {
    const points = s.step === true ? s.points.flatMap(([px, py], j) => j === 0 ? [[px, py]] : [[px, s.points[j - 1][1]], [px, py]]) : s.points
    parts.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.8" points="${points.map(([px, py]) => `${x(px).toFixed(1)},${y(py).toFixed(1)}`).join(' ')}"><title>${esc(s.name)}</title></polyline>`)
    if (series.length > 1) parts.push(`<rect x="${W - PAD.right - 170}" y="${4 + i * 13}" width="10" height="3" fill="${COLORS[i % COLORS.length]}"/><text class="tick" x="${W - PAD.right - 155}" y="${10 + i * 13}">${esc(s.name)}</text>`)
  })
  return svg(h, title, parts)
}

function svg (height: number, label: string, parts: string[]): string {
  return `<svg viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${esc(label)}">\n${parts.join('\n')}\n</svg>`
}

function timelineCharts (samples: TimelineSample[], faults: AppliedFault[], report: SimReport): string {
  const xMax = Math.max(report.durationMs, ...samples.map(s => s.at), ...faults.map(f => f.at)) / 1000
  const at = (s: TimelineSample): number => s.at / 1000
  const perSecond = (pick: (s: TimelineSample) => number): Array<[number, number]> => samples.map((s, i) => {
    const before = i === 0 ? { at: 0, value: 0 } : { at: samples[i - 1].at, value: pick(samples[i - 1]) }
    const seconds = (s.at - before.at) / 1000
    return [at(s), seconds > 0 ? Math.round((pick(s) - before.value) / seconds * 10) / 10 : 0]
  })
  return [
    lineChart('Nodes up', [{ name: 'nodes up', points: samples.map(s => [at(s), s.up]), step: true }], xMax, faults, true, report.nodes),
    lineChart('Writes and deliveries per second', [
      { name: 'writes acknowledged / s', points: perSecond(s => s.writes) },
      { name: 'deliveries / s', points: perSecond(s => s.deliveries) }
    ], xMax, faults, false),
    lineChart(report.mode !== 'in-process' ? 'CPU of the node processes, cores' : 'CPU of the process, cores', [{ name: 'cores', points: samples.map(s => [at(s), s.cpuCores]) }], xMax, faults, false, 1),
    lineChart('Resident memory per node up, MB', [{ name: 'MB per node', points: samples.map(s => [at(s), s.rssMbPerNode]) }], xMax, faults, false),
    lineChart('Event-loop delay p99, ms', [{ name: 'ms', points: samples.map(s => [at(s), s.eventLoopDelayP99Ms]) }], xMax, faults, false)
  ].join('\n')
}

function bucketLabel (b: LatencyBucket): string {
  const unit = (v: number): string => v >= 1000 ? `${v / 1000} s` : `${v}`
  return b.toMs == null ? `≥ ${unit(b.fromMs)}` : `${unit(b.fromMs)}–${unit(b.toMs)}`
}

/** Where a latency falls on the bucket axis: the bucket's index plus its share of the way through it */
function bucketPosition (buckets: LatencyBucket[], ms: number): number {
  const i = buckets.findIndex(b => b.toMs == null || ms < b.toMs)
  const b = buckets[i]
  if (b.toMs == null) return i + 0.5
  const share = b.fromMs === 0 ? ms / b.toMs : Math.log(ms / b.fromMs) / Math.log(b.toMs / b.fromMs)
  return i + Math.max(0, Math.min(1, share))
}

function histogramChart (all: LatencyBucket[], p50: number | null, p99: number | null): string {
  const index = (ms: number | null): number => ms == null ? -1 : all.findIndex(b => b.toMs == null || ms < b.toMs)
  const used = all.map((b, i) => b.count > 0 ? i : -1).filter(i => i >= 0)
  const first = Math.min(...used, index(p50) === -1 ? Infinity : index(p50))
  const last = Math.max(...used, index(p99))
  const buckets = all.slice(first, last + 1)
  const h = 230
  const top = PAD.top + 8
  const yTicks = ticks(Math.max(...buckets.map(b => b.count)))
  const yTop = yTicks[yTicks.length - 1]
  const width = (W - PAD.left - PAD.right) / buckets.length
  const x = (position: number): number => PAD.left + width * position
  const y = (v: number): number => h - PAD.bottom - 14 - (h - PAD.bottom - 14 - top) * v / yTop
  const parts: string[] = [`<text class="title" x="${PAD.left}" y="14">Deliveries by latency, ms</text>`]
  for (const t of yTicks) parts.push(`<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(t)}" y2="${y(t)}"/><text class="tick" x="${PAD.left - 6}" y="${y(t) + 4}" text-anchor="end">${num(t)}</text>`)
  buckets.forEach((b, i) => {
    parts.push(`<rect class="bar-latency" x="${(x(i) + 2).toFixed(1)}" y="${y(b.count).toFixed(1)}" width="${(width - 4).toFixed(1)}" height="${(y(0) - y(b.count)).toFixed(1)}"><title>${esc(`${bucketLabel(b)} ms: ${b.count}`)}</title></rect>`)
    parts.push(`<text class="tick" x="${(x(i) + width / 2).toFixed(1)}" y="${y(0) + 14}" text-anchor="middle">${esc(bucketLabel(b))}</text>`)
  })
  parts.push(`<line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(0)}" y2="${y(0)}"/>`)
  const quantiles: Array<[string, number | null]> = [['p50', p50], ['p99', p99]]
  quantiles.forEach(([name, ms], i) => {
    if (ms == null) return
    const qx = x(bucketPosition(all, ms) - first)
    // near the right edge, the label goes left of its line
    const label = qx > W - PAD.right - 90 ? `x="${(qx - 4).toFixed(1)}" text-anchor="end"` : `x="${(qx + 4).toFixed(1)}"`
    parts.push(`<g class="quantile"><line x1="${qx.toFixed(1)}" x2="${qx.toFixed(1)}" y1="${top - 6 + i * 12}" y2="${y(0)}"/><text ${label} y="${top + 2 + i * 12}">${esc(`${name} ${formatMs(ms)}`)}</text></g>`)
  })
  return svg(h, 'Deliveries by latency', parts)
}

interface Bar { label: string, value: number | null, text: string }

/** Horizontal bars, one a row; a bar without a value is drawn full length and pale */
function barChart (bars: Bar[], barClass: string): string {
  const row = 24
  const labelWidth = 190
  const h = PAD.top + bars.length * row + 8
  const max = Math.max(1, ...bars.map(b => b.value ?? 0))
  const span = W - PAD.right - labelWidth - 110
  const parts: string[] = []
  bars.forEach((b, i) => {
    const y = 8 + i * row
    const length = b.value == null ? span : Math.max(1, span * b.value / max)
    parts.push(`<text class="tick" x="${labelWidth - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text>`)
    parts.push(`<rect class="${b.value == null ? 'bar-none' : barClass}" x="${labelWidth}" y="${y + 2}" width="${length.toFixed(1)}" height="${row - 8}"><title>${esc(`${b.label}: ${b.text}`)}</title></rect>`)
    parts.push(`<text class="tick" x="${(labelWidth + length + 6).toFixed(1)}" y="${y + 14}">${esc(b.text)}</text>`)
  })
  return svg(h, bars.map(b => b.label).join(', '), parts)
}

function linksChart (links: LinkReport): string {
  const bars: Bar[] = [
    { label: 'direct', value: links.direct, text: String(links.direct) },
    { label: 'relayed', value: links.relayed, text: String(links.relayed) }
  ]
  if (links.roles.private > 0) bars.push({ label: 'direct between homes', value: links.directBetweenHomes, text: String(links.directBetweenHomes) })
  return barChart(bars, 'bar-links')
}

function convergenceChart (convergence: SimReport['convergence']): string {
  return barChart(convergence.map(c => ({ label: `${c.fault} at ${formatMs(c.at)}`, value: c.ms, text: c.ms == null ? 'not within settle' : formatMs(c.ms) })), 'bar-convergence')
}
