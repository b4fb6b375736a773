import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'

/**
 * Lowers the scheduling priority of the calling thread (a nice value, 0 to
 * 19) so the event loop that serves the network, and the work on its path,
 * win the CPU when every core is busy; background work takes what is left.
 * Linux names the calling thread in /proc/thread-self; elsewhere this does
 * nothing.
 */
export function lowerThreadPriority (nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1))
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, nice)
  } catch {}
}
