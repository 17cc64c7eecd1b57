import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NodeFilterFiles } from "../../../src/adapters/filter-files/node-filter-files.js";
import { loadFilterDefinition } from "../../../src/core/filter/config/load-filter-definition.js";
import { answerOf, normalizeAnswer, type ReaderAnswer, runFail2banReader } from "./fail2ban-filter-oracle.js";

// Differential test: every stock fail2ban filter, in every mode it knows and every logtype, and
// every option set the fail2ban corpus names, loaded by us and by fail2ban 1.0.2's own reader.
const FILTER_DIR = "/etc/fail2ban/filter.d";
const CORPUS_DIR = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs";

interface Case {
  readonly name: string;
  readonly options: Record<string, string>;
  readonly backend: string;
  readonly origin: string;
}

function filterNames(): string[] {
  return readdirSync(FILTER_DIR)
    .filter((f) => f.endsWith(".conf") && !f.endsWith("common.conf"))
    .map((f) => f.slice(0, -".conf".length))
    .sort();
}

/** Modes a filter knows: the X of its `mdre-X` (and similar `<…-<mode>>`) options. */
function modesOf(name: string): string[] {
  const text = readFileSync(join(FILTER_DIR, `${name}.conf`), "utf8");
  const modes = new Set<string>();
  for (const m of text.matchAll(/^(?:mdre|mdpr|usrre|apache-pref-ign)-([a-z]+)(?:-other)?\s*=/gm)) {
    modes.add(m[1]!);
  }
  return [...modes].sort();
}

/** `# filterOptions:` sets of the corpus (samplestestcase.py's line regex), `test.*` keys dropped. */
function corpusCases(names: ReadonlySet<string>): Case[] {
  const cases: Case[] = [];
  for (const file of readdirSync(CORPUS_DIR)) {
    const path = join(CORPUS_DIR, file);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      continue; // bsd/
    }
    const name = names.has(file) ? file : file === "sshd-journal" ? "sshd" : undefined;
    if (!name) continue;
    let fileOptions: Record<string, string> = {};
    for (const line of text.split("\n")) {
      const m = /^#+ ?((?:file|filter)Options):(.+)$/.exec(line);
      if (!m) continue;
      const parsed = JSON.parse(m[2]!) as Record<string, string> | Record<string, string>[];
      if (m[1] === "fileOptions") {
        fileOptions = parsed as Record<string, string>;
        continue;
      }
      for (const set of Array.isArray(parsed) ? parsed : [parsed]) {
        const options: Record<string, string> = {};
        for (const [k, v] of Object.entries({ ...fileOptions, ...set })) {
          if (!k.startsWith("test.")) options[k] = v;
        }
        cases.push({ name, options, backend: "auto", origin: `${file}: ${line}` });
      }
    }
  }
  return cases;
}

function allCases(): Case[] {
  const names = filterNames();
  const cases: Case[] = [];
  for (const name of names) {
    for (const mode of [undefined, ...modesOf(name)]) {
      for (const logtype of [undefined, "journal", "short", "rfc5424"]) {
        const options: Record<string, string> = {};
        if (mode) options.mode = mode;
        if (logtype) options.logtype = logtype;
        cases.push({ name, options, backend: "auto", origin: "filter.d" });
      }
    }
    // The systemd backend selects logtype=journal by itself (FilterReader.applyAutoOptions).
    cases.push({ name, options: {}, backend: "systemd", origin: "backend" });
  }
  cases.push(...corpusCases(new Set(names)));
  const unique = new Map(cases.map((c) => [JSON.stringify([c.name, c.options, c.backend]), c]));
  return [...unique.values()];
}

describe("filter reader vs fail2ban 1.0.2's FilterReader", () => {
  const cases = allCases();
  let oracle: ReaderAnswer[] = [];
  const files = new NodeFilterFiles();
  const fileLines = new Map<string, string[]>();

  before(async () => {
    oracle = await runFail2banReader(
      cases.map((c) => ({
        name: c.name,
        options: c.options,
        backend: c.backend,
        basedir: dirname(FILTER_DIR),
      })),
    );
  });
  after(() => {
    fileLines.clear();
  });

  it("covers every stock filter, mode, logtype and corpus option set", () => {
    assert.equal(filterNames().length, 89);
    assert.ok(cases.length > 400, `only ${cases.length} cases`);
    assert.equal(oracle.length, cases.length);
    assert.ok(cases.some((c) => c.origin.startsWith("postfix:")));
    const corpus = cases.filter((c) => c.origin.includes("Options:")).length;
    console.log(`# ${cases.length} distinct loads, ${corpus} of them from corpus option sets`);
  });

  it("yields fail2ban's prefregex, failregex, ignoreregex, maxlines, datepattern, journalmatch", () => {
    const mismatches: string[] = [];
    cases.forEach((c, i) => {
      const expected = oracle[i]!;
      const got = loadFilterDefinition({ ...c, filterDir: FILTER_DIR }, files);
      const label = `${c.name}${JSON.stringify(c.options)} backend=${c.backend}`;
      if (!expected.ok) {
        if (got.ok) mismatches.push(`${label}: fail2ban fails (${expected.error}) but we load it`);
        return;
      }
      if (!got.ok) {
        mismatches.push(`${label}: ${got.problems.map((p) => p.message).join("; ")}`);
        return;
      }
      try {
        assert.deepEqual(answerOf(got.value), normalizeAnswer(expected));
      } catch (e) {
        mismatches.push(`${label}: ${(e as Error).message.slice(0, 2000)}`);
      }
    });
    assert.deepEqual(mismatches, []);
  });

  it("points every regex at the file, line and column its first character is written at", () => {
    let checked = 0;
    for (const c of cases) {
      const got = loadFilterDefinition({ ...c, filterDir: FILTER_DIR }, files);
      if (!got.ok) continue;
      const def = got.value;
      for (const r of [...(def.prefregex ? [def.prefregex] : []), ...def.failregex, ...def.ignoreregex]) {
        let lines = fileLines.get(r.at.file);
        if (!lines) {
          lines = readFileSync(r.at.file, "utf8").split("\n");
          fileLines.set(r.at.file, lines);
        }
        const line = lines[r.at.line - 1];
        assert.ok(line !== undefined, `${c.name}: ${r.at.file}:${r.at.line} is not a line`);
        assert.equal(
          line[r.at.col - 1],
          r.text[0],
          `${c.name}: ${r.at.file}:${r.at.line}:${r.at.col} for ${r.text}`,
        );
        checked++;
      }
    }
    assert.ok(checked > 1000, `only ${checked} regexes checked`);
    console.log(`# ${checked} regex positions checked`);
  });

  it("loads all 89 stock filters well under a second", () => {
    const names = filterNames();
    const start = performance.now();
    for (const name of names) {
      const got = loadFilterDefinition({ name, options: {}, filterDir: FILTER_DIR }, files);
      assert.ok(got.ok, name);
    }
    const ms = performance.now() - start;
    console.log(`# loaded ${names.length} filters in ${ms.toFixed(0)} ms`);
    assert.ok(ms < 1000, `${ms} ms`);
  });
});
