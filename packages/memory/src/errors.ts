/** Why an entry from outside (a peer, a file) was refused */
export type RejectReason =
  | 'oversized'
  | 'malformed'
  | 'unknown-zone'
  | 'bad-author'
  | 'bad-signature'
  | 'zone-not-replicated'
  /** Its author signed another entry with the same seq: kept as evidence, never folded */
  | 'equivocation'

/** An entry failed a check; nothing of it was stored */
export class EntryRejectedError extends Error {
  static override name = 'EntryRejectedError'
  override name = 'EntryRejectedError'
  constructor (readonly reason: RejectReason, message: string) {
    super(`${reason}: ${message}`)
  }
}

/** No chunk with this id is visible to the reader (absent, forgotten or in another agent's private zone) */
export class ChunkNotFoundError extends Error {
  static override name = 'ChunkNotFoundError'
  override name = 'ChunkNotFoundError'
}

/** Input from a caller is not acceptable (empty text, too long, unknown zone…) */
export class InvalidInputError extends Error {
  static override name = 'InvalidInputError'
  override name = 'InvalidInputError'
}

/** Only the node that wrote a chunk may forget it */
export class NotAuthorError extends Error {
  static override name = 'NotAuthorError'
  override name = 'NotAuthorError'
}

/** Something of a zone that stays on this node was about to be sent to a peer */
export class ZoneViolationError extends Error {
  static override name = 'ZoneViolationError'
  override name = 'ZoneViolationError'
}

/** The embedder could not produce vectors */
export class EmbedderError extends Error {
  static override name = 'EmbedderError'
  override name = 'EmbedderError'
}

/** The store is closed */
export class StoreClosedError extends Error {
  static override name = 'StoreClosedError'
  override name = 'StoreClosedError'
}

/** What went wrong with the disk under a store */
export type StorageProblem = 'full' | 'corrupt' | 'missing' | 'locked' | 'io'

/**
 * The disk under a store failed or holds something the store cannot trust:
 * `problem` says what, `path` which file or folder. After a failed write the
 * store acknowledges no write until it has reopened and checked its files.
 */
export class StorageError extends Error {
  static override name = 'StorageError'
  override name = 'StorageError'
  constructor (readonly problem: StorageProblem, readonly path: string, message: string, options?: ErrorOptions) {
    super(message, options)
  }
}
