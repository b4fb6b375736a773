#!/usr/bin/env node
// Bundles the compiled CLI (apps/cli/dist/src/bin.js) and the worker threads
// it starts into apps/cli/dist/bundle/, so that a node process loads a few
// files instead of resolving and reading some 1,500 modules through
// node_modules: `overmind start` uses 30–40% less CPU to start (`./scripts/bench cli`).
//
// Runs after `tsc -b` (`pnpm run build` does both). What stays outside:
// - native addons and the packages that read files beside themselves (the
//   sentence model's weights): imported from where they are installed, by a
//   path relative to the bundle, so each package resolves exactly what it
//   would unbundled;
// - files the workspace's modules read beside themselves (package.json for
//   the version, the live page's ui/ folder, packages they resolve at run
//   time): in a workspace module, `import.meta.url` is the URL of its
//   compiled file, not of the bundle. Worker scripts that are bundled too
//   (`new URL('./X-worker.js', import.meta.url)`) are the exception: they are
//   found beside the bundle.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const outdir = join(root, 'apps', 'cli', 'dist', 'bundle')

/** Entry points: the CLI, and the worker threads a node or the simulator starts */
const entries = [
  'apps/cli/dist/src/bin.js',
  'packages/memory/dist/src/entry-worker.js',
  'packages/memory/dist/src/graph-worker.js',
  'packages/memory/dist/src/sentence-worker.js',
  'packages/sim/dist/src/shard-worker.js'
].map(file => join(root, file))

/**
 * Loaded from where they are installed. prom-client too: the node loads one
 * instance of `@libp2p/prometheus-metrics` per node from node_modules (see
 * libp2pMetrics), and it must share prom-client with the bundle.
 */
const EXTERNAL = /^(classic-level|sodium-native|usearch|node-datachannel|@energetic-ai\/[^/]+|playwright-core|prom-client)(\/.*)?$/

const WORKERS = new Set(entries.map(file => file.slice(file.lastIndexOf(sep) + 1)).filter(name => name.endsWith('-worker.js')))
const WORKER_URL = /new URL\((['"])\.\/([\w-]+\.js)\1, import\.meta\.url\)/g
const META_RESOLVE = /import\.meta\.resolve\((['"])([^'"]+)\1\)/g

/** The URL of a file, as an expression relative to the bundle's own URL */
function fromBundle (file, bundleUrl) {
  return `new URL(${JSON.stringify(relative(outdir, file).split(sep).join('/'))}, ${bundleUrl}).href`
}

const inPlace = {
  name: 'overmind-in-place',
  setup (b) {
    b.onResolve({ filter: EXTERNAL }, async args => {
      if (args.pluginData === 'external') return undefined
      const res = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'external' })
      if (res.errors.length > 0) return { errors: res.errors }
      return { path: './' + relative(outdir, res.path).split(sep).join('/'), external: true }
    })
    const workspace = [join(root, 'packages'), join(root, 'apps'), join(root, 'protocols')]
    b.onLoad({ filter: /\.js$/ }, async args => {
      if (!workspace.some(dir => args.path.startsWith(dir + sep)) || args.path.includes(`${sep}node_modules${sep}`)) return undefined
      let source = readFileSync(args.path, 'utf8')
      if (!source.includes('import.meta.')) return undefined
      // the bundle's own import.meta.url, where a path relative to the bundle follows
      const bundleUrl = '\0bundle-url\0'
      // import.meta.resolve('pkg'): the file it names, found now from the module's own folder
      for (const [call, , specifier] of [...source.matchAll(META_RESOLVE)]) {
        const res = await b.resolve(specifier, { kind: 'dynamic-import', resolveDir: dirname(args.path), importer: args.path, pluginData: 'external' })
        if (res.errors.length > 0) return { errors: res.errors }
        source = source.replace(call, fromBundle(res.path, bundleUrl))
      }
      const contents = source
        .replace(WORKER_URL, (all, quote, name) => WORKERS.has(name) ? all.replace('import.meta.url', bundleUrl) : all)
        .replaceAll('import.meta.url', fromBundle(args.path, bundleUrl))
        .replaceAll(bundleUrl, 'import.meta.url')
      return { contents, loader: 'js', resolveDir: dirname(args.path) }
    })
  }
}

/** True when the bundle is newer than every module it holds, this script and the lockfile */
function upToDate () {
  const metaFile = join(outdir, 'meta.json')
  if (!existsSync(metaFile)) return false
  const made = statSync(metaFile).mtimeMs
  const { outputs } = JSON.parse(readFileSync(metaFile, 'utf8'))
  const sources = [...new Set(Object.values(outputs).flat())].map(input => join(root, input))
  sources.push(fileURLToPath(import.meta.url), join(root, 'pnpm-lock.yaml'))
  return Object.keys(outputs).every(file => existsSync(join(outdir, file))) &&
    sources.every(file => (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) <= made)
}

const missing = entries.filter(file => !existsSync(file))
if (missing.length > 0) {
  process.stderr.write(`bundle: not compiled yet: ${missing.map(f => relative(root, f)).join(', ')} (run tsc -b first)\n`)
  process.exit(1)
}
if (upToDate()) process.exit(0)
await rm(outdir, { recursive: true, force: true })
const { metafile } = await build({
  entryPoints: entries,
  absWorkingDir: root,
  outdir,
  entryNames: '[name]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  sourcemap: 'linked',
  logLevel: 'warning',
  metafile: true,
  // CommonJS dependencies call require(); an ES module has none of its own
  banner: { js: 'import { createRequire as __overmindRequire } from \'node:module\'; const require = __overmindRequire(import.meta.url);' },
  plugins: [inPlace]
})
// which modules each output holds: the CLI's tests check what a command loads
await writeFile(join(outdir, 'meta.json'), JSON.stringify({ outputs: Object.fromEntries(Object.entries(metafile.outputs).map(([file, out]) => [relative(outdir, join(root, file)), Object.keys(out.inputs)])) }))
