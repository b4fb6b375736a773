/** Why a heartbeat was refused by the topic validator */
export type RejectReason =
  | 'unsigned'
  | 'oversized'
  | 'malformed'
  | 'author-mismatch'
  | 'wrong-mesh'
  | 'bad-interval'
  | 'clock-drift'
  | 'bad-signature'

export class InvalidHeartbeatError extends Error {
  static override name = 'InvalidHeartbeatError'
  override name = 'InvalidHeartbeatError'

  constructor (readonly reason: RejectReason, message: string) {
    super(message)
  }
}
