// Regenerates the TypeScript codecs in src/ from the .proto files in this folder
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = join(dirname(fileURLToPath(import.meta.url)), '..')
const protos = readdirSync(dir).filter(f => f.endsWith('.proto')).map(f => join(dir, f))
execFileSync(join(dir, 'node_modules', '.bin', 'protons'), ['--strict', '--output', join(dir, 'src'), ...protos], { stdio: 'inherit' })

// the codecs decode with src/decode.ts's `decodeMessage`, which reads strings natively
for (const proto of protos) {
  const file = join(dir, 'src', basename(proto, '.proto') + '.ts')
  const lines = readFileSync(file, 'utf8').split('\n')
  if (!/^import \{.*\bdecodeMessage, .*\} from 'protons-runtime'$/.test(lines[0])) {
    throw new Error(`${file}: the first line does not import decodeMessage from protons-runtime`)
  }
  lines.splice(0, 1, lines[0].replace('decodeMessage, ', ''), "import { decodeMessage } from './decode.js'")
  writeFileSync(file, lines.join('\n'))
}
