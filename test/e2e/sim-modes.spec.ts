import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { netemUnavailable, netnsUnavailable } from '@overmind/sim'
import { BIN, ROOT, collect, overmind, tempDir } from '../src/cli.js'
import type { SimReport } from '@overmind/sim'

const netnsSkip = await netnsUnavailable() ?? false
if (netnsSkip !== false) process.stdout.write(`# the netns tests are skipped: ${netnsSkip}\n`)
if (netnsSkip !== false) process.stderr.write(`# skipping overmind sim in network namespaces: ${netnsSkip}\n`)

const dirs: Array<Awaited<ReturnType<typeof tempDir>>> = []
afterAll(async () => { await Promise.all(dirs.map(async d => { await d.remove() })) })

describe('overmind sim: node processes, namespaces, signals and bad scenarios', () => {
  it('runs node processes in network namespaces: a partition cuts the network, the heal joins it, every write everywhere, nothing left behind', { skip: netnsSkip !== false }, async () => {
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

  it('shapes the links of node processes in network namespaces with tc netem, or says why it cannot before it starts a node', { skip: netnsSkip !== false }, async () => {
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
    // the modes side by side: each waits mostly on its nodes starting
    await Promise.all(['in-process', 'processes', ...(netnsSkip === false ? ['netns'] : [])].map(async mode => {
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
    }))
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
