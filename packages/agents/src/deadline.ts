/**
 * A signal that aborts with a `TimeoutError` after `ms`. Unlike
 * `AbortSignal.timeout`, its timer keeps the process alive while a run waits
 * on it; `clear()` it when the run ends.
 */
export function deadline (ms: number): { signal: AbortSignal, clear(): void } {
  const controller = new AbortController()
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`the deadline of ${ms} ms passed`, 'TimeoutError'))
  }, ms)
  return { signal: controller.signal, clear: () => { clearTimeout(timer) } }
}
