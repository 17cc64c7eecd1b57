/**
 * int32 key → slot index, open addressing with linear probing and backward-shift deletion, in
 * two Int32Arrays. A JS Map spends ~38 bytes per entry; at a load factor ≤ 0.5 this spends ≤ 16,
 * which is what keeps a million tracked IPv4 addresses inside the guard's memory budget.
 */
export class IntSlotMap {
  private keys: Int32Array;
  /** slot + 1; 0 marks an empty bucket. */
  private values: Int32Array;
  private bits: number;
  size = 0;

  constructor(initialBits = 10) {
    this.bits = initialBits;
    this.keys = new Int32Array(1 << initialBits);
    this.values = new Int32Array(1 << initialBits);
  }

  private home(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> (32 - this.bits);
  }

  get(key: number): number | undefined {
    const mask = this.keys.length - 1;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const v = this.values[i] ?? 0;
      if (v === 0) return undefined;
      if (this.keys[i] === key) return v - 1;
    }
  }

  set(key: number, slot: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.rehash(this.bits + 1);
    const mask = this.keys.length - 1;
    for (let i = this.home(key); ; i = (i + 1) & mask) {
      const v = this.values[i] ?? 0;
      if (v === 0) {
        this.keys[i] = key;
        this.values[i] = slot + 1;
        this.size++;
        return;
      }
      if (this.keys[i] === key) {
        this.values[i] = slot + 1;
        return;
      }
    }
  }

  delete(key: number): boolean {
    const mask = this.keys.length - 1;
    let i = this.home(key);
    for (; ; i = (i + 1) & mask) {
      const v = this.values[i] ?? 0;
      if (v === 0) return false;
      if (this.keys[i] === key) break;
    }
    // Backward-shift: move later entries of the probe run into the hole (no tombstones).
    let hole = i;
    for (let j = (i + 1) & mask; (this.values[j] ?? 0) !== 0; j = (j + 1) & mask) {
      const h = this.home(this.keys[j] ?? 0);
      const between = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (!between) {
        this.keys[hole] = this.keys[j] ?? 0;
        this.values[hole] = this.values[j] ?? 0;
        hole = j;
      }
    }
    this.values[hole] = 0;
    this.size--;
    return true;
  }

  /** Calls `fn(key, slot)` for every entry; do not modify the map from inside. */
  forEach(fn: (key: number, slot: number) => void): void {
    for (let i = 0; i < this.values.length; i++) {
      const v = this.values[i] ?? 0;
      if (v !== 0) fn(this.keys[i] ?? 0, v - 1);
    }
  }

  private rehash(bits: number): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.bits = bits;
    this.keys = new Int32Array(1 << bits);
    this.values = new Int32Array(1 << bits);
    this.size = 0;
    for (let i = 0; i < oldValues.length; i++) {
      const v = oldValues[i] ?? 0;
      if (v !== 0) this.set(oldKeys[i] ?? 0, v - 1);
    }
  }
}
