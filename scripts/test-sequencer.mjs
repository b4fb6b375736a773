// The order test files start in: the longest first, so short ones fill in at the end
import { BaseSequencer } from 'vitest/node'

const LONGEST = ['memory-load', 'sim', 'sim-modes', 'sim-links', 'mesh-processes', 'memory-cli', 'fresh-clone', 'storage-repair', 'cli', 'demo', 'join']

function rank (file) {
  const name = file.split('/').pop().replace(/\.spec\.js$/, '')
  const i = LONGEST.indexOf(name)
  return i === -1 ? LONGEST.length + (file.includes('/test/dist/e2e/') ? 0 : 1) : i
}

export class LongestFirst extends BaseSequencer {
  async sort (files) {
    return [...files].sort((a, b) => rank(a.moduleId) - rank(b.moduleId) || a.moduleId.localeCompare(b.moduleId))
  }
}
