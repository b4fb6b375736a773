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

/** No node is running for this data dir, or its API could not be reached */
export class NodeNotRunningError extends Error {
  static override name = 'NodeNotRunningError'
  override name = 'NodeNotRunningError'
}

/** The local API refused or failed a request */
export class ApiRequestError extends Error {
  static override name = 'ApiRequestError'
  override name = 'ApiRequestError'

  constructor (message: string, readonly status?: number) {
    super(message)
  }
}
