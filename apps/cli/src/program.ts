import { Command, CommanderError, InvalidArgumentError } from 'commander'
import { VERSION } from '@overmind/node/client'
import { agentCommand, agentsCommand, queuedCommand, runCommand, tasksCommand } from './commands/agents.js'
import { demoCommand } from './commands/demo.js'
import { initCommand, inviteCommand, joinCommand } from './commands/init.js'
import { mcpCommand } from './commands/mcp.js'
import { memoryCommand } from './commands/memory.js'
import { peersCommand } from './commands/peers.js'
import { startCommand } from './commands/start.js'
import { statusCommand } from './commands/status.js'
import { checkCommand, repairCommand } from './commands/store.js'
import { simCommand } from './commands/sim.js'

/** Exit codes scripts can rely on */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  notRunning: 3
} as const

export function createProgram (): Command {
  const program = new Command('overmind')
    .description('Overmind Mesh: a peer-to-peer mesh that lets AI agents on many machines work as one federation')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText('after', `
Environment:
  OVERMIND_DATA_DIR   data dir used when --data-dir is not given
  DEBUG=overmind:*    libp2p-style debug logs of the Overmind services (libp2p:* for libp2p itself)

Exit codes:
  0 success, 1 error, 2 bad usage, 3 no node running on the data dir

Getting started:
  $ overmind init --data-dir ./node-1 --mesh my-mesh
  $ overmind start --data-dir ./node-1
  $ overmind status --data-dir ./node-1
  $ overmind memory put --data-dir ./node-1 "the build cache lives in /var/cache/ci"
  $ overmind memory search --data-dir ./node-1 --federated "where is the build cache?"
  $ overmind agents --data-dir ./node-1
  $ overmind run --data-dir ./node-1 upper "hello mesh"`)
  program.addCommand(initCommand())
  program.addCommand(joinCommand())
  program.addCommand(inviteCommand())
  program.addCommand(startCommand())
  program.addCommand(statusCommand())
  program.addCommand(peersCommand())
  program.addCommand(memoryCommand())
  program.addCommand(agentsCommand())
  program.addCommand(runCommand())
  program.addCommand(queuedCommand())
  program.addCommand(tasksCommand())
  program.addCommand(agentCommand())
  program.addCommand(mcpCommand())
  program.addCommand(checkCommand())
  program.addCommand(repairCommand())
  program.addCommand(simCommand())
  program.addCommand(demoCommand())
  return program
}

/** Runs the CLI; resolves to the process exit code */
export async function main (argv: string[]): Promise<number> {
  const program = createProgram()
  program.exitOverride()
  const override = (command: Command): void => {
    command.exitOverride()
    command.commands.forEach(override)
  }
  program.commands.forEach(override)
  try {
    await program.parseAsync(argv)
    return Number(process.exitCode ?? EXIT.ok)
  } catch (err: any) {
    // thrown by a command's own checks (not by commander's parsing, which prints its errors first)
    if (err instanceof InvalidArgumentError) {
      process.stderr.write(`overmind: ${err.message}\n`)
      return EXIT.usage
    }
    if (err instanceof CommanderError) {
      // help and version exit with 0 after printing; usage errors are already printed
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage
    }
    // an error the running node answered with is shown by its own name
    const name: string | undefined = err.remoteName ?? err.name
    process.stderr.write(`overmind: ${name != null && name !== 'Error' ? `${name}: ` : ''}${err.message}\n`)
    return err.name === 'NodeNotRunningError' ? EXIT.notRunning : EXIT.error
  }
}
