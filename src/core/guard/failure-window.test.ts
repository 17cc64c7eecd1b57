import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FailureWindow } from "./failure-window.js";

describe("FailureWindow", () => {
  it("returns the count within findtime, bounded by maxretry", () => {
    const w = new FailureWindow(3, 10, 1);
    assert.equal(w.record("a", 100), 1);
    assert.equal(w.record("a", 105), 2);
    assert.equal(w.record("a", 111), 2); // 100 is out
    assert.equal(w.record("a", 112), 3);
    assert.equal(w.record("a", 113), 3);
    assert.equal(w.total, 5);
  });

  it("grows, reuses freed slots, and sweeps stale keys", () => {
    const w = new FailureWindow(2, 10, 2);
    for (let i = 0; i < 100; i++) w.record(i, 1000 + (i % 2) * 20);
    assert.equal(w.size, 100);
    assert.equal(w.sweep(1025), 50);
    assert.equal(w.size, 50);
    w.delete(1);
    assert.equal(w.size, 49);
    assert.equal(w.record("new", 1030), 1);
    assert.equal(w.record(3, 1030), 2);
  });
});
