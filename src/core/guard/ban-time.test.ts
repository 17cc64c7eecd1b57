import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { incrementedBanTime } from "./ban-time.js";

const inc = (o: Partial<Parameters<typeof incrementedBanTime>[2] & object> = {}) => ({
  factor: 1,
  maxtime: undefined,
  multipliers: [],
  overalljails: false,
  ...o,
});

describe("incrementedBanTime (fail2ban 1.0.2 jail.py:243-262)", () => {
  it("leaves the first ban and disabled increment alone", () => {
    assert.equal(incrementedBanTime(600, 0, inc()), 600);
    assert.equal(incrementedBanTime(600, 5, undefined), 600);
  });

  it("default formula: bantime * 2**min(count, 20) * factor", () => {
    assert.deepEqual(
      [1, 2, 3, 10].map((n) => incrementedBanTime(600, n, inc())),
      [1200, 2400, 4800, 600 * 1024],
    );
    assert.equal(incrementedBanTime(600, 1, inc({ factor: 24 })), 600 * 2 * 24);
    // The exponent stops at 20.
    assert.equal(incrementedBanTime(1, 25, inc()), 2 ** 20);
  });

  it("never goes below bantime with a small factor (max(ban.Time, formula))", () => {
    assert.equal(incrementedBanTime(600, 1, inc({ factor: 0.1 })), 600);
  });

  it("caps at maxtime", () => {
    assert.equal(incrementedBanTime(3600, 10, inc({ factor: 24, maxtime: 5 * 7 * 86400 })), 5 * 7 * 86400);
  });

  it("multipliers replace the formula, indexed by count, the last repeating", () => {
    const m = inc({ multipliers: [1, 2, 4, 8, 16, 32, 64] });
    assert.deepEqual(
      [1, 2, 6, 7, 50].map((n) => incrementedBanTime(600, n, m)),
      [1200, 2400, 38400, 38400, 38400],
    );
    assert.equal(incrementedBanTime(600, 1, inc({ multipliers: [1, 3], factor: 2 })), 3600);
  });

  it("a permanent ban stays permanent", () => {
    assert.equal(incrementedBanTime(-1, 3, inc()), -1);
  });
});
