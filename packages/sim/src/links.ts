import { AbstractMultiaddrConnection } from '@libp2p/utils'
import type { Fault, Scenario } from './scenario.js'
import type { AbortOptions, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import type { SendResult } from '@libp2p/utils'

/** What a link adds to every write that crosses it, one way */
export interface LinkShape {
  /** ms of delay */
  latency: number
  /** each write is delayed by latency plus or minus up to this many ms, uniformly */
  jitter: number
  /** the share of writes lost once and sent again */
  loss: number
}

export const NO_SHAPE: LinkShape = Object.freeze({ latency: 0, jitter: 0, loss: 0 })

/**
 * What a lost write costs over a reliable stream: the sender notices after
 * its retransmission timeout (Linux's minimum is 200 ms) and sends it again,
 * and every later write of the link waits behind it, as over TCP
 */
export const RETRANSMIT_MS = 200

/** Two shapes on one link: latencies add up, the wider jitter wins, losses compound */
export function combine (a: LinkShape, b: LinkShape): LinkShape {
  return { latency: a.latency + b.latency, jitter: Math.max(a.jitter, b.jitter), loss: 1 - (1 - a.loss) * (1 - b.loss) }
}

/** A link fault as scheduled: from `at` for `for` ms (until the end without `for`) */
interface ActiveFault { from: number, until: number, shape: LinkShape, covers(a: number, b: number): boolean }

/**
 * The shape of each link of the mesh at each moment: the scenario's
 * `network` for every link, plus the link faults under way
 */
export class LinkShaper {
  private readonly base: LinkShape
  private readonly faults: ActiveFault[] = []

  constructor (network: Scenario['network']) {
    this.base = { latency: network.latency, jitter: network.jitter, loss: network.loss }
  }

  /** Applies a link fault (`latency`, `jitter` or `loss` on the links of `on`, or on `link`) from `now` */
  apply (fault: Fault, now: number): void {
    const shape = { latency: fault.latency ?? 0, jitter: fault.jitter ?? 0, loss: fault.loss ?? 0 }
    const pair = fault.link
    const group = fault.on == null || fault.on === 'all' ? undefined : new Set(fault.on)
    this.faults.push({
      from: now,
      until: fault.for == null ? Infinity : now + fault.for,
      shape,
      covers: pair != null
        ? (a, b) => (a === pair[0] && b === pair[1]) || (a === pair[1] && b === pair[0])
        : (a, b) => group == null || group.has(a) || group.has(b)
    })
  }

  /**
   * What node `a`'s port adds to each packet each way at `now` (mode: netns
   * shapes ports, and a link crosses two): half the network's shape, plus
   * the faults on groups the node is in. A link between a slowed node and
   * another pays the fault once, a link between two slowed nodes twice.
   */
  portShape (a: number, now: number): LinkShape {
    const { latency, jitter, loss } = this.base
    let shape = { latency: latency / 2, jitter: jitter / 2, loss: 1 - Math.sqrt(1 - loss) }
    for (const fault of this.faults) {
      if (now >= fault.from && now < fault.until && fault.covers(a, -1)) shape = combine(shape, fault.shape)
    }
    return shape
  }

  /** The shape of the link between nodes `a` and `b` at `now` */
  shape (a: number, b: number | undefined, now: number): LinkShape {
    if (b == null) return NO_SHAPE
    let shape = this.base
    for (const fault of this.faults) {
      if (now >= fault.from && now < fault.until && fault.covers(a, b)) shape = combine(shape, fault.shape)
    }
    return shape
  }
}

/** Whether a scenario shapes any link, ever: without, connections are left as they are */
export function shapesLinks (scenario: Scenario): boolean {
  const { latency, jitter, loss, bandwidth } = scenario.network
  return latency > 0 || jitter > 0 || loss > 0 || bandwidth > 0 || scenario.faults.some(isLinkFault)
}

/**
 * A node's uplink: the writes of all its connections leave one after the
 * other at `bitsPerSecond`, each once the ones before it are sent
 */
export class Uplink {
  private readonly bitsPerSecond: number
  private free = 0

  constructor (bitsPerSecond: number) {
    this.bitsPerSecond = bitsPerSecond
  }

  /** When a write of `bytes` made at `now` has left (ms, as performance.now()) */
  send (bytes: number, now: number): number {
    this.free = Math.max(now, this.free) + bytes * 8_000 / this.bitsPerSecond
    return this.free
  }
}

/** A fault that shapes links: latency, jitter or loss */
export function isLinkFault (fault: Fault): boolean {
  return fault.latency != null || fault.jitter != null || fault.loss != null
}

interface ShapedInit {
  maConn: MultiaddrConnection
  shape(): LinkShape
  random(): number
  /** The node's uplink, shared by its connections, when its bandwidth is limited */
  uplink?: Uplink
}

/**
 * A connection whose writes leave after the delay of its link, in order:
 * below the private network and noise, as a slow or lossy network would
 * hold them
 */
class ShapedConnection extends AbstractMultiaddrConnection {
  private readonly maConn: MultiaddrConnection
  private readonly shapeNow: () => LinkShape
  private readonly random: () => number
  private readonly uplink?: Uplink
  private readonly queue: Array<{ due: number, data: Uint8Array }> = []
  private lastDue = 0
  private timer?: ReturnType<typeof setTimeout>
  private flushed?: PromiseWithResolvers<void>

  constructor (init: ShapedInit) {
    super({ remoteAddr: init.maConn.remoteAddr, direction: init.maConn.direction, log: init.maConn.log.newScope('shaped') })
    this.maConn = init.maConn
    this.shapeNow = init.shape
    this.random = init.random
    this.uplink = init.uplink
    this.maConn.addEventListener('message', (evt) => {
      this.onData(evt.data)
    })
    this.maConn.addEventListener('drain', () => {
      this.onMuxerDrain()
    })
    this.maConn.addEventListener('close', (evt) => {
      this.clear()
      if (evt.error != null) {
        if (evt.local) this.abort(evt.error)
        else this.onRemoteReset()
      } else {
        this.onTransportClosed()
      }
    })
  }

  sendData (data: Parameters<AbstractMultiaddrConnection['sendData']>[0]): SendResult {
    const bytes = data.subarray()
    const { latency, jitter, loss } = this.shapeNow()
    if (latency === 0 && jitter === 0 && loss === 0 && this.uplink == null && this.queue.length === 0) {
      return { sentBytes: bytes.byteLength, canSendMore: this.maConn.send(bytes) }
    }
    let delay = latency + (jitter > 0 ? (this.random() * 2 - 1) * jitter : 0)
    // lost once: sent again after the retransmission timeout, one more trip
    if (loss > 0 && this.random() < loss) delay += RETRANSMIT_MS + latency
    const now = performance.now()
    // through a limited uplink, a write starts its trip once it has been sent
    const sent = this.uplink?.send(bytes.byteLength, now) ?? now
    const due = Math.max(sent + Math.max(0, delay), this.lastDue)
    this.lastDue = due
    this.queue.push({ due, data: bytes })
    this.arm()
    return { sentBytes: bytes.byteLength, canSendMore: true }
  }

  private arm (): void {
    if (this.timer != null || this.queue.length === 0) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      this.flush()
    }, Math.max(0, this.queue[0].due - performance.now()))
  }

  private flush (): void {
    const now = performance.now()
    while (this.queue.length > 0 && this.queue[0].due <= now + 0.5) {
      const { data } = this.queue.shift() as { data: Uint8Array }
      this.maConn.send(data)
    }
    if (this.queue.length > 0) this.arm()
    else this.flushed?.resolve()
  }

  private clear (): void {
    if (this.timer != null) clearTimeout(this.timer)
    this.timer = undefined
    this.queue.length = 0
    this.flushed?.resolve()
  }

  async sendClose (options?: AbortOptions): Promise<void> {
    if (this.queue.length > 0) {
      this.flushed ??= Promise.withResolvers()
      await this.flushed.promise
    }
    await this.maConn.close(options)
  }

  sendReset (err: Error): void {
    this.clear()
    this.maConn.abort(err)
  }

  sendPause (): void {
    this.maConn.pause()
  }

  sendResume (): void {
    this.maConn.resume()
  }
}

