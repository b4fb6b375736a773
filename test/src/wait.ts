/** Polls `check` until it returns a value other than undefined/false, or fails after `timeout` ms */
export async function waitFor<T> (check: () => T | undefined | false | Promise<T | undefined | false>, options: { timeout?: number, interval?: number, message?: string | (() => string) } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeout ?? 30_000)
  let lastError: unknown
  while (true) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) {
        return value
      }
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      const message = typeof options.message === 'function' ? options.message() : options.message
      throw new Error(`timed out waiting for ${message ?? 'a condition'}${lastError != null ? ` (last error: ${String((lastError as Error).message ?? lastError)})` : ''}`)
    }
    await delay(options.interval ?? 200)
  }
}

/** Whether a process with this id runs */
export function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function delay (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
