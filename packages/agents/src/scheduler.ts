/** A held slot of an agent; release it exactly once when the run ends */
export interface Slot {
  release(): void
}

export type Admission =
  | { status: 'busy' }
  | {
    status: 'accepted'
    /** Runs of this agent waiting ahead of this one */
    position: number
    /** Resolves when the run may start; rejects with the signal's reason if it is aborted first */
    slot: Promise<Slot>
  }

export interface SchedulerInit {
  /** Runs waiting for a slot, all agents together */
  maxQueue: number
  /** Runs one caller may have waiting */
  maxQueuePerCaller: number
}

export interface AgentLoad {
  concurrency: number
  running: number
  queued: number
}

interface Waiter {
  caller: string
  resolve(slot: Slot): void
  reject(err: unknown): void
  detach(): void
}

interface Lane {
  concurrency: number
  running: number
  /**
   * Waiting runs of each caller, oldest first. The map's order is the order
   * callers are served in: a served caller moves to the end.
   */
  queues: Map<string, Waiter[]>
  queued: number
}

/**
 * Host-side admission and ordering of runs. Each agent has a number of
 * slots; runs beyond them wait in one bounded queue shared by the node.
 * Waiting runs of an agent are served round-robin between callers, so a
 * caller that floods the queue waits behind its own runs, not others'; and a
 * caller may hold only part of the queue, so others still find room. When a
 * run cannot start or wait, the answer is `busy` at once.
 */
export class Scheduler {
  private readonly init: SchedulerInit
  private readonly lanes = new Map<string, Lane>()
  private readonly queuedByCaller = new Map<string, number>()
  private queued = 0

  constructor (init: SchedulerInit) {
    this.init = init
  }

  /** Declares an agent and how many of its runs may go at once */
  addAgent (name: string, concurrency: number): void {
    if (this.lanes.has(name)) throw new Error(`agent "${name}" is already scheduled`)
    this.lanes.set(name, { concurrency: Math.max(1, concurrency), running: 0, queues: new Map(), queued: 0 })
  }

  /** Forgets an agent: its waiting runs fail with `reason`; slots still held are released as usual */
  removeAgent (name: string, reason: unknown): void {
    const lane = this.lanes.get(name)
    if (lane == null) return
    for (const queue of [...lane.queues.values()]) {
      for (const waiter of [...queue]) {
        this.remove(lane, waiter)
        waiter.reject(reason)
      }
    }
    this.lanes.delete(name)
  }

  /**
   * Asks for a slot of `agent` for a run from `caller`. Aborting `signal`
   * while the run waits takes it out of the queue.
   */
  admit (agent: string, caller: string, signal?: AbortSignal): Admission {
    const lane = this.lanes.get(agent)
    if (lane == null) throw new Error(`agent "${agent}" is not scheduled`)
    if (signal?.aborted === true) return { status: 'busy' }
    if (lane.running < lane.concurrency && lane.queued === 0) {
      lane.running++
      return { status: 'accepted', position: 0, slot: Promise.resolve(this.slot(lane)) }
    }
    const mine = this.queuedByCaller.get(caller) ?? 0
    if (this.queued >= this.init.maxQueue || mine >= this.init.maxQueuePerCaller) {
      return { status: 'busy' }
    }
    const position = lane.queued
    const slot = new Promise<Slot>((resolve, reject) => {
      const onAbort = (): void => {
        this.remove(lane, waiter)
        reject(signal?.reason)
      }
      const waiter: Waiter = {
        caller,
        resolve,
        reject,
        detach: () => { signal?.removeEventListener('abort', onAbort) }
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      let queue = lane.queues.get(caller)
      if (queue == null) {
        queue = []
        lane.queues.set(caller, queue)
      }
      queue.push(waiter)
      lane.queued++
      this.queued++
      this.queuedByCaller.set(caller, mine + 1)
    })
    return { status: 'accepted', position, slot }
  }

  /** Load of one agent, or undefined for an agent not scheduled here */
  load (agent: string): AgentLoad | undefined {
    const lane = this.lanes.get(agent)
    return lane == null ? undefined : { concurrency: lane.concurrency, running: lane.running, queued: lane.queued }
  }

  /** Runs waiting on this node */
  get queueDepth (): number {
    return this.queued
  }

  /** Fails every waiting run with `reason` (used when the node stops) */
  clear (reason: unknown): void {
    for (const lane of this.lanes.values()) {
      for (const queue of lane.queues.values()) {
        for (const waiter of [...queue]) {
          this.remove(lane, waiter)
          waiter.reject(reason)
        }
      }
    }
  }

  private slot (lane: Lane): Slot {
    let released = false
    return {
      release: () => {
        if (released) return
        released = true
        lane.running--
        this.dispatch(lane)
      }
    }
  }

  private dispatch (lane: Lane): void {
    while (lane.running < lane.concurrency) {
      const next = lane.queues.entries().next()
      if (next.done === true) return
      const [caller, queue] = next.value
      const waiter = queue[0]
      this.remove(lane, waiter)
      // the caller goes to the back: the next free slot serves someone else
      if (lane.queues.delete(caller)) lane.queues.set(caller, queue)
      lane.running++
      waiter.resolve(this.slot(lane))
    }
  }

  private remove (lane: Lane, waiter: Waiter): void {
    const queue = lane.queues.get(waiter.caller)
    const at = queue?.indexOf(waiter) ?? -1
    if (queue == null || at < 0) return
    waiter.detach()
    queue.splice(at, 1)
    if (queue.length === 0) lane.queues.delete(waiter.caller)
    lane.queued--
    this.queued--
    const left = (this.queuedByCaller.get(waiter.caller) ?? 1) - 1
    if (left > 0) this.queuedByCaller.set(waiter.caller, left)
    else this.queuedByCaller.delete(waiter.caller)
  }
}
