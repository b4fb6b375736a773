import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { expectationRows, renderHtml, reportRows } from '../src/index.js'
import { latencyHistogram } from '../src/timeline.js'
import type { SimReport } from '../src/index.js'

/** A report as a run of a partition, a kill and a heal would give, with a name from a hostile file */
function report (): SimReport {
  const timeline = Array.from({ length: 10 }, (_, i) => ({
    at: (i + 1) * 1000,
    up: i >= 4 ? 3 : 4,
    faults: i >= 7 ? 3 : i >= 4 ? 2 : i >= 2 ? 1 : 0,
    writes: (i + 1) * 5,
    deliveries: (i + 1) * 14,
    cpuCores: 0.4 + i / 20,
    rssMbPerNode: 30 + i,
    eventLoopDelayP99Ms: 12 + i
  }))
  return {
    scenario: '<script>alert("x")</script> & co',
    seed: 7,
    mode: 'in-process',
    transport: 'tcp',
    threads: 1,
    nodes: 4,
    topology: 'full',
    durationMs: 10_000,
    formationMs: 1_200,
    startMs: 900,
    schedule: { digest: 'ab'.repeat(32), writes: 50, faults: 3, runs: 0, searches: 0 },
    writes: { done: 50, failed: 0, skipped: 2 },
    delivery: { expected: 150, delivered: 150, ratio: 1, p50: 14, p99: 2_400, max: 3_100 },
    deliveryHistogram: latencyHistogram([...Array(120).fill(14), ...Array(28).fill(300), 2_400, 3_100]),
    convergence: [{ at: 8_000, fault: 'heal', ms: 1_800 }],
    convergenceMax: 1_800,
    final: { converged: true, digests: 1 },
    memoryPerNodeMb: 38.5,
    rejected: { 'bad-signature': 12, '<odd reason>': 1 },
    hostile: { published: 0, stored: 0, rejected: 0 },
    zones: { federation: 0, shared: 0, private: 0, leaked: 0 },
    floor: { messages: 50, delivered: 150, p50: 10, p99: 800, ratioP50: 1.4, ratioP99: 3 },
    links: { direct: 5, relayed: 0, directBetweenHomes: 0, roles: { relay: 0, public: 4, private: 0 }, nodes: [0, 1, 3].map(node => ({ node, role: 'public' as const, up: true, direct: node === 0 ? 2 : 1, relayed: 0 })).concat({ node: 2, role: 'public', up: false, direct: 0, relayed: 0 }) },
    runs: { requested: 20, succeeded: 15, failed: 5, skipped: 0, byCause: { busy: 3, deadline: 2 }, retried: 1, hosts: { 0: 15 }, successRate: 0.75, p50: 210, p99: 900, max: 950 },
    searches: { done: 0, local: 0, federated: 0, found: 0, failed: 0, skipped: 0, completeness: null, p50: null, p99: null },
    timeline,
    faultsApplied: [{ at: 3_000, fault: 'partition 0 1 | 2 3' }, { at: 5_000, fault: 'kill 2' }, { at: 8_000, fault: 'heal' }],
    resources: { cpuCoresAvg: 0.62, cpuCoresMax: 0.85, rssMbPerNodeMax: 39, eventLoopDelayP99Ms: 21, cores: 2 },
    expectations: [
      { key: 'delivery.ratio', expected: '>= 1', actual: 1, ok: true },
      { key: 'convergence.max', expected: '< 1s', actual: 1_800, ok: false }
    ],
    ok: false
  }
}

const count = (text: string, part: string): number => text.split(part).length - 1

