/**
 * An agent session serving a `runner: session` agent through MCP, as a
 * test's child process: `node mcp-worker.js DATA_DIR AGENT MODE [COUNT]`.
 * It speaks to the node through `overmind mcp` (stdio), claims runs with a
 * 3 s lease and prints one JSON line per event on stdout.
 *
 * - `serve`: reports progress twice, then completes each run with
 *   `reviewed: <input>`; exits after COUNT runs.
 * - `hang`: claims one run and then does nothing, holding it until its lease
 *   runs out (the test kills it meanwhile).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { BIN } from './cli.js'

const [dataDir, agent, mode, count = '1'] = process.argv.slice(2)

function say (event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(event) + '\n')
}

async function call (client: Client, name: string, args: Record<string, unknown>): Promise<any> {
  const result = await client.callTool({ name, arguments: args })
  if (result.isError === true) throw new Error((result.content as Array<{ text: string }>)[0]?.text ?? `${name} failed`)
  return result.structuredContent
}

const client = new Client({ name: 'test-worker', version: '1.0.0' })
await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--data-dir', dataDir] }))
say({ event: 'ready' })
let served = 0
while (served < Number(count)) {
  const { task } = await call(client, 'task_claim', { agent, lease: 3_000, wait: 10_000 })
  if (task == null) continue
  say({ event: 'claimed', id: task.id, attempt: task.attempt, input: task.input, caller: task.caller })
  if (mode === 'hang') await new Promise(() => {})
  await call(client, 'task_progress', { id: task.id, lease: task.lease, message: `reading ${task.input}` })
  await new Promise(resolve => setTimeout(resolve, 300))
  await call(client, 'task_progress', { id: task.id, lease: task.lease, message: 'writing the review' })
  await call(client, 'task_complete', { id: task.id, lease: task.lease, output: `reviewed: ${task.input}\n` })
  say({ event: 'completed', id: task.id, attempt: task.attempt })
  served++
}
await client.close()
