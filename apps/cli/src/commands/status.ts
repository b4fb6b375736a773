import { Command } from 'commander'
import { ApiClient } from '@overmind/node/client'
import { dataDirOption, jsonOption } from '../options.js'
import { paint, status as paintStatus } from '../format.js'
import type { NodeStatus } from '@overmind/node/client'

export function statusCommand (): Command {
  return new Command('status')
    .description('show the running node\'s identity, addresses, connections and peer counts')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .addHelpText('after', `
JSON fields: peerId, name, mesh, version, addresses (full multiaddrs ending in
/p2p/<peerId>), startedAt, uptimeMs, connections, connectedPeers,
links {direct, hole-punched, relayed} (open connections by kind),
peers {connected, alive, stale, gone}, dht {protocol, mode, routingTable},
heartbeat {topic, intervalMs, staleAfter, goneAfter, sent, received, rejected},
memory {chunks, forgotten, events, authors, model, indexed, backlog},
eventLoop {recent {p50, p99, max, mean, windowMs}, sinceStart {p50, p99, max, mean}}
(event-loop delay in ms: how long due work waited),
otherMeshes [{peerId, mesh, at}] (peers with this mesh's key but another
mesh name: neither side sees the other),
api {url, rpc, mcp, metrics, agentCard, page}.`)
    .action(async (opts: { dataDir: string, json?: boolean }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      const status = await client.get<NodeStatus>('/v1/status')
      const at = (path: string): string => new URL(path, client.url).href
      const report = { ...status, api: { url: client.url, rpc: at('/rpc'), mcp: at('/mcp'), metrics: at('/metrics'), agentCard: at('/.well-known/agent-card.json'), page: at('/') } }
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n')
        return
      }
      const rejected = Object.entries(status.heartbeat.rejected).map(([k, v]) => `${k} ${v}`).join(', ')
      process.stdout.write([
        `peer id      ${status.peerId}`,
        `name         ${status.name}`,
        `mesh         ${status.mesh}`,
        ...status.otherMeshes.map(o => `  ${paint('yellow', `warning: peer ${o.peerId} has this mesh's key but is in mesh "${o.mesh}": neither sees the other (mesh.name)`)}`),
        `version      ${status.version}`,
        `uptime       ${Math.round(status.uptimeMs / 1000)} s`,
        'addresses',
        ...status.addresses.map(a => `  ${a}`),
        `connections  ${status.connections} to ${status.connectedPeers} peers (${Object.entries(status.links ?? {}).filter(([kind, n]) => n > 0 || kind === 'direct').map(([kind, n]) => `${n} ${kind}`).join(', ')})`,
        `peers        ${(['connected', 'alive', 'stale', 'gone'] as const).map(s => `${status.peers[s]} ${paintStatus(s)}`).join(', ')}`,
        `dht          ${status.dht.mode} mode, ${status.dht.routingTable} peers in routing table (${status.dht.protocol})`,
        `heartbeat    every ${status.heartbeat.intervalMs / 1000} s on ${status.heartbeat.topic}; ${status.heartbeat.sent} sent, ${status.heartbeat.received} received${rejected !== '' ? `, rejected: ${rejected}` : ''}`,
        `event loop   delay p99 ${status.eventLoop.recent.p99} ms, longest ${status.eventLoop.recent.max} ms over the last ${status.eventLoop.recent.windowMs / 1000} s; p99 ${status.eventLoop.sinceStart.p99} ms since start`,
        `local API    ${client.url}`,
        ''
      ].join('\n'))
    })
}
