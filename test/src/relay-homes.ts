import { agents } from './agents.js'
import { startTestNode } from './in-process.js'
import { waitFor } from './wait.js'
import type { RunOutcome } from '@overmind/agents'
import type { OvermindConfig } from '@overmind/config'
import type { OvermindNode } from '@overmind/node'
import type { Multiaddr } from '@multiformats/multiaddr'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Refuses every direct (non-relayed) address of the peers `blocked` names */
export function onlyRelayedTo (blocked: () => string[]): { denyDialMultiaddr(ma: Multiaddr): boolean } {
  return {
    denyDialMultiaddr: (ma) => {
      const s = ma.toString()
      if (s.includes('/p2p-circuit')) return false
      const peer = ma.getComponents().findLast(c => c.name === 'p2p')?.value
      return peer != null && blocked().includes(peer)
    }
  }
}

/** Runs `upper` from `node` with `input`: the outcome and the output, as text */
export async function runUpper (node: OvermindNode, input: string): Promise<{ outcome: RunOutcome, output: string }> {
  const out: string[] = []
  const outcome = await node.libp2p.services.runAgent.run('upper', new TextEncoder().encode(input), {
    deadline: 20_000,
    onOutput: d => { out.push(text(d)) }
  })
  return { outcome, output: out.join('') }
}

/**
 * Homes A and B behind the relay at `relayAddr` (added to `nodes`), each
 * refusing direct dials to the peers `refused` names; B hosts `upper`.
 * Resolves once B holds a reservation and A has heard of B's agent.
 */
export async function homesBehind (relayAddr: string, psk: Uint8Array, nodes: OvermindNode[], refused: Record<'a' | 'b', (ids: { a: string, b: string }) => string[]>, config?: (c: OvermindConfig) => void): Promise<[OvermindNode, OvermindNode]> {
  const ids = { a: '', b: '' }
  const home = async (side: 'a' | 'b', agentList: Array<Record<string, unknown>>): Promise<OvermindNode> => await startTestNode({
    psk,
    bootstrap: [relayAddr],
    libp2p: { connectionGater: onlyRelayedTo(() => refused[side](ids)) },
    config: c => {
      c.nat.role = 'private'
      c.nat.relays = [relayAddr]
      // the relayed path itself (webrtc-links.spec hole-punches)
      c.nat.webrtc = false
      c.agents = agents(agentList)
      config?.(c)
    }
  })
  const a = await home('a', [])
  nodes.push(a)
  const b = await home('b', [{ name: 'upper', runner: 'command', command: ['tr', 'a-z', 'A-Z'] }])
  nodes.push(b)
  Object.assign(ids, { a: a.peerId, b: b.peerId })
  await waitFor(() => b.addresses().some(x => x.includes('/p2p-circuit')), { timeout: 15_000, message: 'B never got a relay reservation' })
  await waitFor(() => a.libp2p.services.runAgent.agents().some(x => x.name === 'upper' && x.host === b.peerId), { timeout: 15_000, message: 'A never heard of B\'s agent' })
  return [a, b]
}
