/**
 * The full fresh-clone check (`scripts/fresh-clone-check`): clones the
 * committed repository into a temporary folder and runs the README's two
 * commands there, unattended, with the machine's own Node: the demo with
 * its defaults and the whole test suite.
 */
import { freshCloneCheck } from './fresh-clone.js'

const report = await freshCloneCheck({ demoArgs: [], testArgs: [], echo: process.stdout, timeout: 3_600_000 })
const line = (name: string, r: { code: number | null, ms: number }): string =>
  `${name.padEnd(14)} ${r.code === 0 ? 'ok    ' : 'FAILED'} exit ${r.code} in ${(r.ms / 1000).toFixed(1)} s`
process.stdout.write([
  '',
  `fresh clone check (machine Node ${report.machineNode})`,
  line('./scripts/demo', report.demo),
  line('./scripts/test', report.test),
  ''
].join('\n'))
process.exitCode = report.demo.code === 0 && report.test.code === 0 ? 0 : 1
