import { createSocket } from 'node:dgram'
import stun from '@msimerson/stun'
import { multiaddr } from '@multiformats/multiaddr'
import type { ComponentLogger, Logger, Startable } from '@libp2p/interface'
import type { AddressManager } from '@libp2p/interface-internal'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Socket } from 'node:dgram'

/** STUN servers a relay announces, at most (the heartbeat's limit) */
const MAX_ANNOUNCED = 4

export interface StunServerInit {
  /** UDP port; when it is taken, the server takes another and says so */
  port: number
  /** Address to bind, every IPv4 interface by default */
  host?: string
}

export interface StunServerComponents {
  addressManager: AddressManager
  logger: ComponentLogger
}

/** The STUN server of a relay node, as a libp2p service */
export interface StunServer {
  /** The UDP port it answers on, once started */
  readonly port: number | undefined
  /** Binding requests answered since start */
  readonly answered: number
  /** Where members reach it: the hosts this node announces, at the server's port */
  addresses(): Multiaddr[]
}

/**
 * A STUN server (Binding requests only, RFC 8489) run by relay nodes, so
 * members behind NAT learn their outside address from a node of their own
 * mesh and never from a server outside it. WebRTC's ICE uses it to find the
 * addresses two nodes try when they hole-punch a direct link.
 */
class StunService implements StunServer, Startable {
  private readonly init: StunServerInit
  private readonly components: StunServerComponents
  private readonly log: Logger
  private socket?: Socket
  private server?: any
  port: number | undefined
  answered = 0

  constructor (components: StunServerComponents, init: StunServerInit) {
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('overmind:stun')
  }

  readonly [Symbol.toStringTag] = 'overmind/stun'

  async start (): Promise<void> {
    const host = this.init.host ?? '0.0.0.0'
    try {
      this.socket = await bind(host, this.init.port)
    } catch (err: any) {
      if (err.code !== 'EADDRINUSE' || this.init.port === 0) throw err
      this.socket = await bind(host, 0)
      this.log.error('UDP port %d is taken: the STUN server answers on %d instead (members learn it from heartbeats)', this.init.port, this.socket.address().port)
    }
    this.port = this.socket.address().port
    const { STUN_BINDING_RESPONSE, STUN_EVENT_BINDING_REQUEST } = stun.constants
    const server = stun.createServer({ type: 'udp4', socket: this.socket })
    server.on(STUN_EVENT_BINDING_REQUEST, (request: any, from: { address: string, port: number }) => {
      const response = stun.createMessage(STUN_BINDING_RESPONSE, request.transactionId)
      response.addXorAddress(from.address, from.port)
      response.addFingerprint()
      server.send(response, from.port, from.address)
      this.answered++
    })
    // anything that is not STUN, or not a Binding request, is dropped
    server.on('error', () => {})
    this.server = server
    this.log('STUN server on udp %s:%d', host, this.port)
  }

  async stop (): Promise<void> {
    this.server?.close()
    this.server = undefined
    // the server leaves a socket it was given open
    const socket = this.socket
    this.socket = undefined
    if (socket != null) await new Promise<void>(resolve => { socket.close(() => { resolve() }) })
  }

  addresses (): Multiaddr[] {
    if (this.port == null) return []
    const hosts = new Set<string>()
    for (const address of this.components.addressManager.getAddresses()) {
      const [first] = address.getComponents()
      if (address.toString().includes('/p2p-circuit') || !['ip4', 'ip6', 'dns4', 'dns6'].includes(first.name)) continue
      hosts.add(`/${first.name}/${first.value ?? ''}`)
    }
    return [...hosts].slice(0, MAX_ANNOUNCED).map(host => multiaddr(`${host}/udp/${this.port}`))
  }
}

async function bind (host: string, port: number): Promise<Socket> {
  const socket = createSocket('udp4')
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject)
    socket.bind(port, host, () => {
      socket.off('error', reject)
      resolve()
    })
  })
  socket.on('error', () => {})
  return socket
}

export function stunServer (init: StunServerInit): (components: StunServerComponents) => StunServer {
  return (components) => new StunService(components, init)
}
