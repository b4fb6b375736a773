/**
 * A growing list of 32-bit integers in a typed array. Past a few values its
 * memory lies outside the JavaScript heap, so the garbage collector neither
 * copies nor scans it: posting lists that grow with every chunk written
 * would otherwise pass through the young generation at each growth and be
 * copied out of it, which is most of what a collection of the young
 * generation costs during an import.
 */
export class IntList {
  values: Int32Array<ArrayBuffer> = new Int32Array(4)
  length = 0

  push (value: number): void {
    if (this.length === this.values.length) this.grow()
    this.values[this.length++] = value
  }

  /** The values, as a plain array */
  toArray (): number[] {
    return Array.from(this.values.subarray(0, this.length))
  }

  private grow (): void {
    this.values = grown(this.values, this.values.length * 2)
  }
}

type Growable = Uint8Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer>

/** A copy of a typed array, of the same type, with room for `capacity` values */
export function grown<T extends Growable> (array: T, capacity: number): T {
  const copy = new (array.constructor as new (length: number) => T)(capacity)
  copy.set(array)
  return copy
}
