/** The data dir is missing, incomplete or holds an unreadable file */
export class DataDirError extends Error {
  static override name = 'DataDirError'
  override name = 'DataDirError'
}

/** A key file does not have the expected format */
export class InvalidKeyFileError extends Error {
  static override name = 'InvalidKeyFileError'
  override name = 'InvalidKeyFileError'
}

/** A string given as an invite is not one, or is damaged */
export class InvalidInviteError extends Error {
  static override name = 'InvalidInviteError'
  override name = 'InvalidInviteError'
}

/** An invite could not be redeemed: expired, used up, unknown to its node, or its node unreachable */
export class InviteRefusedError extends Error {
  static override name = 'InviteRefusedError'
  override name = 'InviteRefusedError'

  constructor (message: string, readonly reason: 'expired' | 'used-up' | 'unknown' | 'unreachable') {
    super(message)
  }
}

/** An agent could not be exported, lent or recalled (unknown agent, refused by the peer, a bad package) */
export class DelegationError extends Error {
  static override name = 'DelegationError'
  override name = 'DelegationError'
}
