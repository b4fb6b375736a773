import { readFile, writeFile } from 'node:fs/promises'
import { parseDocument } from 'yaml'

/**
 * Sets keys of a config file, given as dotted paths (`heartbeat.interval`),
 * keeping its comments and layout. The values are not validated here: the
 * file is, when it is loaded.
 */
export async function updateConfigFile (file: string, values: Record<string, unknown>): Promise<void> {
  const doc = parseDocument(await readFile(file, 'utf8'))
  for (const [key, value] of Object.entries(values)) {
    doc.setIn(key.split('.'), value)
  }
  await writeFile(file, doc.toString())
}
