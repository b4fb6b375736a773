// Regenerates the TypeScript codecs in src/ from the .proto files in this folder
import { execFileSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = join(dirname(fileURLToPath(import.meta.url)), '..')
const protos = readdirSync(dir).filter(f => f.endsWith('.proto')).map(f => join(dir, f))
execFileSync(join(dir, 'node_modules', '.bin', 'protons'), ['--strict', '--output', join(dir, 'src'), ...protos], { stdio: 'inherit' })
