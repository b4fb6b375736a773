import { ConnectionFailedError, ListenError, StreamResetError, TypedEventEmitter, serviceCapabilities, transportSymbol } from '@libp2p/interface'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { Memory } from '@multiformats/multiaddr-matcher'
import { MessageChannel } from 'node:worker_threads'
import type { AbortOptions, ComponentLogger, CreateListenerOptions, DialTransportOptions, Listener, ListenerEvents, Logger, PeerId, Transport, Upgrader } from '@libp2p/interface'
import type { AbstractMultiaddrConnectionInit, SendResult } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { MessagePort } from 'node:worker_threads'
import type { Uint8ArrayList } from 'uint8arraylist'

/** A dial from another thread: the listener's address, the dialer's peer id and its end of the channel */
interface RemoteDial {
  dial: string
  from: string
  port: MessagePort
}

/** The first message on a channel: whether a listener took it */
type DialAnswer = 'ok' | 'refused'

/**
 * Where the `/memory/<name>` listeners of a simulation live, across worker
 * threads: the listeners of this thread, and a port to each other thread
 * whose listeners it reaches through that thread's router. A dial makes a
 * message channel; its far end goes to the listener's thread, which answers
 * on it whether a listener took it. Bytes then flow over the channel in
 * order, as over libp2p's in-memory transport within one thread.
 */
export class ThreadRouter {
  private readonly listeners = new Map<string, ThreadListener>()
  private readonly threads: Map<number, MessagePort>
  private readonly self: number
  private readonly threadOf: (address: string) => number | undefined

  /**
   * @param self - this thread's number
   * @param threads - a port to the router of each other thread, by number
   * @param threadOf - the thread a `/memory/<name>` address listens in
   */
  constructor (self: number, threads: Map<number, MessagePort>, threadOf: (address: string) => number | undefined) {
    this.self = self
    this.threads = threads
    this.threadOf = threadOf
    for (const port of threads.values()) {
      port.on('message', (msg: RemoteDial) => { this.accept(msg) })
      port.unref()
    }
  }

  register (address: string, listener: ThreadListener): void {
    if (this.listeners.has(address)) throw new ListenError(`Memory address ${address} already in use`)
    this.listeners.set(address, listener)
  }

  unregister (address: string, listener: ThreadListener): void {
    if (this.listeners.get(address) === listener) this.listeners.delete(address)
  }

  /** Opens a channel to the listener at `address`; rejects if none takes it */
  async connect (address: string, from: PeerId, options: AbortOptions): Promise<MessagePort> {
    const thread = this.threadOf(address)
    if (thread == null) throw new ConnectionFailedError(`No memory listener found at ${address}`)
    const { port1, port2 } = new MessageChannel()
    const answered = new Promise<DialAnswer>((resolve, reject) => {
      const onAbort = (): void => { port1.close(); reject(options.signal?.reason ?? new Error('dial aborted')) }
      options.signal?.addEventListener('abort', onAbort, { once: true })
      port1.once('message', (answer: DialAnswer) => {
        options.signal?.removeEventListener('abort', onAbort)
        resolve(answer)
      })
    })
    const dial: RemoteDial = { dial: address, from: from.toString(), port: port2 }
    if (thread === this.self) {
      this.accept(dial)
    } else {
      const router = this.threads.get(thread)
      if (router == null) throw new ConnectionFailedError(`No route to the thread of ${address}`)
      router.postMessage(dial, [port2])
    }
    if (await answered !== 'ok') {
      port1.close()
      throw new ConnectionFailedError(`No memory listener found at ${address}`)
    }
    return port1
  }

  private accept ({ dial, from, port }: RemoteDial): void {
    const listener = this.listeners.get(dial)
    if (listener == null) {
      port.postMessage('refused' satisfies DialAnswer)
      return
    }
    port.postMessage('ok' satisfies DialAnswer)
    listener.inbound(port, from)
  }
}

interface PortConnectionInit extends AbstractMultiaddrConnectionInit {
  port: MessagePort
}

/**
 * One end of a connection over a message channel. Each write is one message
 * (a copy of its bytes); `close` and `reset` are messages too. The channel
 * keeps the writes in order; the reader does not push back.
 */
class PortConnection extends AbstractMultiaddrConnection {
  private readonly port: MessagePort

