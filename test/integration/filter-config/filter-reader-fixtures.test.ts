import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { NodeFilterFiles } from "../../../src/adapters/filter-files/node-filter-files.js";
import type { Result } from "../../../src/core/errors/problem.js";
import type { FilterDefinition } from "../../../src/core/filter/config/filter-definition.js";
import { loadFilterDefinition } from "../../../src/core/filter/config/load-filter-definition.js";
import {
  answerOf,
  normalizeAnswer,
  type OracleCase,
  type ReaderAnswer,
  runFail2banReader,
} from "./fail2ban-filter-oracle.js";

// Small filter trees, one per dialect rule, each checked against explicit expectations AND
// against fail2ban 1.0.2's own reader.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../../../../test/fixtures/filter-config");
const FILTER_DIR = join(FIXTURES, "filter.d");
const files = new NodeFilterFiles();

interface Case {
  readonly name: string;
  readonly options?: Record<string, string>;
  readonly backend?: string;
  /** Where fail2ban deliberately differs (see docs/filter-files.md): skip the comparison. */
  readonly deviation?: string;
}

const CASES: Record<string, Case> = {
  order: { name: "order" },
  sections: { name: "sections" },
  sectionsAggressive: { name: "sections", options: { mode: "aggressive" } },
  sectionsCall: { name: "sections", options: { who: "caller", maxlines: "7", failregex: "^called <HOST>$" } },
  conditional: { name: "conditional" },
  syntax: { name: "syntax" },
  logtypeFile: { name: "logtype" },
  logtypeJournal: { name: "logtype", options: { logtype: "journal" } },
  logtypeShort: { name: "logtype", options: { logtype: "short" } },
  logtypeSystemd: { name: "logtype", backend: "systemd" },
  ownLogtype: { name: "own-logtype", backend: "systemd" },
  tags: { name: "tags" },
  tagsKnown: { name: "tags", options: { agents: "lynx|<known/agents>" } },
  badInterp: { name: "bad-interp" },
  badPercent: { name: "bad-percent" },
  interpDepth: { name: "interp-depth" },
  selfRef: { name: "self-ref" },
  tagLoop: { name: "tag-loop" },
  outside: { name: "outside" },
  onlyLocal: { name: "only-local" },
  missingInclude: { name: "missing-include" },
  withConfExt: { name: "order.conf" },
  pathInFilterD: { name: join(FILTER_DIR, "order.conf") },
  foreign: { name: join(FIXTURES, "foreign/custom.conf") },
  badMaxlines: { name: "bad-maxlines", deviation: "fail2ban warns and ignores a non-numeric maxlines" },
  noDefinition: { name: "no-definition", deviation: "fail2ban loads a filter without [Definition] as empty" },
};

const results = new Map<string, Result<FilterDefinition>>();
const answers = new Map<string, ReaderAnswer>();

function oracleCase(c: Case): OracleCase {
  const foreign = c.name.startsWith(FIXTURES) && !c.name.startsWith(FILTER_DIR);
  // fail2ban-regex turns a path inside filter.d into the standard lookup of its base name.
  const name = c.name.startsWith(FILTER_DIR) ? "order" : c.name.replace(/\.conf$/, "");
  return {
    name: foreign ? c.name : name,
    options: c.options ?? {},
    backend: c.backend ?? "auto",
    basedir: foreign ? null : FIXTURES,
  };
}

function value(key: string): FilterDefinition {
  const r = results.get(key);
  assert.ok(r?.ok, `${key}: ${r && !r.ok ? r.problems.map((p) => p.message).join("; ") : "missing"}`);
  return r.value;
}

function problems(key: string): string[] {
  const r = results.get(key);
  assert.ok(r && !r.ok, `${key} should fail`);
  return r.problems.map(
    (p) => `${p.code} ${p.at ? `${p.at.file.slice(FILTER_DIR.length + 1)}:${p.at.line}:${p.at.col}` : "-"}`,
  );
}