describe('the HTML report', () => {
  it('escapes the scenario name wherever it appears', () => {
    const html = renderHtml(report())
    assert.ok(!html.includes('<script'), 'no script element, and the name is not one')
    assert.ok(html.includes('<h1>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; co</h1>'))
    assert.ok(html.includes('<title>overmind sim: &#60;script&#62;'))
    assert.ok(html.includes('&#60;odd reason&#62;'), 'a reason from the wire is escaped too')
  })

  it('loads nothing from anywhere', () => {
    const html = renderHtml(report())
    assert.ok(!/https?:\/\//.test(html), 'no URL at all')
    assert.ok(!/<(script|link|img|iframe|object)\b/i.test(html))
    assert.ok(!/@import|url\(/.test(html))
    assert.ok(html.includes('content="default-src \'none\'; style-src \'unsafe-inline\'"'))
  })

  it('draws the charts, with a labelled marker at each fault and p50 and p99 on the histogram', () => {
    const html = renderHtml(report())
    assert.ok(count(html, '<svg') >= 7, 'histogram, five timeline charts, convergence, rejected')
    assert.equal(count(html, 'class="fault-label"'), 3)
    for (const label of ['partition 0 1 | 2 3', 'kill 2', 'heal']) assert.ok(html.includes(`class="fault-label"`) && html.includes(`>${label}</text>`), label)
    // a dashed line per fault on each of the five timeline charts
    assert.equal(count(html, '<g class="fault">'), 3 * 5)
    assert.ok(html.includes('p50 14 ms') && html.includes('p99 2400 ms'))
    assert.ok(html.includes('Writes and deliveries per second'))
    assert.ok(html.includes('>heal at 8000 ms</text>') && html.includes('>1800 ms</text>'), 'the convergence bar')
    assert.ok(html.includes('>bad-signature</text>') && html.includes('>12</text>'), 'the rejected bar')
  })

  it('shows the same figure rows as the CLI table, and every expectation with ok or FAILED', () => {
    const html = renderHtml(report())
    for (const [figure, value] of reportRows(report())) assert.ok(html.includes(`<td>${figure}</td><td>${value.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)}</td>`), figure)
    assert.ok(reportRows(report()).some(([figure]) => figure === 'resources'))
    assert.deepEqual(expectationRows(report()), [['delivery.ratio', '>= 1', '1', 'ok'], ['convergence.max', '< 1s', '1800', 'FAILED']])
    assert.ok(html.includes('<tr class="ok"><td>delivery.ratio</td><td>&#62;= 1</td><td>1</td><td>ok</td></tr>'))
    assert.ok(html.includes('<tr class="failed"><td>convergence.max</td><td>&#60; 1s</td><td>1800</td><td>FAILED</td></tr>'))
    assert.ok(html.includes('1 expectation FAILED'))
    assert.ok(html.includes('1.4× as long at p50, 3.0× at p99'), 'the floor row')
  })

  it('says when the run was short of CPU, and only then', () => {
    assert.equal(reportRows(report()).find(([figure]) => figure === 'capacity'), undefined, 'a calm run')
    const busy = report()
    busy.resources = { ...busy.resources, cpuCoresAvg: 1.93, eventLoopDelayP99Ms: 9_395 }
    const row = reportRows(busy).find(([figure]) => figure === 'capacity')
    assert.ok(row != null)
    assert.match(row[1], /^short of CPU \(1\.93 of 2 cores busy on average, event loops 9395 ms late at p99\)/)
    const late = report()
    late.resources = { ...late.resources, eventLoopDelayP99Ms: 1_500 }
    assert.match(reportRows(late).find(([figure]) => figure === 'capacity')?.[1] ?? '', /^short of CPU \(event loops 1500 ms late at p99\)/)
    assert.ok(renderHtml(busy).includes('<td>capacity</td>'))
  })

  it('describes the topology and the links the mesh ended with, in the rows and as a chart', () => {
    const homes: SimReport = {
      ...report(),
      topology: { kind: 'nat-homes', relays: 1, public: 0 },
      links: { direct: 3, relayed: 3, directBetweenHomes: 0, roles: { relay: 1, public: 0, private: 3 }, nodes: [] }
    }
    const rows = new Map(reportRows(homes))
    assert.match(rows.get('nodes') ?? '', /^4 \(nat-homes: 1 relay, 0 public, the rest homes behind NAT, in-process\)/)
    assert.equal(rows.get('links'), '3 direct, 3 relayed (none direct between homes); roles: 1 relay, 3 private')
    const html = renderHtml(homes)
    assert.ok(html.includes('<dd>nat-homes: 1 relay, 0 public, the rest homes behind NAT</dd>'))
    assert.ok(html.includes('<h2>Links</h2>'))
    for (const bar of ['direct', 'relayed', 'direct between homes']) assert.ok(html.includes(`>${bar}</text>`), bar)
    assert.ok(!html.includes('<h2>links</h2>'), 'links is not shown again as data')
    // without homes, no bar for links between them
    assert.ok(!renderHtml(report()).includes('>direct between homes</text>'))
  })

  it('renders the sections a report has and shows sections it does not know as data', () => {
    const partial: Partial<SimReport> = { ...report(), gossip: { queries: 5, note: '<b>x</b>' } } as unknown as Partial<SimReport>
    delete partial.timeline
    delete partial.faultsApplied
    delete partial.resources
    delete partial.deliveryHistogram
    const html = renderHtml(partial as SimReport)
    assert.ok(!html.includes('Timeline') && !html.includes('Deliveries by latency'))
    assert.ok(html.includes('<h2>Convergence</h2>') && html.includes('<h2>Expectations</h2>'))
    assert.ok(html.includes('<h2>gossip</h2>') && html.includes('&#60;b&#62;x&#60;/b&#62;'))
  })
})
