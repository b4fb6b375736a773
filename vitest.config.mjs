// The test suite runs on the compiled JavaScript (tsc -b builds it first):
// unit tests of every package, then end-to-end tests that run the CLI, node
// processes and the page. `node scripts/run-tests.mjs` picks the files.
import { defineConfig } from 'vitest/config'
import { LongestFirst } from './scripts/test-sequencer.mjs'

export default defineConfig({
  test: {
    include: ['packages/*/dist/test/*.spec.js', 'protocols/dist/test/*.spec.js', 'apps/*/dist/test/*.spec.js', 'test/dist/e2e/*.spec.js'],
    // the compiled tests live under dist/, which vitest leaves out by default
    exclude: ['**/node_modules/**'],
    // files run in child processes (tests start nodes, worker threads and child processes), each
    // process running its files one after the other with the modules it has loaded: loading
    // libp2p and the node's code once per process instead of once per file saves about a minute
    pool: 'forks',
    isolate: false,
    // two files at a time: most of a file's time is spent waiting on node processes and timers, not on a core
    // (OVERMIND_TEST_WORKERS sets another number)
    maxWorkers: Number(process.env.OVERMIND_TEST_WORKERS ?? '') || 2,
    sequence: { sequencer: LongestFirst },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
    // the tests' own figures (lines starting with #) are part of the report
    printConsoleTrace: false,
    reporters: ['default'],
    watch: false,
    server: {
      deps: {
        // the code under test runs as Node runs it, not through vite's module transform
        // (which lacks import.meta.resolve, and would not be the code users run)
        external: [/\/packages\/[^/]+\/dist\/src\//, /\/protocols\/dist\/src\//, /\/apps\/[^/]+\/dist\/src\//, /\/test\/dist\/src\//, /\/node_modules\//]
      }
    }
  }
})
