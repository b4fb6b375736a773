import { Command } from 'commander'
import { ApiClient } from '@overmind/node/client'
import { dataDirOption } from '../options.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'

export function mcpCommand (): Command {
  return new Command('mcp')
    .description('serve MCP over stdio for an agent (its .mcp.json launches this), through the node running on the data dir')
    .addOption(dataDirOption())
    .addHelpText('after', `
Every MCP message is passed to the running node's /mcp endpoint (Streamable
HTTP, with the token from the data dir), so tools, progress, cancellation and
resources are those of the node. stdout carries only MCP; messages for people
go to stderr.

Tools: memory_store, memory_search, memory_get, memory_forget, memory_feedback,
run_agent, list_agents, mesh_status. Resources: overmind://chunks/{id}.

Example .mcp.json:
  { "mcpServers": { "overmind": { "command": "overmind",
      "args": ["mcp", "--data-dir", "/home/me/.overmind"] } } }`)
    .action(async (opts: { dataDir: string }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      await proxy(client)
    })
}

/** Passes MCP messages between stdio and the node's Streamable HTTP endpoint until stdin ends */
async function proxy (client: ApiClient): Promise<void> {
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js')
  const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js')
  const { isJSONRPCRequest, isJSONRPCResultResponse, LATEST_PROTOCOL_VERSION } = await import('@modelcontextprotocol/sdk/types.js')
  const upstream = new StreamableHTTPClientTransport(new URL('/mcp', client.url), {
    requestInit: { headers: client.authHeaders() }
  })
  const local = new StdioServerTransport()
  const pending = new Map<string | number, string>()
  const say = (text: string): void => { process.stderr.write(`overmind mcp: ${text}\n`) }

  upstream.onmessage = (message: JSONRPCMessage) => {
    // later requests must name the protocol version the session settled on
    if (isJSONRPCResultResponse(message) && pending.get(message.id) === 'initialize') {
      const version = (message.result as { protocolVersion?: string }).protocolVersion
      upstream.setProtocolVersion(version ?? LATEST_PROTOCOL_VERSION)
    }
    if ('id' in message && message.id != null && !isJSONRPCRequest(message)) pending.delete(message.id)
    local.send(message).catch(err => { say(`cannot write to stdout: ${err.message}`) })
  }
  upstream.onerror = err => { say(err.message) }
  local.onmessage = (message: JSONRPCMessage) => {
    if (isJSONRPCRequest(message)) pending.set(message.id, message.method)
    upstream.send(message).catch(err => {
      say(`the node did not take ${isJSONRPCRequest(message) ? message.method : 'a message'}: ${err.message}`)
      // a request the node never saw still gets an answer, so the agent does not wait forever
      if (isJSONRPCRequest(message)) {
        pending.delete(message.id)
        local.send({ jsonrpc: '2.0', id: message.id, error: { code: -32000, message: `cannot reach the Overmind node at ${client.url}: ${err.message}` } }).catch(() => {})
      }
    })
  }
  const closed = new Promise<void>(resolve => { local.onclose = resolve })
  process.stdin.once('end', () => { local.close().catch(() => {}) })
  await upstream.start()
  await local.start()
  await closed
  await upstream.terminateSession().catch(() => {})
  await upstream.close()
}
