import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { IntervalHistogram } from 'node:perf_hooks'

import type { EventLoopReport, LoopDelay } from '@overmind/api'

export type { EventLoopReport, LoopDelay }

/** Sampling resolution of the delay histogram, ms */
const RESOLUTION = 10

/** Length of the window `recent` covers, ms */
const WINDOW = 10_000

/**
 * How long the event loop of this process waits before it can run what is
 * due: the liveness signal of a node, since heartbeats, pings and gossip
 * forwarding all wait behind whatever holds the loop. Two histograms of
 * `perf_hooks.monitorEventLoopDelay`: one since start, one per window.
 */
export class EventLoopMonitor {
  private readonly total: IntervalHistogram
  private current: IntervalHistogram
  private previous?: LoopDelay
  private timer?: ReturnType<typeof setInterval>

  constructor () {
    this.total = monitorEventLoopDelay({ resolution: RESOLUTION })
    this.current = monitorEventLoopDelay({ resolution: RESOLUTION })
  }

  start (): void {
    if (this.timer != null) return
    this.total.enable()
    this.current.enable()
    this.timer = setInterval(() => { this.roll() }, WINDOW)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.total.disable()
    this.current.disable()
  }

  report (): EventLoopReport {
    const now = figures(this.current)
    const recent = this.previous == null || now.max >= this.previous.max ? now : this.previous
    return { recent: { ...recent, windowMs: WINDOW }, sinceStart: figures(this.total) }
  }

  private roll (): void {
    this.previous = figures(this.current)
    this.current.reset()
  }
}

function figures (histogram: IntervalHistogram): LoopDelay {
  // the histogram counts the sampling interval itself in every sample
  const ms = (ns: number): number => histogram.count === 0 ? 0 : Math.max(0, Math.round((ns / 1e6 - RESOLUTION) * 100) / 100)
  return {
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
    mean: ms(histogram.mean)
  }
}
