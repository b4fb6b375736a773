// Latency of a memory search through each interface agents use, against the
// in-process call, in one run on one node: the JSON-RPC bridge, the REST
// route, MCP over Streamable HTTP and MCP over stdio (`overmind mcp`, which
// passes messages on to the node's /mcp).
//
//   node test/dist/bench/api.js [--quick] [--requests N] [--chunks N]
import { parseArgs } from 'node:util'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ApiClient, createNodeLog, initDataDir, runNode } from '@overmind/node'
import { BIN, setConfig, tempDir } from '../src/cli.js'
import { chart, fmt, percentile, table } from './report.js'
import type { PutInput } from '@overmind/memory'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    requests: { type: 'string' },
    chunks: { type: 'string' }
  }
})
const REQUESTS = Number(values.requests ?? (values.quick ? 100 : 1_000))
const CHUNKS = Number(values.chunks ?? (values.quick ? 500 : 5_000))
const QUERY = { query: 'which port does the staging database listen on', k: 10 }

interface Figures { p50: number, p99: number, mean: number }

async function measure (once: () => Promise<unknown>): Promise<Figures> {
  for (let i = 0; i < Math.min(50, REQUESTS / 5); i++) await once()
  const times: number[] = []
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now()
    await once()
    times.push(performance.now() - t0)
  }
  const mean = times.reduce((a, b) => a + b, 0) / times.length
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 50), p99: percentile(times, 99), mean }
}

const dir = await tempDir('overmind-bench-api-')
const dataDir = `${dir.path}/node`
await initDataDir(dataDir, { mesh: 'bench-api' })
// the hash embedder keeps the search itself cheap, so what differs is the interface
await setConfig(dataDir, { 'memory.embedder': 'hash', 'api.rateLimit': 0 })
const running = await runNode({ dataDir, listen: ['/ip4/127.0.0.1/tcp/0'], apiPort: 0, mdns: false, log: createNodeLog({ level: 'error' }) })
const memory = running.node.memory!
const topics = ['database', 'cache', 'queue', 'build', 'deploy', 'network', 'storage', 'auth']
const batch: PutInput[] = Array.from({ length: CHUNKS }, (_, i) => ({ text: `note ${i}: the staging ${topics[i % topics.length]} listens on port ${5000 + i}`, zone: 'shared' }))
await memory.putMany(batch)
process.stdout.write(`one node, ${CHUNKS.toLocaleString('en-US')} chunks (hash embedder), ${REQUESTS} searches per interface, one at a time\n`)

const api = await ApiClient.forDataDir(dataDir)
const headers = { ...api.authHeaders(), 'content-type': 'application/json' }
const http = new Client({ name: 'bench-http', version: '1.0.0' })
await http.connect(new StreamableHTTPClientTransport(new URL('/mcp', api.url), { requestInit: { headers: api.authHeaders() } }))
const stdio = new Client({ name: 'bench-stdio', version: '1.0.0' })
await stdio.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--data-dir', dataDir], stderr: 'inherit' }))

let id = 0
const check = (results: unknown[]): void => {
  if (results.length !== QUERY.k) throw new Error(`a search found ${results.length} chunks, expected ${QUERY.k}`)
}
const rows: Array<[string, Figures]> = []
rows.push(['in-process store.search', await measure(async () => { check(await memory.search({ text: QUERY.query, k: QUERY.k })) })])
rows.push(['JSON-RPC bridge memory.search', await measure(async () => {
  const res = await fetch(`${api.url}/rpc`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'memory.search', params: QUERY }) })
  check(((await res.json()) as any).result.results)
})])
rows.push(['REST POST /v1/memory/search', await measure(async () => { check((await api.post<any>('/v1/memory/search', QUERY)).results) })])
rows.push(['MCP Streamable HTTP memory_search', await measure(async () => { check(((await http.callTool({ name: 'memory_search', arguments: QUERY })).structuredContent as any).results) })])
rows.push(['MCP stdio memory_search', await measure(async () => { check(((await stdio.callTool({ name: 'memory_search', arguments: QUERY })).structuredContent as any).results) })])

const base = rows[0][1]
table('memory search latency by interface', ['interface', 'p50 ms', 'p99 ms', 'mean ms', 'p50 vs in-process', 'added at p50 ms'],
  rows.map(([name, f]) => [name, fmt(f.p50), fmt(f.p99), fmt(f.mean), `${(f.p50 / base.p50).toFixed(2)}×`, fmt(f.p50 - base.p50)]))
chart('p50 latency, ms', rows.map(([name, f]) => [name, f.p50]), 'ms')

await stdio.close()
await http.close()
await running.stop()
await dir.remove()
