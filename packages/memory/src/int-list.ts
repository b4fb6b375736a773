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

  /**
   * The values, as a view of the list's memory (no copy): values pushed
   * later are not in it, and it stays valid when the list grows
   */
  view (): Int32Array<ArrayBuffer> {
    return this.values.subarray(0, this.length)
  }

  /** The values of several lists, one after the other: a view of the only one, or a copy of all */
  static concat (lists: IntList[]): Int32Array<ArrayBuffer> {
    if (lists.length === 1) return lists[0].view()
    const out = new Int32Array(lists.reduce((n, list) => n + list.length, 0))
    let at = 0
    for (const list of lists) {
      out.set(list.view(), at)
      at += list.length
    }
    return out
  }

  private grow (): void {
    this.values = grown(this.values, this.values.length * 2)
  }
}

/** Chunk ordinals, as a plain array or a view of a posting list */
export type Ordinals = number[] | Int32Array<ArrayBuffer>

type Growable = Uint8Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer>

/** A copy of a typed array, of the same type, with room for `capacity` values */
export function grown<T extends Growable> (array: T, capacity: number): T {
  const copy = new (array.constructor as new (length: number) => T)(capacity)
  copy.set(array)
  return copy
}
