import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { freshCloneCheck } from '../src/fresh-clone.js'

// The full version (whole suite inside the clone) is `scripts/fresh-clone-check`
// not again inside the fresh clone it makes
describe.skipIf(process.env.OVERMIND_IN_FRESH_CLONE === '1')('a fresh clone', () => {
  it('sets itself up with the README\'s two commands, unattended, from the machine\'s own Node and npm', async () => {
    const report = await freshCloneCheck({
      demoArgs: ['--nodes', '3', '--duration', '3s', '--interval', '500ms'],
      // the setup and the runner are what is checked here: a few fast unit test files are enough
      testArgs: ['--quick', 'packages/config/', 'packages/hlc/', 'packages/heartbeat/']
    })
    process.stdout.write(`# machine node ${report.machineNode}; demo ${report.demo.ms} ms; quick tests ${report.test.ms} ms\n`)
    assert.equal(report.demo.code, 0, report.demo.stdout + report.demo.stderr)
    // the demo's mission kills one of its 3 nodes on purpose; the two others stop cleanly
    assert.match(report.demo.stdout, /✓ its host killed: the same run re-routed to the other host/)
    assert.match(report.demo.stdout, /all 2 nodes stopped cleanly/)
    assert.equal(report.test.code, 0, report.test.stdout + report.test.stderr)
    // eslint-disable-next-line no-control-regex
    const summary = report.test.stdout.replace(/\x1b\[[0-9;]*m/g, '')
    assert.match(summary, /Tests\s+[1-9]\d* passed/)
    assert.doesNotMatch(summary, /\bfailed\b/)
  })
})
