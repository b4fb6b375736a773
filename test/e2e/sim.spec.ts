import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { expectationRows, loadScenario, netemUnavailable, netnsUnavailable, reportRows, schedule } from '@overmind/sim'
import { BIN, ROOT, collect, overmind, tempDir } from '../src/cli.js'
import type { SimReport } from '@overmind/sim'

const escape = (text: string): string => text.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)

const netnsSkip = await netnsUnavailable() ?? false
if (netnsSkip !== false) process.stderr.write(`# skipping overmind sim in network namespaces: ${netnsSkip}\n`)

const dirs: Array<Awaited<ReturnType<typeof tempDir>>> = []
after(async () => { await Promise.all(dirs.map(async d => { await d.remove() })) })

describe('overmind sim', () => {
  it('runs partition-and-heal: every write reaches every node after the heal, and the memories end identical', async () => {
    const file = join(ROOT, 'scenarios', 'partition-and-heal.yaml')
    // a small version: the heal at 20 s, 2 s of writes after it
    const res = await overmind(['sim', file, '--duration', '22s', '--json'], { timeout: 240_000 })
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
    const res = await overmind(['sim', join(ROOT, 'scenarios', 'churn.yaml'), '--duration', '25s', '--json'], { timeout: 240_000 })
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
    const res = await overmind(['sim', file, '--json'], { timeout: 240_000 })
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
    const res = await overmind(['sim', join(ROOT, 'scenarios', 'hostile-member.yaml'), '--duration', '8s', '--json', '--html', page], { timeout: 240_000 })
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
    const res = await overmind(['sim', file, '--json'], { timeout: 240_000 })
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

  it('runs nat-homes: homes behind NAT reach each other only through the relay, and every write reaches every home', async () => {
    const res = await overmind(['sim', join(ROOT, 'scenarios', 'nat-homes.yaml'), '--nodes', '5', '--duration', '8s', '--json'], { timeout: 240_000 })
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    const { links } = report
    process.stdout.write(`# nat-homes on ${report.nodes} nodes (${links.roles.relay} relay, ${links.roles.private} homes): ${report.writes.done} writes, delivery ${report.delivery.ratio} (p50 ${report.delivery.p50} ms, p99 ${report.delivery.p99} ms); ${links.direct} direct links, ${links.relayed} relayed\n`)
    assert.equal(report.delivery.ratio, 1)
    assert.ok(report.writes.done > 10 && report.writes.failed === 0)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    assert.deepEqual(links.nodes.map(n => n.role), ['relay', 'private', 'private', 'private', 'private'])
    // the NAT: a home's only direct link is to the relay; home to home goes through it
    assert.equal(links.directBetweenHomes, 0)
    assert.ok(links.nodes.filter(n => n.role === 'private').every(n => n.direct <= 1), JSON.stringify(links.nodes))
    assert.ok(links.relayed > 0, 'homes linked through the relay')
  })

  it('restarts a relay where it listened before: the homes reserve on it again and catch up', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'relay-restart.yaml')
    await writeFile(file, 'name: relay-restart\nduration: 8s\nnodes:\n  count: 4\ntopology: { kind: nat-homes }\nworkload:\n  writes:\n    rate: 4/s\n    from: private\nfaults:\n  - { at: 2s, kill: 0 }\n  - { at: 4s, restart: 0 }\nsettle: 30s\n')
    const res = await overmind(['sim', file, '--json'], { timeout: 240_000 })
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# relay restart: delivery ${report.delivery.ratio}, homes caught up ${report.convergence[0]?.ms} ms after it; ${report.links.relayed} relayed links at the end\n`)
    assert.equal(report.delivery.ratio, 1)
    assert.notEqual(report.convergence[0].ms, null)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    assert.equal(report.links.directBetweenHomes, 0)
    assert.ok(report.links.relayed > 0)
  })

  it('shapes links over the in-memory transport: no write arrives sooner than the latency, a slow group holds writes up, loss and jitter lose and reorder nothing', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'slow-links.yaml')
    await writeFile(file, [
      'name: slow-links', 'duration: 8s', 'transport: memory',
      'nodes:', '  count: 4', '  heartbeat: 1s', '  syncInterval: 2s',
      'network: { latency: 60ms, jitter: 20ms, loss: 0.05 }',
      'workload:', '  writes:', '    rate: 5/s',
      'faults:', '  - { at: 2s, latency: 400ms, on: [0], for: 3s }',
      'settle: 30s', ''
    ].join('\n'))
    const res = await overmind(['sim', file, '--json'], { timeout: 240_000 })
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# slow links: delivery ${report.delivery.ratio}, p50 ${report.delivery.p50} ms, p99 ${report.delivery.p99} ms, max ${report.delivery.max} ms\n`)
    assert.equal(report.transport, 'memory')
    assert.ok(report.writes.done > 20)
    assert.equal(report.delivery.ratio, 1)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    // every write crosses at least one link of 60 ± 20 ms
    assert.ok((report.delivery.p50 ?? 0) >= 40, `p50 ${report.delivery.p50}`)
    // writes to and from node 0 while its links were slow took at least their latency
    assert.ok((report.delivery.max ?? 0) >= 400, `max ${report.delivery.max}`)
    assert.deepEqual(report.faultsApplied.map(f => f.fault), ['+400 ms on links of 0 for 3 s'])
  })

  it('paces each node\'s writes at its bandwidth over the in-memory transport, and loses nothing', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'narrow.yaml')
    await writeFile(file, 'name: narrow\nduration: 6s\ntransport: memory\nnodes:\n  count: 3\n  heartbeat: 1s\n  syncInterval: 2s\nnetwork: { bandwidth: 200kbit }\nworkload:\n  writes:\n    rate: 2/s\n    size: 4000\nsettle: 30s\n')
    const res = await overmind(['sim', file, '--json'], { timeout: 240_000 })
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# 200 kbit/s uplinks: delivery ${report.delivery.ratio}, p50 ${report.delivery.p50} ms, p99 ${report.delivery.p99} ms\n`)
    assert.equal(report.delivery.ratio, 1)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    // a write of 4,000 bytes is over 32 kbit: 160 ms on a 200 kbit/s uplink before its first hop
    assert.ok((report.delivery.p50 ?? 0) >= 150, `p50 ${report.delivery.p50}`)
  })

  it('spreads the nodes over worker threads: writes, runs and searches cross threads, and a partition, a heal, a restart, a hostile member and a slow link act across them', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'threads.yaml')
    await writeFile(file, [
      'name: threads', 'seed: 3', 'duration: 14s', 'transport: memory', 'threads: 2',
      'nodes:', '  count: 8', '  heartbeat: 1s', '  syncInterval: 2s',
      'agents:', '  - { name: echo, on: [1], serviceTime: 20ms, outputSize: 100 }',
      'workload:',
      '  writes: { rate: 4/s, zones: { federation: 0.8, private: 0.2 } }',
      '  runs: { agent: echo, rate: 2/s, from: [0, 2, 4, 6] }',
      '  searches: { rate: 1/s, federated: 1 }',
      'faults:',
      // each group spans both threads (node i runs in thread i % 2)
      '  - { at: 2s, partition: [[0, 1, 2, 3], [4, 5, 6, 7]] }',
      '  - { at: 5s, heal: true }',
      '  - { at: 6s, kill: 3 }',
      '  - { at: 8s, restart: 3 }',
      '  - { at: 3s, hostile: 5 }',
      '  - { at: 9s, latency: 300ms, on: [0], for: 3s }',
      'settle: 60s', ''
    ].join('\n'))
    const res = await overmind(['sim', file, '--json'], { timeout: 240_000 })
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# 8 nodes on 2 threads: ${report.writes.done} writes, delivery ${report.delivery.ratio} (p99 ${report.delivery.p99} ms), runs ${report.runs.succeeded}/${report.runs.requested}, searches found ${report.searches.found}/${report.searches.done}, converged ${report.convergence.map(c => `${c.fault} ${c.ms} ms`).join(', ')}\n`)
    assert.equal(report.threads, 2)
    assert.equal(report.delivery.ratio, 1)
    assert.equal(report.delivery.expected, report.zones.federation * 7)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    assert.ok(report.zones.private > 0)
    assert.equal(report.zones.leaked, 0)
    assert.deepEqual(report.convergence.map(c => c.fault), ['heal', 'restart 3'])
    assert.ok(report.convergence.every(c => c.ms != null))
    // node 1 hosts the agent in the other thread than the even nodes that call it
    assert.ok(report.runs.requested > 0 && report.runs.succeeded > 0, JSON.stringify(report.runs))
    assert.deepEqual(Object.keys(report.runs.hosts), ['1'])
    assert.ok(report.searches.found > 0, JSON.stringify(report.searches))
    assert.ok(report.hostile.published > 0 && report.hostile.rejected > 0)
    assert.equal(report.hostile.stored, 0)
    // what reached node 0 while its links (to both threads) were slow took their latency
    assert.ok((report.delivery.max ?? 0) >= 300, `max ${report.delivery.max}`)
  })

  it('runs node processes in network namespaces: a partition cuts the network, the heal joins it, every write everywhere, nothing left behind', { skip: netnsSkip }, async () => {
    const res = await overmind(['sim', join(ROOT, 'scenarios', 'netns-partition.yaml'), '--duration', '15s', '--json'], { timeout: 240_000 })
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# netns: delivery ${report.delivery.ratio}, p50 ${report.delivery.p50} ms, max ${report.delivery.max} ms; converged ${report.convergence[0]?.ms} ms after the heal\n`)
    assert.equal(report.mode, 'netns')
    assert.equal(report.delivery.ratio, 1)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    assert.equal(report.convergence[0]?.fault, 'heal')
    assert.notEqual(report.convergence[0]?.ms, null)
    // writes made across the cut waited for the heal, 6 s after it
    assert.ok((report.delivery.max ?? 0) >= 2_000, `max ${report.delivery.max}`)
    assert.equal(report.resources.perNode?.length, 5)
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout
    assert.doesNotMatch(left, /^om[0-9a-z]+(sw|n\d+)\b/m, 'every namespace removed')
  })

  it('shapes the links of node processes in network namespaces with tc netem, or says why it cannot before it starts a node', { skip: netnsSkip }, async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'netns-slow.yaml')
    await writeFile(file, 'name: netns-slow\nduration: 6s\nmode: netns\nnodes:\n  count: 3\n  heartbeat: 1s\n  syncInterval: 2s\nnetwork: { latency: 60ms }\nworkload:\n  writes:\n    rate: 4/s\nsettle: 30s\n')
    const res = await overmind(['sim', file, '--json'], { timeout: 240_000 })
    const noNetem = await netemUnavailable()
    if (noNetem != null) {
      assert.equal(res.code, 1)
      assert.match(res.stderr, /mode: netns cannot add latency, jitter or loss here: tc netem is unavailable/)
      assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, /^om[0-9a-z]+(sw|n\d+)\b/m)
      return
    }
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    assert.equal(report.delivery.ratio, 1)
    assert.ok((report.delivery.p50 ?? 0) >= 60, `p50 ${report.delivery.p50}`)
  })

  it('leaves nothing behind on Ctrl-C: no node, no data dir, no namespace, and ends as the signal says', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    for (const mode of ['in-process', 'processes', ...(netnsSkip === false ? ['netns'] : [])]) {
      const file = join(dir.path, `${mode}.yaml`)
      await writeFile(file, `name: interrupted\nduration: 60s\nmode: ${mode}\nnodes:\n  count: 3\n  heartbeat: 1s\nworkload:\n  writes:\n    rate: 2/s\n`)
      const tmp = join(dir.path, `tmp-${mode}`)
      await mkdir(tmp)
      const child = spawn(process.execPath, [BIN, 'sim', file], { env: { ...process.env, TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] })
      const done = collect(child, 120_000)
      // interrupted once the workload runs: every node up, each with its data
      await new Promise<void>((resolve, reject) => {
        let stderr = ''
        child.stderr?.on('data', (d: Buffer) => {
          stderr += d.toString()
          if (/interrupted: \d+\/60 s, 3\/3 nodes up/.test(stderr)) resolve()
        })
        child.once('close', () => { reject(new Error(`${mode}: ended before its workload: ${stderr}`)) })
      })
      assert.ok((await readdir(tmp)).length > 0, `${mode}: data in ${tmp} while it runs`)
      child.kill('SIGINT')
      const res = await done
      assert.equal(res.signal, 'SIGINT', `${mode}: ${res.stderr}`)
      assert.deepEqual(await readdir(tmp), [], `${mode}: the data dirs are removed`)
      if (mode === 'netns') assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, /^om[0-9a-z]+(sw|n\d+)\b/m)
    }
  })

  it('exits 1 when an expectation fails', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'strict.yaml')
    await writeFile(file, 'name: strict\nduration: 3s\nnodes:\n  count: 2\nworkload:\n  writes:\n    rate: 2/s\nsettle: 10s\nexpect:\n  writes.failed: "> 0"\n')
    const res = await overmind(['sim', file], { timeout: 120_000 })
    assert.equal(res.code, 1, res.stderr)
    assert.match(res.stdout, /writes\.failed\s+> 0\s+0\s+FAILED/)
    assert.match(res.stdout, /resources\s+CPU [\d.]+ cores on average, [\d.]+ in the busiest second; up to [\d.]+ MB per node; event-loop delay p99 [\d.]+ ms/)
  })

  it('prints the scenario format as the JSON Schema kept in scenarios/', async () => {
    const res = await overmind(['sim', '--schema'])
    assert.equal(res.code, 0, res.stderr)
    assert.deepEqual(JSON.parse(res.stdout), JSON.parse(await readFile(join(ROOT, 'scenarios', 'scenario.schema.json'), 'utf8')), 'regenerate it with `overmind sim --schema > scenarios/scenario.schema.json`')
    assert.equal(JSON.parse(res.stdout).properties.nodes.properties.count.maximum, 500)
  })

  it('runs a node process per node: a crash and restart, a hang, every write everywhere, searches, identical memories, per-node figures, nothing left behind', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'processes.yaml')
    await writeFile(file, [
      'name: processes', 'seed: 2', 'duration: 12s', 'mode: processes',
      'nodes: { count: 4, heartbeat: 1s, syncInterval: 2s }',
      'workload:', '  writes: { rate: 3/s, zones: { federation: 0.6, shared: 0.2, private: 0.2 } }', '  searches: { rate: 1/s, age: 2s }',
      'faults:', '  - { at: 2s, kill: 1 }', '  - { at: 5s, restart: 1 }', '  - { at: 6s, hang: 2, for: 4s }',
      'settle: 30s', 'expect:', '  delivery.ratio: ">= 1"', ''
    ].join('\n'))
    // the node processes make their data dirs here: it must be empty again at the end
    const tmp = join(dir.path, 'tmp')
    await mkdir(tmp)
    const res = await overmind(['sim', file, '--json'], { timeout: 240_000, env: { TMPDIR: tmp } })
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# processes on ${report.nodes} nodes: ${report.writes.done} writes (${report.writes.skipped} skipped), delivery ${report.delivery.ratio} (p50 ${report.delivery.p50} ms, p99 ${report.delivery.p99} ms), converged ${report.convergence[0]?.ms} ms after the restart; per node ${JSON.stringify(report.resources.perNode)}\n`)
    assert.equal(report.mode, 'processes')
    assert.equal(report.ok, true)
    assert.ok(report.formationMs != null, 'every peer table filled before the workload')
    assert.ok(report.writes.done > 15 && report.writes.failed === 0)
    assert.equal(report.delivery.ratio, 1)
    assert.deepEqual(report.convergence.map(c => c.fault), ['restart 1'])
    assert.notEqual(report.convergence[0].ms, null)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    // private and shared writes through the API, found on no other node
    assert.ok(report.zones.private + report.zones.shared > 0 && report.zones.leaked === 0, JSON.stringify(report.zones))
    // searches through each node's local API
    assert.ok(report.searches.done > 0 && report.searches.found > 0 && report.searches.failed === 0, JSON.stringify(report.searches))
    assert.deepEqual(report.faultsApplied.map(f => f.fault), ['kill 1', 'restart 1', 'hang 2 for 4 s'])
    // a node down is not counted up, a hung one is
    assert.ok(report.timeline.some(s => s.up === 3) && report.timeline.at(-1)?.up === 4)
    const perNode = report.resources.perNode ?? []
    assert.deepEqual(perNode.map(n => n.node), [0, 1, 2, 3])
    assert.ok(perNode.every(n => n.cpuSeconds > 0 && n.rssMbMax > 20), JSON.stringify(perNode))
    assert.ok(report.resources.cpuCoresAvg > 0)
    assert.deepEqual(await readdir(tmp), [], 'the data dirs are removed')
  })

  it('refuses with node processes what only the in-process mesh can do, and a hang in-process, naming the key', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'modes.yaml')
    await writeFile(file, 'name: modes\nduration: 10s\nmode: processes\nthreads: 2\nnodes:\n  count: 3\nfaults:\n  - at: 2s\n    partition: [[0], [1, 2]]\n')
    const res = await overmind(['sim', file])
    assert.equal(res.code, 1)
    assert.match(res.stderr, /modes\.yaml:9:5: faults\[0\]\.partition: a partition needs mode: in-process/)
    assert.match(res.stderr, /modes\.yaml:4:1: threads: threads needs mode: in-process/)
    await writeFile(file, 'name: modes\nduration: 10s\nnodes:\n  count: 3\nfaults:\n  - at: 2s\n    hang: 1\n    for: 2s\n')
    const inProcess = await overmind(['sim', file])
    assert.equal(inProcess.code, 1)
    assert.match(inProcess.stderr, /modes\.yaml:7:5: faults\[0\]\.hang: hang needs mode: processes/)
  })

  it('refuses a bad scenario before it starts a node, naming the key and line', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'bad.yaml')
    await writeFile(file, 'name: bad\nduration: 10s\nnodes:\n  count: 3\nfaults:\n  - at: 2s\n    kill: 5\n  - at: 12s\n    heal: true\n')
    const res = await overmind(['sim', file])
    assert.equal(res.code, 1)
    assert.equal(res.stderr, [
      `overmind: ConfigError: ${file}:7:5: faults[0].kill: node 5 does not exist: the scenario has 3 nodes, 0 to 2`,
      `${file}:8:5: faults[1].at: at 12000 ms, after the end of the scenario (10000 ms)`,
      ''
    ].join('\n'))
  })
})
