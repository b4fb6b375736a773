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

  constructor (message: string, readonly status?: number, readonly remoteName?: string) {
    super(message)
  }
}

/** A request to the local API is malformed */
export class BadRequestError extends Error {
  static override name = 'BadRequestError'
  override name = 'BadRequestError'
}

/** A request body or line is over its limit */
export class PayloadTooLargeError extends Error {
  static override name = 'PayloadTooLargeError'
  override name = 'PayloadTooLargeError'
}

/** The node was started without a memory store */
export class MemoryDisabledError extends Error {
  static override name = 'MemoryDisabledError'
  override name = 'MemoryDisabledError'
}

/** The local API would serve plain HTTP beyond loopback without being told to */
export class InsecureApiError extends Error {
  static override name = 'InsecureApiError'
  override name = 'InsecureApiError'
}
