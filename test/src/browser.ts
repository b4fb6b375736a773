import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { alive, delay } from './wait.js'
import type { Browser } from 'playwright-core'

/** Where Debian's `chromium` package puts the browser the page tests drive */
export const CHROMIUM = '/usr/bin/chromium'

/** Flags for a quiet headless Chromium that works as root in a container */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
]

/** How long an install may wait for another apt or dpkg run to let go of its lock, in seconds */
const APT_LOCK_TIMEOUT = 300

/** A headless Chromium, installed first when the machine has none */
export async function launchChromium (): Promise<Browser> {
  const executablePath = await ensureChromium()
  return await chromium.launch({ executablePath, args: CHROMIUM_ARGS })
}

/**
 * The path of Chromium. A fresh machine has none: it is installed with
 * apt-get (`chromium`), and when that fails (package lists never fetched, or
 * out of date) after an `apt-get update`. What it does goes to stderr, since
 * stdout belongs to the test runner.
 */
export async function ensureChromium (): Promise<string> {
  await installedInBackground()
  if (existsSync(CHROMIUM)) return CHROMIUM
  note(`${CHROMIUM} is missing: installing Chromium with apt-get`)
  if (process.getuid?.() !== 0) {
    throw new Error(`Chromium is not installed at ${CHROMIUM} and installing it needs root: run "apt-get install -y chromium" as root`)
  }
  const install = ['-o', `DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT}`, 'install', '-y', 'chromium']
  if (await aptGet(install) !== 0) {
    note('apt-get install failed: updating the package lists and trying again')
    const update = await aptGet(['-o', `DPkg::Lock::Timeout=${APT_LOCK_TIMEOUT}`, 'update'])
    if (update !== 0) throw new Error(`apt-get update exited with ${update}: see its output above`)
    const again = await aptGet(install)
    if (again !== 0) throw new Error(`apt-get install chromium exited with ${again}: see its output above`)
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`)
  note(`installed ${CHROMIUM}`)
  return CHROMIUM
}

/**
 * Where a background install (`install-chromium.js`, started by the test
 * runner while the suite begins) records its process id while it runs
 */
export const BACKGROUND_INSTALL = join(tmpdir(), 'overmind-chromium-install.pid')

/**
 * Waits for a background install of Chromium to end, if one runs: until it
 * does, the browser may be on disk and its libraries not yet
 */
async function installedInBackground (): Promise<void> {
  for (;;) {
    let pid: number
    try {
      pid = Number(readFileSync(BACKGROUND_INSTALL, 'utf8'))
    } catch {
      return
    }
    if (!(pid > 0) || pid === process.pid || !alive(pid)) return
    await delay(500)
  }
}

/** Runs apt-get non-interactively with its output on stderr; resolves to its exit code */
async function aptGet (args: string[]): Promise<number> {
  note(`running: apt-get ${args.join(' ')}`)
  const child = spawn('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  child.stdout.pipe(process.stderr, { end: false })
  child.stderr.pipe(process.stderr, { end: false })
  return await new Promise(resolve => {
    child.once('error', err => {
      note(`could not run apt-get: ${err.message}`)
      resolve(-1)
    })
    child.once('close', code => { resolve(code ?? -1) })
  })
}

function note (message: string): void {
  process.stderr.write(`browser: ${message}\n`)
}