  constructor (init: PortConnectionInit) {
    super(init)
    this.port = init.port
    this.port.on('message', (msg: Uint8Array | 'close' | 'reset') => {
      if (msg === 'close') {
        this.port.close()
        this.onTransportClosed()
      } else if (msg === 'reset') {
        this.port.close()
        this.abort(new StreamResetError('the far end reset the connection'))
      } else {
        this.onData(msg)
      }
    })
    this.port.on('close', () => { this.onTransportClosed() })
  }

  sendData (data: Uint8ArrayList): SendResult {
    this.port.postMessage(data.subarray())
    return { sentBytes: data.byteLength, canSendMore: true }
  }

  sendReset (): void {
    this.port.postMessage('reset')
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    this.port.postMessage('close')
    options?.signal?.throwIfAborted()
  }

  sendPause (): void {
    // the channel has no read backpressure
  }

  sendResume (): void {
    // the channel has no read backpressure
  }
}

interface ThreadListenerInit extends CreateListenerOptions {
  router: ThreadRouter
  logger: ComponentLogger
}

class ThreadListener extends TypedEventEmitter<ListenerEvents> implements Listener {
  private readonly init: ThreadListenerInit
  private readonly shutdown = new AbortController()
  private readonly log: Logger
  private address?: string

  constructor (init: ThreadListenerInit) {
    super()
    this.init = init
    this.log = init.logger.forComponent('overmind:sim:thread-memory')
  }

  async listen (ma: Multiaddr): Promise<void> {
    const name = ma.getComponents()[0]?.value
    if (name == null) throw new ListenError(`${ma.toString()} names no memory address`)
    this.address = `/memory/${name}`
    this.init.router.register(this.address, this)
    queueMicrotask(() => { this.safeDispatchEvent('listening') })
  }

  inbound (port: MessagePort, from: string): void {
    const maConn = new PortConnection({
      port,
      remoteAddr: multiaddr(`${this.address ?? '/memory/unknown'}-outgoing/p2p/${from}`),
      direction: 'inbound',
      log: this.log.newScope('inbound')
    })
    this.init.upgrader.upgradeInbound(maConn, { signal: this.shutdown.signal })
      .catch(err => { maConn.abort(err) })
  }

  getAddrs (): Multiaddr[] {
    return this.address == null ? [] : [multiaddr(this.address)]
  }

  updateAnnounceAddrs (): void {}

  async close (): Promise<void> {
    if (this.address != null) this.init.router.unregister(this.address, this)
    this.shutdown.abort()
    queueMicrotask(() => { this.safeDispatchEvent('close') })
  }
}

interface ThreadMemoryComponents {
  peerId: PeerId
  logger: ComponentLogger
  upgrader: Upgrader
}

class ThreadMemoryTransport implements Transport {
  readonly [transportSymbol] = true
  readonly [Symbol.toStringTag] = '@overmind/sim-thread-memory'
  readonly [serviceCapabilities]: string[] = ['@libp2p/transport']
  private readonly components: ThreadMemoryComponents
  private readonly router: ThreadRouter
  private readonly log: Logger

  constructor (components: ThreadMemoryComponents, router: ThreadRouter) {
    this.components = components
    this.router = router
    this.log = components.logger.forComponent('overmind:sim:thread-memory')
  }

  async dial (ma: Multiaddr, options: DialTransportOptions): Promise<any> {
    options.signal.throwIfAborted()
    const address = ma.getComponents().some((c: { name: string }) => c.name === 'p2p') ? ma.decapsulate('/p2p').toString() : ma.toString()
    const port = await this.router.connect(address, this.components.peerId, options)
    const maConn = new PortConnection({ port, remoteAddr: ma, direction: 'outbound', log: this.log.newScope('outbound') })
    try {
      options.signal.throwIfAborted()
      return await options.upgrader.upgradeOutbound(maConn, options)
    } catch (err: any) {
      maConn.abort(err)
      throw err
    }
  }

  createListener (options: CreateListenerOptions): Listener {
    return new ThreadListener({ ...options, router: this.router, logger: this.components.logger })
  }

  listenFilter (multiaddrs: Multiaddr[]): Multiaddr[] {
    return multiaddrs.filter(ma => Memory.exactMatch(ma))
  }

  dialFilter (multiaddrs: Multiaddr[]): Multiaddr[] {
    return this.listenFilter(multiaddrs)
  }
}

/**
 * libp2p's in-memory transport across the worker threads of one process:
 * `/memory/<name>` addresses, found through `router`
 */
export function threadMemory (router: ThreadRouter): (components: ThreadMemoryComponents) => Transport {
  return (components) => new ThreadMemoryTransport(components, router)
}
