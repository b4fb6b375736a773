import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { expectationRows, loadScenario, reportRows, schedule } from '@overmind/sim'
import { ROOT, overmindSim, tempDir } from '../src/cli.js'
import type { SimReport } from '@overmind/sim'

const escape = (text: string): string => text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)

const dirs: Array<Awaited<ReturnType<typeof tempDir>>> = []
afterAll(async () => { await Promise.all(dirs.map(async d => { await d.remove() })) })

describe('overmind sim', { concurrent: true }, () => {
  it('runs partition-and-heal: every write reaches every node after the heal, and the memories end identical', async () => {
    const file = join(ROOT, 'scenarios', 'partition-and-heal.yaml')
    // a small version: the heal at 20 s, 2 s of writes after it
    const res = await overmindSim([file, '--duration', '22s', '--json'])
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# partition-and-heal on ${report.nodes} nodes: ${report.writes.done} writes, delivery ${report.delivery.ratio} (p50 ${report.delivery.p50} ms, p99 ${report.delivery.p99} ms), converged ${report.convergence[0]?.ms} ms after the heal, ${report.memoryPerNodeMb} MB per node\n`)
    assert.equal(report.ok, true)
    assert.equal(report.delivery.ratio, 1)
    assert.ok(report.writes.done > 40 && report.writes.failed === 0)
    assert.equal(report.convergence.length, 1)
    assert.notEqual(report.convergence[0].ms, null)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    // the private and shared writes stayed where they were made
    assert.ok(report.zones.private > 0 && report.zones.shared > 0, JSON.stringify(report.zones))
    assert.equal(report.zones.leaked, 0)
    assert.equal(report.delivery.expected, report.zones.federation * 7)
    // the same scenario and seed: the same schedule
    assert.equal(report.schedule.digest, schedule(await loadScenario(file, { duration: 22_000 })).digest)
    assert.match(res.stderr, /partition-and-heal: \d+\/22 s, 8\/8 nodes up/)
    assert.ok(report.formationMs != null, 'every peer table filled before the workload')
  })

  it('runs churn: nodes that come back catch up on what was written while they were away', async () => {
    const res = await overmindSim([join(ROOT, 'scenarios', 'churn.yaml'), '--duration', '25s', '--json'])
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# churn on ${report.nodes} nodes: ${report.writes.done} writes (${report.writes.skipped} skipped on nodes down), delivery ${report.delivery.ratio}, caught up ${report.convergence.map(c => `${c.ms} ms`).join(', ')} after the restarts\n`)
    assert.equal(report.delivery.ratio, 1)
    assert.ok(report.writes.skipped > 0, 'writes scheduled on a node that was down are skipped')
    assert.deepEqual(report.convergence.map(c => c.fault), ['restart 1', 'restart 4', 'restart 2'])
    assert.ok(report.convergence.every(c => c.ms != null))
    assert.deepEqual(report.final, { converged: true, digests: 1 })
  })

  it('runs churn-rate: nodes the seed picks leave and come back at a rate, and every node ends with every write', async () => {
    const file = join(ROOT, 'scenarios', 'churn-rate.yaml')
    const res = await overmindSim([file, '--json'])
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    const plan = schedule(await loadScenario(file))
    const kills = plan.events.filter(e => e.kind === 'fault' && e.fault.kill != null).length
    process.stdout.write(`# churn-rate on ${report.nodes} nodes: ${kills} nodes left and came back, ${report.writes.done} writes (${report.writes.skipped} skipped), delivery ${report.delivery.ratio}, caught up ${report.convergence.map(c => `${c.ms} ms`).join(', ')}\n`)
    assert.ok(kills >= 1)
    assert.equal(report.faultsApplied.filter(f => f.fault.startsWith('kill ')).length, kills)
    assert.equal(report.convergence.length, kills, 'each return is timed')
    assert.ok(report.convergence.every(c => c.ms != null))
    assert.equal(report.delivery.ratio, 1)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    assert.equal(report.schedule.digest, plan.digest)
  })

  it('runs hostile-member: the forged entries are rejected at the first hop and stored nowhere; the timeline and the HTML report', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const page = join(dir.path, 'report.html')
    const res = await overmindSim([join(ROOT, 'scenarios', 'hostile-member.yaml'), '--duration', '8s', '--json', '--html', page])
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# hostile-member: ${report.hostile.published} forged entries published, ${report.hostile.rejected} rejected, ${report.hostile.stored} stored; delivery of honest writes ${report.delivery.ratio}\n`)
    assert.ok(report.hostile.published > 0)
    assert.equal(report.hostile.stored, 0)
    assert.ok(report.hostile.rejected > 0)
    assert.deepEqual(Object.keys(report.rejected), ['bad-signature'])
    assert.equal(report.delivery.ratio, 1)

    // a sample about every second of the 8 s workload, counts that only grow
    process.stdout.write(`# resources: ${JSON.stringify(report.resources)}, ${report.timeline.length} samples\n`)
    assert.ok(report.timeline.length >= 8 - 2, `${report.timeline.length} samples`)
    assert.ok(report.timeline.every(s => s.up === 6))
    report.timeline.slice(1).forEach((s, i) => { assert.ok(s.at > report.timeline[i].at && s.writes >= report.timeline[i].writes && s.deliveries >= report.timeline[i].deliveries) })
    assert.ok(report.timeline[report.timeline.length - 1].deliveries > 0)
    assert.deepEqual(report.faultsApplied.map(f => f.fault), ['hostile 5'])
    assert.ok(report.resources.cpuCoresAvg > 0 && report.resources.rssMbPerNodeMax > 0)
    assert.equal(report.deliveryHistogram.reduce((sum, b) => sum + b.count, 0) > 0, true)

    // the same report as one page: its figures, charts and expectations
    const html = await readFile(page, 'utf8')
    assert.match(res.stderr, /hostile-member: HTML report in .*report\.html/)
    assert.ok(html.includes('<h1>hostile-member</h1>'))
    for (const [figure, value] of reportRows(report)) assert.ok(html.includes(`<td>${figure}</td><td>${escape(value)}</td>`), figure)
    for (const [key, wanted, got, ok] of expectationRows(report)) assert.ok(html.includes(`<td>${key}</td><td>${escape(wanted)}</td><td>${got}</td><td>${ok}</td>`), key)
    assert.ok(html.split('<svg').length - 1 >= 7, 'latency histogram, five timeline charts, rejected messages')
    assert.ok(html.includes('class="fault-label"') && html.includes('>hostile 5</text>'))
    assert.ok(html.includes('>bad-signature</text>'))
    assert.ok(!/https?:\/\//.test(html), 'the page loads nothing')
  })

  it('runs flash-crowd: runs beyond what the hosts serve are answered busy, every failure has its cause, searches find earlier writes', async () => {
    const file = join(ROOT, 'scenarios', 'flash-crowd.yaml')
    const res = await overmindSim([file, '--json'])
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    const { runs, searches } = report
    process.stdout.write(`# flash-crowd on ${report.nodes} nodes: ${runs.requested} runs, ${runs.succeeded} succeeded (p50 ${runs.p50} ms, p99 ${runs.p99} ms), failed by cause ${JSON.stringify(runs.byCause)}, hosts ${JSON.stringify(runs.hosts)}, ${runs.retried} retried; ${searches.done} searches (${searches.local} local, ${searches.federated} federated), completeness ${searches.completeness}\n`)
    assert.equal(report.ok, true, JSON.stringify(report.expectations))
    assert.equal(report.schedule.digest, schedule(await loadScenario(file)).digest)
    // every run scheduled was asked for (no node was down), and ended one way or the other
    assert.equal(runs.skipped, 0)
    assert.equal(runs.requested, report.schedule.runs)
    assert.equal(runs.requested, runs.succeeded + runs.failed)
    assert.equal(Object.values(runs.byCause).reduce((sum, n) => sum + (n ?? 0), 0), runs.failed)
    // the agent's deliberate failures, and the hosts' full queues at the peak
    assert.ok((runs.byCause['agent-failed'] ?? 0) > 0, 'deliberate failures are counted as agent-failed')
    assert.ok((runs.byCause.busy ?? 0) > 0, 'a flood beyond the queues is answered busy')
    assert.equal(runs.byCause['no-host'], undefined)
    assert.equal(runs.byCause['wrong-output'], undefined, 'every run that succeeded returned its agent\'s output')
    assert.equal(runs.successRate, runs.succeeded / runs.requested)
    assert.ok(runs.successRate > 0 && runs.successRate < 1)
    // both hosts served, runs from the other six nodes went to them, and some found room on the second host they tried
    assert.deepEqual(Object.keys(runs.hosts).sort(), ['0', '1'])
    assert.ok(runs.retried > 0)
    // nothing kept searches from the writes: every one found its write, locally and across the mesh
    // (one is skipped only when the write it looks for was not acknowledged yet, on a machine short of CPU)
    assert.equal(searches.done + searches.skipped, report.schedule.searches)
    assert.ok(searches.local > 0 && searches.federated > 0)
    assert.equal(searches.done, searches.local + searches.federated)
    assert.equal(searches.failed, 0)
    assert.equal(searches.completeness, 1)
    assert.match(res.stderr, /flash-crowd: \d+\/16 s, 8\/8 nodes up, .* \d+ runs/)
  })
})
