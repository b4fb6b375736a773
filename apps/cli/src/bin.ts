#!/usr/bin/env node
import { enableCompileCache } from 'node:module'

// later runs of the CLI load its modules from V8's code cache (Node ≥ 22.1)
enableCompileCache?.()
const { main } = await import('./program.js')

process.exitCode = await main(process.argv)
