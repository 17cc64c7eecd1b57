import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { substituteTags, type TagProblem } from "./substitute-tags.js";
import { type TrackedText, untracked } from "./tracked-text.js";

function run(tags: Record<string, string>, extra: Record<string, string> = {}, ignore: string[] = []) {
  const problems: TagProblem[] = [];
  const input = new Map<string, TrackedText | null>(Object.entries(tags).map(([k, v]) => [k, untracked(v)]));
  const out = substituteTags(
    input,
    new Set(ignore),
    (t) => (extra[t] === undefined ? undefined : untracked(extra[t])),
    problems,
  );
  return { out: Object.fromEntries([...out].map(([k, v]) => [k, v?.text])), problems };
}

describe("substituteTags (helpers.substituteRecursiveTags)", () => {
  it("substitutes nested and composed tag names, leaving unknown tags", () => {
    const { out } = run(
      { failregex: "^<mdre-<mode>> <HOST>", mode: "ddos", "mdre-ddos": "<pfx>did not", pfx: "x:" },
      {},
    );
    assert.equal(out.failregex, "^x:did not <HOST>");
  });

  it("falls back to the lookup for tags that are not options", () => {
    const { out } = run({ failregex: "<__prefix_line>a" }, { __prefix_line: "<_daemon>: ", _daemon: "sshd" });
    assert.equal(out.failregex, "sshd: a");
  });

  it("leaves ignored (conditional) tags alone", () => {
    const { out } = run({ failregex: "<who> <where>", where: "w", who: "x" }, {}, ["who"]);
    assert.equal(out.failregex, "<who> w");
  });

  it("rejects self reference and more than 25 replacements, continuing with the rest", () => {
    const { out, problems } = run({ a: "<a>", b: "<c>", c: "<b>", ok: "<d>", d: "1" });
    assert.deepEqual(
      problems.map((p) => `${p.tag} ${p.code}`),
      ["a filter.recursive-tag", "b filter.recursive-tag", "c filter.recursive-tag"],
    );
    assert.equal(out.ok, "1");
  });

  it("stops values that grow exponentially", () => {
    const tags: Record<string, string> = { v0: "xxxxxxxxxxxxxxxx" };
    for (let i = 1; i <= 24; i++) tags[`v${i}`] = `<v${i - 1}><v${i - 1}>`;
    const { problems } = run(tags);
    assert.ok(problems.some((p) => p.code === "filter.tag-too-large"));
  });
});
