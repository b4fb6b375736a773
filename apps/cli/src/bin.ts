#!/usr/bin/env node
import { enableCompileCache } from 'node:module'
import { homedir } from 'node:os'
import { join } from 'node:path'

// later runs of the CLI load its modules from V8's code cache (Node ≥ 22.1),
// kept with the user's caches rather than in the temporary folder; set in the
// environment too, so the node's worker threads and child processes use it
process.env.NODE_COMPILE_CACHE ??= join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'overmind', 'node-compile-cache')
enableCompileCache?.(process.env.NODE_COMPILE_CACHE)
const { main } = await import('./program.js')

process.exitCode = await main(process.argv)
