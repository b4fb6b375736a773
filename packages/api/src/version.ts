import { readFileSync } from 'node:fs'

/** This software's version, from the package manifest */
export const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version
