/** An append-only list of numbers in one growing Float64Array (cheap to record, to compare and to transfer). */
export class NumberLog {
  private values = new Float64Array(3 * 1024);
  private size = 0;

  push3(a: number, b: number, c: number): void {
    if (this.size + 3 > this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size] = a;
    this.values[this.size + 1] = b;
    this.values[this.size + 2] = c;
    this.size += 3;
  }

  get length(): number {
    return this.size;
  }

  /** The numbers so far, in an array of their own. */
  take(): Float64Array {
    const out = this.values.slice(0, this.size);
    this.size = 0;
    return out;
  }
}

/** Whether two recorded lists hold the same numbers, bit for bit (NaN equals NaN). */
export function sameNumbers(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
