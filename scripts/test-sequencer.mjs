// The order test files start in: the longest first, so short ones fill in at the end
import { BaseSequencer } from 'vitest/node'

// as measured in a fresh clone on 2 cores (s): sim 123, memory-load 117, sim-modes 110, bench 92,
// sim-links 88, memory-cli 84, fresh-clone 67, mesh-processes 66, storage-repair 58, netns-lab 44,
// cli 42, join 39, run-agent-cli 28, demo 26, paused-peer 25, local-api 17
const LONGEST = ['sim', 'memory-load', 'sim-modes', 'bench', 'sim-links', 'memory-cli', 'fresh-clone', 'mesh-processes', 'storage-repair', 'netns-lab', 'cli', 'join', 'run-agent-cli', 'demo', 'paused-peer', 'local-api']

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
