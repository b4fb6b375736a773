// The order test files start in: the longest first, so short ones fill in at the end
import { BaseSequencer } from 'vitest/node'

// as measured in a fresh clone on 2 cores (s): sim 126, sim-modes 102, bench 89, memory-load 89,
// sim-links 82, fresh-clone 70, memory-cli 66, mesh-processes 65, storage-repair 62, cli 41, join 39,
// demo 29, paused-peer 25, local-api 22, mesh-key 19
const LONGEST = ['sim', 'sim-modes', 'bench', 'memory-load', 'sim-links', 'fresh-clone', 'memory-cli', 'mesh-processes', 'storage-repair', 'cli', 'join', 'demo', 'paused-peer', 'local-api', 'mesh-key']

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
