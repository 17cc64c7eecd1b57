import { createHash, type Hash } from "node:crypto";
import type { DateOutcomeSink } from "../../core/filter/log-filter.js";

/**
 * Every line's date outcome folded into a SHA-256 as it comes (a split scan compares two
 * workers' digests): flat memory for any log size, and a hash that log text cannot be crafted
 * to collide.
 */
export class DateOutcomeDigest implements DateOutcomeSink {
  private readonly hash: Hash = createHash("sha256");
  private readonly values = new Float64Array(3 * 8192);
  private size = 0;

  push3(before: number, after: number, time: number): void {
    if (this.size + 3 > this.values.length) this.flush();
    this.values[this.size] = before;
    this.values[this.size + 1] = after;
    this.values[this.size + 2] = time;
    this.size += 3;
  }

  digest(): string {
    this.flush();
    return this.hash.digest("hex");
  }

  private flush(): void {
    this.hash.update(new Uint8Array(this.values.buffer, 0, this.size * 8));
    this.size = 0;
  }
}
