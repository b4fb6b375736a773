/**
 * @packageDocumentation
 *
 * What a client of a running node needs, without loading the node itself:
 * the API client of `@overmind/api/client`, and the names of a data dir's files.
 */

export * from '@overmind/api/client'
export { CONFIG_FILE } from './files.js'
