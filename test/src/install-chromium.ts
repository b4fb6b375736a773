// Installs Chromium for the page tests in the background while the suite
// starts (the test runner starts it when the machine has none), so the page
// tests find it installed instead of waiting for apt-get. It records its
// process id in BACKGROUND_INSTALL while it runs; the page tests wait for it.
import { rmSync, writeFileSync } from 'node:fs'
import { BACKGROUND_INSTALL, ensureChromium } from './browser.js'

writeFileSync(BACKGROUND_INSTALL, String(process.pid))
try {
  await ensureChromium()
} catch (err: any) {
  // the page tests try again and fail with the reason
  process.stderr.write(`browser: ${err.message}\n`)
  process.exitCode = 1
} finally {
  rmSync(BACKGROUND_INSTALL, { force: true })
}
