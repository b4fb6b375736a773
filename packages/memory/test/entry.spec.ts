import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { vectorFromBytes, vectorToBytes } from '../src/entry.js'

describe('embedding bytes', () => {
  it('are the little-endian float32 bytes of the vector, and read back to the same vector', () => {
    const vector = Float32Array.from([0, -1.5, 3.25e-7, Math.PI, -0, 1e30])
    const bytes = vectorToBytes(vector)
    assert.equal(bytes.byteLength, vector.length * 4)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    vector.forEach((value, i) => { assert.equal(view.getFloat32(i * 4, true), value) })
    assert.deepEqual(vectorFromBytes(bytes), vector)
    // bytes of their own: changing the vector afterwards leaves them as they were
    vector[1] = 7
    assert.equal(view.getFloat32(4, true), -1.5)
  })

  it('read from a view inside a larger buffer, and ignore a trailing part of a float', () => {
    const big = new Uint8Array(64)
    const inner = vectorToBytes(Float32Array.from([1, 2, 3]))
    big.set(inner, 5)
    assert.deepEqual(vectorFromBytes(big.subarray(5, 5 + 12)), Float32Array.from([1, 2, 3]))
    assert.deepEqual(vectorFromBytes(big.subarray(5, 5 + 14)), Float32Array.from([1, 2, 3]))
  })
})
