import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../../errors/problem.js";
import { loadFilterDefinition } from "./load-filter-definition.js";
import { MemoryFilterFiles } from "./memory-filter-files.js";

const load = (tree: Record<string, string>, name = "f", options: Record<string, string> = {}) =>
  loadFilterDefinition({ name, options, filterDir: "/fd" }, new MemoryFilterFiles(tree));

describe("loadFilterDefinition (in-memory trees)", () => {
  it("reports the problems of every file at once, each with file:line:col", () => {
    const r = load({
      "/fd/f.conf": "[INCLUDES]\nbefore = a.conf\n[Definition]\nfailregex = ^%(nope)s <HOST>\nmaxlines = x\n",
      "/fd/a.conf": "orphan = 1\n[Definition]\n",
    });
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.problems.map(formatProblem), [
      '/fd/a.conf:1:1: Line is outside any [section]: "orphan = 1"',
      '/fd/f.conf:4:14: Cannot resolve "%(nope)s" in option "failregex" of section [Definition]: no option "nope" there or in [DEFAULT]',
      '/fd/f.conf:5:12: Option "maxlines" must be a whole number, got "x"',
    ]);
  });

  it("gives each regex the position of its own line, also through tags", () => {
    const r = load({
      "/fd/f.conf":
        "[Definition]\ncmn = ^one <HOST>\n      ^two <HOST>\nfailregex = <cmn>\n            <mdre-<mode>>\nmdre-normal = ^three <HOST>\n[Init]\nmode = normal\n",
    });
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.failregex.map((x) => `${x.text}@${x.at.line}:${x.at.col}`),
      ["^one <HOST>@2:7", "^two <HOST>@3:7", "^three <HOST>@6:15"],
    );
  });

  it("converts maxlines like Python's int() and keeps the buffer at least 1", () => {
    const tree = (v: string) => ({ "/fd/f.conf": `[Definition]\nfailregex = x <HOST>\nmaxlines = ${v}\n` });
    assert.equal(
      load(tree(" +1_0 ")).ok && (load(tree(" +1_0 ")) as { value: { maxlines: number } }).value.maxlines,
      10,
    );
    const zero = load(tree("0"));
    assert.ok(zero.ok && zero.value.maxlines === 1);
    assert.equal(load(tree("1__0")).ok, false);
  });

  it("returns options with tags resolved, without known/ entries", () => {
    const r = load({ "/fd/f.conf": "[Definition]\nfailregex = <a> <HOST>\n[Init]\na = <b>x\nb = y\n" }, "f", {
      b: "z",
    });
    assert.ok(r.ok);
    assert.deepEqual(r.value.options, { b: "z", logtype: "file", a: "zx" });
    assert.equal(r.value.failregex[0]?.text, "zx <HOST>");
  });

  it("fails on a filter name that does not exist", () => {
    const r = load({}, "sshd");
    assert.ok(!r.ok && r.problems[0]?.code === "filter.not-found");
  });
});

describe("loadFilterDefinition on hostile filter files", () => {
  const timed = (tree: Record<string, string>) => {
    const start = performance.now();
    const r = load(tree);
    return { r, ms: performance.now() - start };
  };

  it("parses 1 MB lines of blanks (with and without a delimiter) in linear time", () => {
    const blanks = " ".repeat(1 << 20);
    const { r, ms } = timed({ "/fd/f.conf": `[Definition]\n${blanks}x${blanks}=1\n${blanks}y${blanks}\n` });
    assert.deepEqual(!r.ok && r.problems.map((p) => `${p.code}@${p.at?.line}`), ["filter.syntax@3"]);
    // Linear: well under 1 s on an idle machine; quadratic would take hours. The bound is loose
    // because test files run in parallel on a 2-core machine.
    assert.ok(ms < 10_000, `${ms} ms`);
  });

  it("scans a 1 MB value full of %( and < in linear time", () => {
    const junk = "%(a/".repeat(1 << 18);
    const { r, ms } = timed({
      "/fd/f.conf": `[Definition]\nfailregex = <HOST> ${"<x".repeat(1 << 18)} %%\nx = ${junk})\n`,
    });
    assert.ok(r.ok);
    // Linear: well under 1 s on an idle machine; quadratic would take hours. The bound is loose
    // because test files run in parallel on a 2-core machine.
    assert.ok(ms < 10_000, `${ms} ms`);
  });

  it("stops an include chain that never ends", () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < 150; i++)
      tree[`/fd/f${i === 0 ? "" : i}.conf`] = `[INCLUDES]\nbefore = f${i + 1}.conf\n`;
    tree["/fd/f.conf"] += "[Definition]\nfailregex = x <HOST>\n";
    const r = load(tree);
    assert.ok(!r.ok && r.problems.some((p) => p.code === "filter.include-depth"));
  });
});
