/** Largest encoded heartbeat a receiver accepts, in bytes */
export const MAX_HEARTBEAT_SIZE = 8 * 1024

/** Longest string field (name, version, capability, mesh) in bytes */
export const MAX_STRING_LENGTH = 256

/** Repeated-field limits passed to `Heartbeat.decode` */
export const HEARTBEAT_LIMITS = {
  addresses: 32,
  agents: 256,
  agents$: {
    capabilities: 32
  }
}