/**
 * Wraps a node's connection protector (its private network) so that every
 * connection is shaped below it: each write waits for its link's latency,
 * jitter and loss, as `shape(remote peer)` says when it is written, and
 * with a `bandwidth` (bits per second), for the node's earlier writes on
 * any of its connections to be sent. The
 * remote peer is read from the connection's address, which the in-memory
 * transport gives both ends.
 */
export function shapedProtector (
  protector: (components: any) => ConnectionProtector,
  shape: (remotePeer: string | undefined) => LinkShape,
  random: () => number,
  bandwidth = 0
): (components: any) => ConnectionProtector {
  return (components) => {
    const inner = protector(components)
    const uplink = bandwidth > 0 ? new Uplink(bandwidth) : undefined
    return {
      async protect (connection: MessageStream, options?: AbortOptions): Promise<MessageStream> {
        const maConn = connection as MultiaddrConnection
        // a relayed connection crosses two links that are shaped already
        if (maConn.remoteAddr == null || maConn.remoteAddr.toString().includes('/p2p-circuit')) return await inner.protect(connection, options)
        const remote = maConn.remoteAddr.getComponents().findLast(c => c.name === 'p2p')?.value
        const shaped = new ShapedConnection({ maConn, shape: () => shape(remote), random, uplink })
        return await inner.protect(shaped, options)
      }
    }
  }
}
