import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * A lock shared by the suite's worker processes, so two spec files that
 * must not overlap take turns. A holder that died leaves its process id in
 * the lock, which the next caller then takes over.
 */
export async function acquire (name: string, timeout = 600_000): Promise<() => void> {
  const dir = join(tmpdir(), `overmind-test-lock-${name}`)
  const started = Date.now()
  for (;;) {
    try {
      mkdirSync(dir)
      writeFileSync(join(dir, 'pid'), String(process.pid))
      return () => { rmSync(dir, { recursive: true, force: true }) }
    } catch (err: any) {
      if (err.code !== 'EEXIST') throw err
    }
    if (!alive(dir)) {
      rmSync(dir, { recursive: true, force: true })
      continue
    }
    if (Date.now() - started > timeout) throw new Error(`the test lock ${dir} is held by process ${readPid(dir)} for more than ${timeout} ms`)
    await sleep(250)
  }
}

function readPid (dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, 'pid'), 'utf8'))
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

function alive (dir: string): boolean {
  const pid = readPid(dir)
  // a lock just made has no pid file for a moment
  if (pid == null) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}
