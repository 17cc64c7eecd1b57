import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IntSlotMap } from "./int-slot-map.js";

describe("IntSlotMap", () => {
  it("behaves like a Map under random inserts and deletes (checked against Map)", () => {
    const m = new IntSlotMap(2);
    const ref = new Map<number, number>();
    let seed = 42;
    const rand = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return seed;
    };
    for (let step = 0; step < 200_000; step++) {
      const key = rand() % 5000;
      if (rand() & 1) {
        m.set(key, step);
        ref.set(key, step);
      } else {
        assert.equal(m.delete(key), ref.delete(key));
      }
      if (step % 997 === 0) {
        for (const probe of [key, key + 1, -key]) assert.equal(m.get(probe), ref.get(probe));
      }
    }
    assert.equal(m.size, ref.size);
    const seen = new Map<number, number>();
    m.forEach((k, v) => {
      seen.set(k, v);
    });
    assert.deepEqual(
      [...seen].sort((a, b) => a[0] - b[0]),
      [...ref].sort((a, b) => a[0] - b[0]),
    );
  });
});
