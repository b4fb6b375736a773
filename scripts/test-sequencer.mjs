// The order test files start in: the longest first, so short ones fill in at the end
import { BaseSequencer } from 'vitest/node'

// as measured in a fresh clone on 2 cores (s): bench 178 (part of it waiting for the lab), sim-modes 91,
// sim 72 (its simulations two at a time, as sim-links'), mesh-processes 56, fresh-clone 56, memory-cli 55,
// memory-load 50, sim-links 47, storage-repair 45, netns-lab 45, run-agent-cli 32, run-queue 30, join 25.
// webrtc-links goes first, before anything starts node processes in network namespaces (its
// WebRTC links on loopback have failed beside them, see its spec); the NAT lab goes when the first
// of the two longest ends, and the run-agent benchmark in bench waits for it if they meet.
const LONGEST = ['webrtc-links', 'sim', 'memory-load', 'netns-lab', 'sim-modes', 'bench', 'sim-links', 'fresh-clone', 'storage-repair', 'mesh-processes', 'memory-cli', 'join', 'cli', 'demo', 'paused-peer', 'local-api', 'run-agent-cli']

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
