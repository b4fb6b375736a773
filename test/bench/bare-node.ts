/**
 * The floor of `overmind start` in the CLI benchmark: a bare js-libp2p node
 * (TCP, Noise, yamux, nothing else) in a process of its own. It says
 * "node started" on stderr once it listens, then runs until SIGTERM.
 *
 *   node bare-node.js
 */
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'

const node = await createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()]
})
process.stderr.write(`node started ${node.peerId.toString()}\n`)
process.once('SIGTERM', () => { void Promise.resolve(node.stop()).then(() => process.exit(0)) })
