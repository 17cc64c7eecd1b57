/**
 * fail2ban's `Utils.Cache` for multi-line failure ids: at most `maxCount` entries, each valid for
 * `maxTime` seconds; when full, the oldest entries are dropped first (FIFO), expired or not.
 */
export class MlfidCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  constructor(
    private readonly maxCount: number,
    private readonly maxTime: number,
  ) {}

  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires > now) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: V, now: number): void {
    if (this.entries.size >= this.maxCount) {
      for (const [k, e] of this.entries) {
        this.entries.delete(k);
        if (e.expires > now && this.entries.size < this.maxCount) break;
      }
    }
    this.entries.delete(key);
    this.entries.set(key, { value, expires: now + this.maxTime });
  }

  unset(key: string): void {
    this.entries.delete(key);
  }

  /** The entries, oldest first, as [key, expiry, value]. */
  snapshot(): [string, number, V][] {
    return [...this.entries].map(([key, entry]) => [key, entry.expires, entry.value]);
  }

  /** Replaces the entries with a `snapshot()`'s (oldest first), expiry and order included. */
  restore(entries: readonly (readonly [string, number, V])[]): void {
    this.entries.clear();
    for (const [key, expires, value] of entries) this.entries.set(key, { value, expires });
  }
}
