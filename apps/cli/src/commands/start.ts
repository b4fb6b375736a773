import { Command, Option } from 'commander'
import { collect, dataDirOption, parsePort } from '../options.js'
import type { LogLevel } from '@overmind/node'

interface StartOptions {
  dataDir: string
  listen?: string[]
  bootstrap?: string[]
  mdns?: boolean
  dev?: boolean
  apiPort?: number
  apiHost?: string
  insecure?: boolean
  ui?: boolean
  logLevel?: LogLevel
  logFormat?: 'text' | 'json'
}

/** Longest a clean shutdown may take before the process is ended anyway */
const SHUTDOWN_TIMEOUT = 10_000

export function startCommand (): Command {
  return new Command('start')
    .description('run the node in the foreground until SIGINT (Ctrl-C) or SIGTERM; logs go to stderr')
    .addOption(dataDirOption())
    .option('-l, --listen <multiaddr>', 'listen on this address instead of the config\'s listen list (repeatable)', collect)
    .option('-b, --bootstrap <multiaddr>', 'join through this peer (…/p2p/<peer id>) instead of the config\'s bootstrap list (repeatable)', collect)
    .option('--mdns', 'find peers on the local network with mDNS')
    .option('--no-mdns', 'do not use mDNS, whatever the config says')
    .option('--dev', 'development defaults: mDNS on, debug log level')
    .option('--api-port <port>', 'port of the local API (default 3099; 0 = any free port)', parsePort)
    .option('--api-host <address>', 'address the local API listens on (default 127.0.0.1)')
    .option('--insecure', 'allow the local API to serve plain HTTP on an address other than loopback')
    .option('--ui', 'serve the live mesh page at the API\'s / (the default)')
    .option('--no-ui', 'do not serve the live mesh page')
    .addOption(new Option('--log-level <level>', 'log level').choices(['error', 'warn', 'info', 'debug']))
    .addOption(new Option('--log-format <format>', 'log format').choices(['text', 'json']))
    .addHelpText('after', `
Flags override the config file (overmind.config.yaml in the data dir).
While it runs, \`overmind status\` and \`overmind peers\` ask it over its local
API (loopback HTTP with the token in api.token; the address is in api.json).
The same API serves the JSON-RPC bridge (POST /rpc), MCP (/mcp), A2A
(/.well-known/agent-card.json), the live mesh page (/) and metrics (/metrics).

Examples:
  $ overmind start --data-dir ./node-1 --listen /ip4/0.0.0.0/tcp/4001
  $ overmind start --data-dir ./node-2 --listen /ip4/127.0.0.1/tcp/0 \\
      --bootstrap /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…`)
    .action(async (opts: StartOptions) => {
      // the config and keys are checked before the node's code loads: a mistake is told at once
      const { openDataDir } = await import('@overmind/node/data-dir')
      const { config } = await openDataDir(opts.dataDir)
      const { runNode, createNodeLog } = await import('@overmind/node')
      const log = createNodeLog({
        level: opts.logLevel ?? (opts.dev === true ? 'debug' : config.log.level),
        format: opts.logFormat ?? config.log.format
      })
      // a rejected promise deep in a library must not take the node down with it
      process.on('unhandledRejection', (err: any) => {
        log.error('unhandled rejection', { error: err?.stack ?? String(err) })
      })
      const running = await runNode({
        dataDir: opts.dataDir,
        listen: opts.listen,
        bootstrap: opts.bootstrap,
        mdns: opts.mdns ?? (opts.dev === true ? true : undefined),
        apiPort: opts.apiPort,
        apiHost: opts.apiHost,
        insecure: opts.insecure,
        ui: opts.ui,
        log
      })
      await new Promise<void>(resolve => {
        let signals = 0
        const onSignal = (signal: NodeJS.Signals): void => {
          signals++
          if (signals > 1) {
            log.warn('second signal: exiting at once', { signal })
            process.exit(130)
          }
          log.info('shutting down', { signal })
          // if something still holds the event loop after stop, say what and exit
          setTimeout(() => {
            log.error('shutdown did not finish in time', { handles: process.getActiveResourcesInfo().join(',') })
            process.exit(1)
          }, SHUTDOWN_TIMEOUT).unref()
          running.stop().then(() => {
            process.off('SIGINT', onSignal)
            process.off('SIGTERM', onSignal)
            resolve()
          }, (err: Error) => {
            // every part was stopped; what failed (a full disk) would only hold the exit back
            log.error('error while stopping', { error: err.message })
            process.exit(1)
          })
        }
        process.on('SIGINT', onSignal)
        process.on('SIGTERM', onSignal)
      })
    })
}
