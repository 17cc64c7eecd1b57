import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseFilterSpec } from "./parse-filter-spec.js";

// Expected values are what fail2ban 1.0.2's helpers.extractOptions returns for the same text.
describe("parseFilterSpec", () => {
  const good: [string, string, Record<string, string>][] = [
    ["sshd", "sshd", {}],
    ['sshd[mode=aggressive, x="a,b"]', "sshd", { mode: "aggressive", x: "a,b" }],
    ["test[a=1][b='2, 3']", "test", { a: "1", b: "2, 3" }],
    ["/etc/fail2ban/filter.d/sshd.conf[mode=ddos]", "/etc/fail2ban/filter.d/sshd.conf", { mode: "ddos" }],
    ["sshd[a=1 b=2]", "sshd", { a: "1 b=2" }],
    ["sshd[a=1,]", "sshd", { a: "1" }],
    ["sshd[]", "sshd", {}],
    [
      'apache-badbots[baduseragents="x|<known/baduseragents>"]',
      "apache-badbots",
      { baduseragents: "x|<known/baduseragents>" },
    ],
  ];
  for (const [spec, name, options] of good) {
    it(`parses ${spec}`, () => {
      assert.deepEqual(parseFilterSpec(spec), { ok: true, value: { name, options } });
    });
  }

  const bad: [string, number][] = [
    ["sshd[=x]", 6],
    ['sshd[a="x" junk]', 11],
    ["sshd[ a = 1 ]", 6],
    ["ssh d", 1],
    ["sshd[mode=a b", 1],
  ];
  for (const [spec, col] of bad) {
    it(`rejects ${spec} with its column`, () => {
      const r = parseFilterSpec(spec);
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.problems[0]?.code, "filter.bad-spec");
      assert.equal(!r.ok && r.problems[0]?.at?.col, col);
    });
  }
});