describe("filter reader on fixture trees (and fail2ban's reader on the same trees)", () => {
  before(async () => {
    const keys = Object.keys(CASES);
    const oracle = await runFail2banReader(keys.map((k) => oracleCase(CASES[k]!)));
    keys.forEach((k, i) => {
      const c = CASES[k]!;
      answers.set(k, oracle[i]!);
      results.set(
        k,
        loadFilterDefinition(
          {
            name: c.name,
            options: c.options ?? {},
            filterDir: FILTER_DIR,
            ...(c.backend ? { backend: c.backend } : {}),
          },
          files,
        ),
      );
    });
  });

  it("agrees with fail2ban on every fixture (result or failure)", () => {
    for (const [key, c] of Object.entries(CASES)) {
      if (c.deviation) continue;
      const expected = answers.get(key)!;
      const got = results.get(key)!;
      if (!expected.ok) {
        assert.equal(got.ok, false, `${key}: fail2ban fails with ${expected.error}`);
        continue;
      }
      assert.ok(got.ok, `${key}: ${!got.ok && got.problems.map((p) => p.message).join("; ")}`);
      assert.deepEqual(answerOf(got.value), normalizeAnswer(expected), key);
    }
  });

  it("reads includes before/after (relative, recursive, loop-safe), .local companions and name.d/", () => {
    const def = value("order");
    const rel = def.files.map((f) => f.slice(FILTER_DIR.length + 1));
    assert.deepEqual(rel, [
      "inc/../order-common.conf",
      "inc/sub.conf",
      "inc/sub.local",
      "loop-b.conf",
      "loop-a.conf",
      "order.conf",
      "order-after.conf",
      "order.d/10-a.conf",
      "order.local",
      "order.d/10-a.local",
      "order.d/20-b.local",
    ]);
    assert.deepEqual(
      def.failregex.map((r) => r.text),
      ["^main <HOST>$", "^local <HOST>$"],
    );
    assert.equal(def.ignoreregex[0]?.text, "^after sub common$");
    assert.equal(def.file, join(FILTER_DIR, "order.conf"));
    // %(known/failregex)s keeps the position of the text in the earlier file.
    assert.deepEqual(def.failregex[0]?.at, { file: join(FILTER_DIR, "order.conf"), line: 9, col: 13 });
    assert.deepEqual(def.failregex[1]?.at, { file: join(FILTER_DIR, "order.local"), line: 5, col: 13 });
  });

  it("resolves a bare name, name.conf, a path inside filter.d and a name with only a .local", () => {
    assert.deepEqual(value("withConfExt").files, value("order").files);
    assert.deepEqual(value("pathInFilterD").files, value("order").files);
    assert.equal(value("onlyLocal").failregex[0]?.text, "^only local <HOST>$");
    assert.equal(value("onlyLocal").file, join(FILTER_DIR, "only-local.local"));
  });

  it("reads a foreign file with its includes and .local, but not its name.d/", () => {
    const def = value("foreign");
    assert.deepEqual(
      def.failregex.map((r) => r.text),
      ["^custom common <HOST>$", "^custom local <HOST>$"],
    );
    assert.equal(def.files.length, 3);
  });

  it("applies [DEFAULT], [Definition], [Init], modes and call options in fail2ban's precedence", () => {
    const def = value("sections");
    assert.equal(def.prefregex?.text, "^<F-MLFID>\\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$");
    // <who>: [Init] beats [Definition]; %(who)s is plain interpolation: [Definition] beats [DEFAULT].
    assert.deepEqual(
      def.failregex.map((r) => r.text),
      ["^init from <HOST>$", "^normal <HOST>$", "^D definition <HOST>$"],
    );
    assert.equal(def.maxlines, 2);
    assert.equal(def.datepattern, "^%Y-%m-%d");
    assert.deepEqual(def.journalmatch, ["_SYSTEMD_UNIT=x.service + _COMM=x", "_COMM=y"]);
    assert.equal(def.options.mode, "normal");
    assert.equal(def.options.logtype, "file");
    assert.equal(value("sectionsAggressive").failregex[1]?.text, "^aggressive <HOST>$");
    const call = value("sectionsCall");
    // A call option beats [Init] and replaces a [Definition] option of the same name.
    assert.deepEqual(
      call.failregex.map((r) => r.text),
      ["^called <HOST>$"],
    );
    assert.equal(call.maxlines, 7);
    assert.equal(call.options.who, "caller");
    assert.deepEqual(call.failregex[0]?.at, { file: join(FILTER_DIR, "sections.conf"), line: 1, col: 1 });
  });

  it("keeps tags of conditional [Init?family=…] options literal, as fail2ban does", () => {
    assert.deepEqual(
      value("conditional").failregex.map((r) => r.text),
      ["^<who> there <HOST>$"],
    );
    assert.equal(value("conditional").options["who?family=inet6"], "six");
  });

  it("parses comments, inline comments, continuation and empty lines, case and delimiters", () => {
    const def = value("syntax");
    assert.deepEqual(
      def.failregex.map((r) => r.text),
      ["^first <HOST>$", "^second;not a comment <HOST>$", "^third 100% <HOST>$", "^fourth <HOST>$"],
    );
    assert.deepEqual(
      def.failregex.map((r) => `${r.at.line}:${r.at.col}`),
      ["4:13", "6:2", "8:5", "10:9"],
    );
    assert.equal(def.ignoreregex[0]?.text, "^colon delimiter <HOST>$");
    assert.equal(def.maxlines, 3);
    assert.equal(def.datepattern, "{^LN-BEG}");
  });

  it("switches the prefix line with logtype (auto = file, call option, systemd backend)", () => {
    assert.equal(value("logtypeFile").failregex[0]?.text, "^\\S+ \\S+\\[\\d+\\]: auth failure from <HOST>$");
    assert.equal(value("logtypeJournal").failregex[0]?.text, "^\\S+: auth failure from <HOST>$");
    assert.equal(value("logtypeShort").failregex[0]?.text, "^\\S+: auth failure from <HOST>$");
    assert.equal(value("logtypeSystemd").failregex[0]?.text, "^\\S+: auth failure from <HOST>$");
    assert.equal(value("logtypeSystemd").options.logtype, "journal");
    // A [Definition] logtype wins over the backend's.
    assert.equal(value("ownLogtype").failregex[0]?.text, "^\\S+: auth failure from <HOST>$");
    assert.equal(value("logtypeJournal").datepattern, "{^LN-BEG}");
  });

  it("substitutes recursive tags, <section/opt>, <known/opt>, %(default/…)s and leaves unknown tags", () => {
    assert.deepEqual(
      value("tags").failregex.map((r) => r.text),
      [
        "^a (?:<HOST>|\\[<HOST>\\]) curl|wget$",
        "^b default-shared section-x curl|wget$",
        "^c section-x <undefined-tag> <F-USER>\\S+</F-USER> <HOST>$",
      ],
    );
    assert.equal(value("tagsKnown").failregex[0]?.text, "^a (?:<HOST>|\\[<HOST>\\]) lynx|curl|wget$");
  });

  it("reports bad interpolation, bad %, reference loops and self-referencing tags with positions", () => {
    assert.deepEqual(problems("badInterp"), ["filter.interpolation-missing bad-interp.conf:3:18"]);
    assert.deepEqual(problems("badPercent"), ["filter.interpolation-syntax bad-percent.conf:2:17"]);
    assert.deepEqual(problems("interpDepth"), ["filter.interpolation-depth interp-depth.conf:4:14"]);
    assert.deepEqual(problems("selfRef"), ["filter.recursive-tag self-ref.conf:2:14"]);
    assert.deepEqual(problems("tagLoop"), ["filter.recursive-tag tag-loop.conf:3:5"]);
  });

  it("reports every syntax problem of a file at once", () => {
    assert.deepEqual(problems("outside"), [
      "filter.outside-section outside.conf:1:1",
      "filter.duplicate-option outside.conf:4:1",
      "filter.syntax outside.conf:5:1",
    ]);
  });

  it("rejects a non-numeric maxlines and a filter without [Definition] (fail2ban accepts both)", () => {
    assert.deepEqual(problems("badMaxlines"), ["filter.bad-maxlines bad-maxlines.conf:3:12"]);
    assert.equal(answers.get("badMaxlines")?.ok, true);
    assert.deepEqual(problems("noDefinition"), ["filter.missing-definition no-definition.conf:1:1"]);
    assert.equal(answers.get("noDefinition")?.ok, true);
  });

  it("warns about a missing include that fail2ban silently skips", () => {
    const def = value("missingInclude");
    assert.equal(def.warnings.length, 1);
    assert.equal(def.warnings[0]?.code, "filter.missing-include");
    assert.deepEqual(def.warnings[0]?.at, {
      file: join(FILTER_DIR, "missing-include.conf"),
      line: 2,
      col: 10,
    });
  });

  it("reports an unknown filter", () => {
    const r = loadFilterDefinition({ name: "no-such-filter", options: {}, filterDir: FILTER_DIR }, files);
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.problems[0]?.code, "filter.not-found");
  });
});
