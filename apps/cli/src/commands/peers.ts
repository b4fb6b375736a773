import { Command } from 'commander'
import { ApiClient } from '@overmind/node/client'
import { dataDirOption, jsonOption } from '../options.js'
import { ago, rtt, shortId, status as paintStatus, table } from '../format.js'
import type { PeerReport } from '@overmind/node/client'

export function peersCommand (): Command {
  return new Command('peers')
    .description('list every peer known from heartbeats, with its status, last beat and round-trip time')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .addHelpText('after', `
Status: connected (beats on time, direct connection), alive (beats on time,
relayed by other peers), stale (missed heartbeat.staleAfter beats), gone
(missed heartbeat.goneAfter beats).

Link: direct (TCP, WebSockets), hole-punched (webrtc: UDP between two NATs,
with its ICE candidate pair) or relayed (through a circuit relay); for a
relayed peer whose hole punch failed, why.

JSON: an array of {peerId, name, status, lastSeen (ms since the epoch), firstSeen,
missedBeats, addresses, agents, load, queueDepth, freeSlots, version, hlc,
seq, startedAt, intervalMs, rtt, beats, restarts, discoveredVia,
connections [{remoteAddr, direction, kind, ice?, openedAt}], holePunch?
{state, reason?, at, ms?, attempts}}.`)
    .action(async (opts: { dataDir: string, json?: boolean }) => {
      const client = await ApiClient.forDataDir(opts.dataDir)
      const peers = await client.get<PeerReport[]>('/v1/peers')
      if (opts.json === true) {
        process.stdout.write(JSON.stringify(peers, null, 2) + '\n')
        return
      }
      if (peers.length === 0) {
        process.stdout.write('no peers known yet\n')
        return
      }
      const now = Date.now()
      process.stdout.write(table(
        ['PEER', 'NAME', 'STATUS', 'LAST BEAT', 'RTT', 'LOAD', 'VERSION', 'FOUND VIA', 'LINK'],
        peers.map(p => [
          shortId(p.peerId, 12),
          p.name !== '' ? p.name : '-',
          paintStatus(p.status),
          p.beats > 0 ? ago(p.lastSeen, now) : 'none yet',
          rtt(p.rtt),
          p.load.toFixed(2),
          p.version,
          p.discoveredVia ?? '-',
          link(p)
        ])
      ) + '\n')
    })
}

/** How this node reaches a peer: each connection's kind and direction, and why a hole punch failed */
function link (peer: PeerReport): string {
  const links = peer.connections.map(c => c.kind === 'hole-punched' ? `hole-punched (webrtc${c.ice != null ? `: ${c.ice}` : ''}) ${c.direction}` : `${c.kind} ${c.direction}`)
  if (peer.holePunch?.state === 'failed' && !peer.connections.some(c => c.kind !== 'relayed')) links.push(`no hole punch: ${peer.holePunch.reason ?? 'failed'}`)
  return links.length === 0 ? '-' : links.join(', ')
}
