import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { registryFor } from "../../../src/core/date/template-registry.js";
import { scannerReads } from "../../../src/core/filter/scan-plan.js";
import {
  CASE_FOLD_DRIFT,
  CASELESS_PROPERTY_EXTRAS,
  toPcre2Pattern,
} from "../../../src/core/regex/pcre2-pattern.js";
import { translatePythonRegex } from "../../../src/core/regex/translate-python-regex.js";
import {
  CRAFTED,
  EDGE_SUBJECTS,
  FAIL2BAN_CONFIG,
  FAIL2BAN_CORPUS,
  I,
  M,
  type OracleOutput,
  RANDOM,
  runOracle,
  S,
} from "./python-differential-cases.js";

/**
 * Differential test: a translated JS pattern in V8 and its toPcre2Pattern rewrite in PCRE2 — run
 * by native/test/regex-probe.c through the native scanner's own native/src/regex.c (its compile
 * options, JIT and limits) — must give the same answer on the same (subject, start): match or
 * not, span, every group, in UTF-8 byte offsets. The regexes: everything python-differential
 * covers (crafted and seeded random patterns, every regex of fail2ban's shipped filters over the
 * fail2ban test corpus) and every default date template as the native scanner gets it
 * (`portable()`: the unwrapped pattern), over the corpus lines. Patterns toPcre2Pattern refuses
 * are counted; the native path must cover fail2ban's filters and the date templates.
 *
 * The ASCII variant (toPcre2Pattern's asciiPattern, compiled without PCRE2_UTF) runs on every
 * (subject, start) whose subject is all ASCII, through regex.c's `ascii` search, and must give V8's
 * answer too; every accepted pattern must have one.
 */

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const PROBE_SOURCES = [`${ROOT}native/test/regex-probe.c`, `${ROOT}native/src/regex.c`];

/**
 * fail2ban filters whose regex cannot be made exact: grafana's open-ended tail repeats groups some
 * iterations skip, which JS clears at each iteration and PCRE2 keeps (Python keeps them too), and
 * its iterations have no single end (so the last one cannot be split off).
 */
const REFUSED_FILTERS: ReadonlySet<string> = new Set(["grafana"]);

/**
 * JS patterns written for the JS ↔ PCRE2 gaps themselves (the translators avoid most of them),
 * with `refused` when toPcre2Pattern must refuse the pattern.
 */
const JS_GAPS: readonly { source: string; flags: string; subjects: readonly string[]; refused?: true }[] = [
  // backreferences: unset groups match empty in JS
  { source: "(a)|b\\1", flags: "u", subjects: ["b", "ba", "a"] },
  { source: "\\1(a)", flags: "u", subjects: ["a", "aa"] },
  { source: "(a\\1)b", flags: "u", subjects: ["ab", "aab"] },
  { source: "(?<n>a)?b\\k<n>", flags: "u", subjects: ["b", "aba", "ab"] },
  { source: "(?:(?=(a+))\\1b)+", flags: "u", subjects: ["abaab", "ab", "b"] },
  { source: "(a|b)+\\1", flags: "u", subjects: ["abb", "aba", "ab"] },
  { source: "(?:\\1(a))+", flags: "u", subjects: ["aa"], refused: true },
  // captures in repetitions: JS clears them at every iteration
  { source: "(?:(a)|b)+", flags: "u", subjects: ["ab", "ba", "bab"] },
  { source: "(?:(a)|(b))+c", flags: "u", subjects: ["abc", "bac"] },
  { source: "(?:(a)b|(c)d)*?e", flags: "u", subjects: ["abcde", "cdabe"] },
  { source: "(?:x(a)|x(b), )*y", flags: "u", subjects: ["xb, y"], refused: true },
  { source: "(?:(?:k=(\\w*)|\\w+=\\w*), )*z", flags: "u", subjects: ["k=1, x=2, z", "x=2, k=1, z", "z"] },
  { source: "(?:(?:k=(\\w*)|\\w+=\\w*), )*?z", flags: "u", subjects: ["k=1, x=2, z", "z, k=1, z"] },
  { source: "x(?:-(a|b)c)+", flags: "u", subjects: ["x-ac-bc", "x-ac-"] },
  { source: "(?:(a)|b)*?.", flags: "u", subjects: ["ab"] },
  { source: "(?:(a)|b){1,3}?c", flags: "u", subjects: ["ababc", "bac"] },
  // empty iterations: JS rejects them past the minimum
  { source: "(?:|a)*b", flags: "u", subjects: ["aab", "b"] },
  { source: "(a*)*b", flags: "u", subjects: ["b", "aab"] },
  { source: "(a|)?b", flags: "u", subjects: ["b", "ab"] },
  { source: "(?:x*?)?y", flags: "u", subjects: ["xy", "y"] },
  { source: "((?<=^\\[))?\\d", flags: "u", subjects: ["[1", "1"] },
  { source: "(?:(?=a)|b)*c", flags: "u", subjects: ["bbc", "ac", "c"] },
  { source: "(?:a?)+b", flags: "u", subjects: ["aab"], refused: true },
  { source: "(?:a|\\b)*-", flags: "u", subjects: ["aa-", "-a"] },
  // JS-only syntax and escapes
  { source: "a[]?b|[^]c", flags: "u", subjects: ["ab", "\nc", "😀c"] },
  { source: "\\u{1F600}+\\uD83D\\uDE00\\x41\\u0042\\0\\cJ\\/", flags: "u", subjects: ["😀😀AB\0\n/"] },
  { source: "\\v[\\v\\b]", flags: "u", subjects: ["\u000b\b", "\n\u000b", "\u000b\u000b"] },
  { source: "\\uD83D", flags: "u", subjects: ["😀"], refused: true },
  { source: "(?<é>a)", flags: "u", subjects: ["a"], refused: true },
  { source: "a{70000}", flags: "u", subjects: ["a"], refused: true },
  { source: "a", flags: "uy", subjects: ["a"], refused: true },
  { source: "a", flags: "", subjects: ["a"], refused: true },
  // \s \d \w \b . and line anchors
  { source: "\\s+|[\\s\\d]+x", flags: "u", subjects: ["\u00a0\ufeff\u2028 ", "\u0085\u001c", "\u30001x"] },
  { source: "\\S+\\s[^\\s]", flags: "u", subjects: ["é\u3000\u1680x", "ab\ufeffc"] },
  { source: "[^\\S\\n]+", flags: "u", subjects: ["a\u3000\nb"], refused: true },
  { source: "\\d+\\w+\\b.\\B", flags: "u", subjects: ["١12ab é", "12é-"] },
  { source: ".+", flags: "u", subjects: ["a\rb", "a\u2028b", "😀\nb"] },
  { source: ".+", flags: "su", subjects: ["a\rb\n\u2029c"] },
  { source: "^b|a$", flags: "mu", subjects: ["x\nb", "x\rb", "x\u2028b", "a\r", "a\u2029x", "xb", "a x"] },
  { source: "^$", flags: "mu", subjects: ["x\r\ny", "", "x\n"] },
  // V8 also matches empty inside a surrogate pair: refused unless allowEmptyMatch
  { source: "(?![^a])", flags: "u", subjects: ["😀a", "a😀"] },
  { source: "a$", flags: "u", subjects: ["a\n", "a"] },
  // case-insensitive
  { source: "\\bk\\b", flags: "iu", subjects: ["\u212a", "ſk", "x\u212ay"] },
  { source: "\\w+\\W\\B", flags: "iu", subjects: ["ſK\u212a-", "ab--"] },
  { source: "\\p{L}+[^\\p{L}]", flags: "iu", subjects: ["a\u0345\u0399!", "\u0345"] },
  { source: "\\P{L}", flags: "iu", subjects: ["ι", "Ι", "1"] },
  { source: "(a)\\1", flags: "iu", subjects: ["aA", "Aa", "ab"] },
  { source: "([-/])x\\1", flags: "iu", subjects: ["-x-", "/x-"] },
  { source: "[\\u0390\\u1fd3]", flags: "iu", subjects: ["\u1fd3"] },
  { source: "\\u0390", flags: "iu", subjects: ["\u1fd3"], refused: true },
  { source: "(\\w)\\1", flags: "iu", subjects: ["kK"] },
  { source: "(.)\\1", flags: "iu", subjects: ["\u0390\u1fd3"], refused: true },
  // lookbehind: PCRE2 wants fixed-length branches and matches forwards
  { source: "(?<=ab|c)x(?<!(?:y|z)x)", flags: "u", subjects: ["abx", "cx", "bx"] },
  { source: "(?<=(a)(b|c))d", flags: "u", subjects: ["abd", "acd"] },
  { source: "(?<=\\d{2})x", flags: "u", subjects: ["12x", "1x"] },
  { source: "(?<=(\\d)+)x", flags: "u", subjects: ["12x"], refused: true },
  { source: "(?<=(\\d){2})x", flags: "u", subjects: ["12x"], refused: true },
  { source: "(?<=(a)\\1)x", flags: "u", subjects: ["aax"], refused: true },
  { source: "(?<=a(?:b|cd))x", flags: "u", subjects: ["abx"], refused: true },
];

/**
 * The ASCII variant's risky atoms (each one-character atom becomes the ASCII characters V8 matches
 * with it): case folding from outside ASCII (U+212A → k, U+017F → s), negated and Unicode classes,
 * sets with no ASCII member, `\b` under i, `.`, line anchors, caseless backreferences, lookbehind.
 * Every start offset of every subject is tried, and ASCII_SUBJECTS too.
 */
const ASCII_CASES: readonly { source: string; flags: string; subjects: readonly string[] }[] = [
  { source: "k", flags: "iu", subjects: ["k", "K", "xKy"] },
  { source: "s+", flags: "iu", subjects: ["sS", "xsy"] },
  { source: "\\u212a", flags: "iu", subjects: ["k", "K", "x"] },
  { source: "\\u212a", flags: "u", subjects: ["k", "K"] },
  { source: "\\u017f\\u212a", flags: "iu", subjects: ["sk", "SK", "Sk", "ks"] },
  { source: "[\\u017f]", flags: "u", subjects: ["s", "S"] },
  { source: "[^k]", flags: "iu", subjects: ["k", "K", "x"] },
  { source: "[^\\u212a]+", flags: "iu", subjects: ["abkc", "K"] },
  { source: "[^\\u212a]+", flags: "u", subjects: ["abkc", "K"] },
  { source: "[a-z]+", flags: "iu", subjects: ["ABC", "a_b"] },
  { source: "[A-Z\\u0130\\u0131]+", flags: "iu", subjects: ["iIzZ"] },
  { source: "\\W+", flags: "iu", subjects: ["ks-!_", "s K"] },
  { source: "\\S+", flags: "iu", subjects: ["a\tb\u000bc\u001cd"] },
  { source: "\\D+", flags: "iu", subjects: ["ab12", "1a"] },
  { source: "\\w+\\W\\s\\d", flags: "iu", subjects: ["Ks- 1", "_! 9"] },
  { source: "\\bk\\b", flags: "iu", subjects: ["k", "xk", "-K-", "k_"] },
  { source: "\\Bs\\B", flags: "iu", subjects: ["asa", "S", "xSy"] },
  { source: "\\b\\w+\\B.", flags: "u", subjects: ["ab-cd", "a"] },
  { source: "a.c", flags: "u", subjects: ["abc", "a\nc", "a\rc", "a\u0000c", "a\u007fc"] },
  { source: "a.c", flags: "su", subjects: ["a\nc", "a\rc"] },
  { source: "a[^]c", flags: "iu", subjects: ["a\nc"] },
  { source: "^a$", flags: "mu", subjects: ["a", "x\na\ny", "x\ra\r", "x\r\na\r\n", "ba", "ab"] },
  { source: "^$", flags: "mu", subjects: ["\n", "x\r\ny", "\r\r"] },
  { source: "a$", flags: "u", subjects: ["a\n", "a"] },
  { source: "\\p{L}+\\P{L}", flags: "u", subjects: ["abc1", "Z_", "1"] },
  { source: "\\P{L}+", flags: "iu", subjects: ["a1-k", "K"] },
  { source: "\\p{N}\\p{Nd}[\\p{L}\\p{N}_]+", flags: "iu", subjects: ["12ab_", "1x"] },
  { source: "[^\\p{L}\\p{N}_]", flags: "iu", subjects: ["a-", "_ "] },
  { source: "[^é]+", flags: "u", subjects: ["abc"] },
  { source: "[^éü\\s]+", flags: "iu", subjects: ["ab cd"] },
  { source: "a[éü]?b|[\\u{1F600}\\u2028]", flags: "u", subjects: ["ab", "a b"] },
  { source: "x(?:é|\\u00e9)?y", flags: "iu", subjects: ["xy", "XY"] },
  { source: "(a)\\1", flags: "iu", subjects: ["aA", "Aa", "ab"] },
  { source: "(?<w>[a-z]+)-\\k<w>", flags: "iu", subjects: ["Ks-kS", "ab-AB", "ab-ac"] },
  { source: "([-_a-z])\\1", flags: "iu", subjects: ["--", "-_", "kK", "sS"] },
  { source: "(?<=ab|c)x(?<!(?:y|z)x)", flags: "iu", subjects: ["ABx", "cX", "bx"] },
  { source: "(?<=\\p{L}{2})\\d(?<![kK]\\d)", flags: "iu", subjects: ["ab1", "ak1", "a1"] },
  { source: "(?<=^\\[)\\d+", flags: "u", subjects: ["[12", "12"] },
  {
    source: "\\t\\v\\f\\0\\x7f[\\-\\]\\^\\\\]",
    flags: "u",
    subjects: ["\t\u000b\f\u0000\u007f-", "\t\u000b\f\u0000\u007f\\"],
  },
  { source: "[^]{2}(?:[]|x)", flags: "u", subjects: ["abx", "\n\rx"] },
];

const ASCII_SUBJECTS: readonly string[] = [
  Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)).join(""),
  "",
  "\r\n",
  "Jan  1 12:00:00 host sshd[1]: Failed password for invalid user K from 1.2.3.4 port 22 ssh2",
];

interface JsCase {
  readonly kind: "crafted" | "random" | "fail2ban" | "date" | "gaps" | "ascii" | "prefilter" | "renumbered";
  readonly origin: string;
  readonly source: string;
  readonly flags: string;
  readonly subjects: readonly string[];
  /** Extra start offsets (UTF-16, on code point boundaries) besides 0, per subject. */
  readonly starts?: (subject: string) => readonly number[];
  /** Compare patterns that can match empty too (toPcre2Pattern's allowEmptyMatch). */
  readonly allowEmptyMatch?: boolean;
  /**
   * Renumber for a reader of these names (toPcre2Pattern's groupNames, by JS group index) and
   * compare what that reader sees — fail2ban's dict (byName) — instead of every group.
   */
  readonly names?: readonly (string | undefined)[];
}

interface Outcome {
  readonly kind: JsCase["kind"];
  regexes: number;
  refused: number;
  compared: number;
  matched: number;
  limitHits: number;
  /** V8 matches inside a surrogate pair (allowEmptyMatch cases), set aside. */
  midPair: number;
  /** Accepted patterns without an ASCII variant. */
  asciiRefused: number;
  /** Cases (all-ASCII subject) also compared through the ASCII variant, by origin and pattern. */
  asciiCompared: number;
  readonly asciiByOrigin: Map<string, number>;
  /** Regexes with a prefilter (toPcre2Pattern's `absent`), and cases it answered. */
  readonly prefiltered: { regexes: number; subjects: number };
  /** Regexes with a tail variant (toPcre2Pattern's `tail`), and cases it answered. */
  readonly tails: { regexes: number; subjects: number };
  /** Regexes with names whose groups toPcre2Pattern renumbered; of those, with a branch reset. */
  renumbered: number;
  branchReset: number;
  readonly refusedOrigins: string[];
  readonly mismatches: unknown[];
}

const LONE_SURROGATE = /\p{Cs}/u;
const ASCII = /^[\0-\x7f]*$/;
const ESCAPE = /[%\t\n\r\0]/g;

function enc(s: string): string {
  return s.replace(ESCAPE, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** UTF-16 offset → UTF-8 byte offset, for every offset of `s`. */
function byteOffsets(s: string): Uint32Array {
  const out = new Uint32Array(s.length + 1);
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    out[i] = b;
    const c = s.charCodeAt(i);
    if (c < 0x80) b += 1;
    else if (c < 0x800) b += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // a pair (lone surrogates are skipped): 4 bytes, the trail unit maps inside the character
      b += 4;
      out[++i] = b;
    } else b += 3;
  }
  out[s.length] = b;
  return out;
}

function runProbe(probe: string, input: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(probe, [], { maxBuffer: 1 << 30, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`regex-probe failed: ${err.message}\n${stderr}`));
      else resolve(stdout.split("\n").slice(0, -1));
    });
    child.stdin?.end(input);
  });
}

/** V8's answer in the probe's notation (byte offsets); by name (byName) when `names` are given. */
function jsAnswer(
  re: RegExp,
  subject: string,
  start: number,
  bytes: Uint32Array,
  names?: readonly (string | undefined)[],
): string {
  re.lastIndex = start;
  const m = re.exec(subject);
  if (m === null) return "N";
  if (/[\udc00-\udfff]/.test(subject[m.index] ?? "")) return "mid-pair";
  let out = "M";
  for (const span of m.indices!)
    out += span === undefined ? " -1 -1" : ` ${bytes[span[0]]} ${bytes[span[1]]}`;
  return names === undefined ? out : byName(out, names);
}

/**
 * A match line ("M start end s1 e1 …") as a reader of names sees it, fail2ban's way (filter.c's
 * fregex_search): the match's span, then every name with the span of its last group (in number
 * order) that took part, "-" when none did. `names`: by group number.
 */
function byName(line: string, names: readonly (string | undefined)[]): string {
  if (!line.startsWith("M ")) return line;
  const spans = line.split(" ").slice(1);
  const dict = new Map<string, string>();
  for (let g = 1; g < names.length; g++) {
    const name = names[g];
    if (name === undefined) continue;
    const [a, b] = [spans[2 * g], spans[2 * g + 1]];
    if (a === undefined || b === undefined) return `${line} (no group ${g})`;
    if (a !== "-1") dict.set(name, `${a},${b}`);
    else if (!dict.has(name)) dict.set(name, "-");
  }
  const named = [...dict].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return `M ${spans[0]} ${spans[1]}${named.map(([n, v]) => ` ${n}=${v}`).join("")}`;
}

/**
 * By PCRE2 group number, the name of the JS groups toPcre2Pattern gave it (groupNumbers); null
 * when two of them have different names or a number is unused (a numbering error).
 */
function pcre2Names(
  names: readonly (string | undefined)[],
  numbers: readonly number[],
): (string | undefined)[] | null {
  const out: (string | undefined)[] = [undefined];
  const seen = new Set<number>();
  let ok = true;
  numbers.forEach((n, j) => {
    if (n === 0) return;
    if (seen.has(n) && out[n] !== names[j]) ok = false;
    seen.add(n);
    out[n] = names[j];
  });
  for (let n = 1; n < out.length; n++) if (!seen.has(n)) ok = false;
  return ok ? out : null;
}

async function compare(probe: string, cases: readonly JsCase[], outcome: Outcome): Promise<void> {
  interface Pending {
    readonly c: JsCase;
    readonly expected: string[];
    readonly labels: string[];
    readonly ascii: boolean;
    /** By PCRE2 group number, with `names`: the probe's answers are compared by name. */
    readonly pcreNames?: readonly (string | undefined)[];
  }
  const pending: Pending[] = [];
  let input = "";
  for (const c of cases) {
    outcome.regexes++;
    const pcre = toPcre2Pattern(c.source, c.flags, {
      allowEmptyMatch: c.allowEmptyMatch === true,
      ...(c.names === undefined ? {} : { groupNames: c.names }),
    });
    if (!pcre.ok) {
      outcome.refused++;
      outcome.refusedOrigins.push(`${c.origin}: ${pcre.reason}`);
      continue;
    }
    let pcreNames: (string | undefined)[] | undefined;
    if (c.names !== undefined) {
      const found = pcre2Names(c.names, pcre.groupNumbers ?? []);
      if (found === null) {
        outcome.mismatches.push({ origin: c.origin, source: c.source, groupNumbers: pcre.groupNumbers });
        continue;
      }
      pcreNames = found;
      const numbers = pcre.groupNumbers!;
      if (numbers.some((n, j) => n !== j)) outcome.renumbered++;
      if (numbers.some((n, j) => n > 0 && numbers.indexOf(n) !== j)) outcome.branchReset++;
    }
    const re = new RegExp(c.source, `${c.flags.replace(/[gd]/g, "")}gd`);
    const expected: string[] = [];
    const labels: string[] = [];
    const ascii = pcre.asciiPattern !== undefined;
    if (!ascii) {
      outcome.asciiRefused++;
      outcome.refusedOrigins.push(`${c.origin}: no ASCII variant`);
    }
    input += `P\t${enc(pcre.pattern)}\t${pcre.options}\t${ascii ? enc(pcre.asciiPattern!) : ""}`;
    if (pcre.absent) {
      outcome.prefiltered.regexes++;
      input += `\t${enc(pcre.absent.literal)}\t${enc(pcre.absent.pattern)}\t${enc(pcre.absent.asciiPattern ?? "")}`;
    } else if (pcre.tail) {
      outcome.tails.regexes++;
      input += `\t-\t${pcre.tail.group}\t${enc(pcre.tail.pattern)}\t${enc(pcre.tail.asciiPattern ?? "")}`;
    }
    input += "\n";
    for (const subject of c.subjects) {
      if (pcre.absent && !subject.includes(pcre.absent.literal)) outcome.prefiltered.subjects++;
      if (pcre.tail && !subject.slice(0, -1).includes("\n")) outcome.tails.subjects++;
      const bytes = byteOffsets(subject);
      const encoded = enc(subject);
      const asciiToo = ascii && ASCII.test(subject);
      for (const start of [0, ...(c.starts?.(subject) ?? [])]) {
        const js = jsAnswer(re, subject, start, bytes, c.names);
        expected.push(js);
        labels.push(`${JSON.stringify(subject)} @${start}`);
        input += `S\t${encoded}\t${bytes[start]}\n`;
        if (asciiToo) {
          // The same search through the ASCII variant (regex.c's ascii flag).
          expected.push(js);
          labels.push(`${JSON.stringify(subject)} @${start} (ASCII variant)`);
          input += `S\t${encoded}\t${bytes[start]}\ta\n`;
        }
      }
    }
    pending.push({ c, expected, labels, ascii, ...(pcreNames === undefined ? {} : { pcreNames }) });
  }
  const lines = await runProbe(probe, input);
  let k = 0;
  for (const { c, expected, labels, ascii, pcreNames } of pending) {
    const header = lines[k++] ?? "";
    // With names, PCRE2's capture count must be the highest number toPcre2Pattern gave.
    const count = pcreNames === undefined || header.split(" ")[1] === String(pcreNames.length - 1);
    if (!header.startsWith("C ") || header.endsWith(" A") !== ascii || !count) {
      outcome.mismatches.push({ origin: c.origin, source: c.source, pcre2: header });
      k += expected.length;
      continue;
    }
    expected.forEach((js, i) => {
      const line = lines[k++] ?? "";
      const pcre = pcreNames === undefined ? line : byName(line, pcreNames);
      if (js === "mid-pair") {
        outcome.midPair++;
        return;
      }
      outcome.compared++;
      if (labels[i]!.endsWith("(ASCII variant)")) {
        outcome.asciiCompared++;
        const key = `${c.origin}\t${c.source}`;
        outcome.asciiByOrigin.set(key, (outcome.asciiByOrigin.get(key) ?? 0) + 1);
      }
      if (js !== "N") outcome.matched++;
      if (pcre === "L") outcome.limitHits++;
      if (pcre !== js && outcome.mismatches.length < 20) {
        outcome.mismatches.push({ origin: c.origin, source: c.source, subject: labels[i], js, pcre2: pcre });
      }
    });
  }
  assert.equal(k, lines.length, "probe output out of step");
}

function newOutcome(kind: JsCase["kind"]): Outcome {
  const o = { kind, regexes: 0, refused: 0, compared: 0, matched: 0, limitHits: 0, midPair: 0 };
  return {
    ...o,
    asciiRefused: 0,
    asciiCompared: 0,
    asciiByOrigin: new Map(),
    prefiltered: { regexes: 0, subjects: 0 },
    tails: { regexes: 0, subjects: 0 },
    renumbered: 0,
    branchReset: 0,
    refusedOrigins: [],
    mismatches: [],
  };
}

function report(o: Outcome, skipped: number): void {
  console.log(
    `${o.kind}: ${o.regexes} regexes, ${o.refused} refused, ${o.compared} (regex, subject, start) cases compared` +
      `, ${o.matched} matches, ${o.limitHits} limit hits, ${skipped} subjects skipped (lone surrogates)` +
      `; ASCII variant: ${o.asciiCompared} of those cases (all-ASCII subjects), ${o.asciiRefused} patterns without one` +
      (o.midPair > 0 ? `, ${o.midPair} V8 matches inside a surrogate pair set aside` : "") +
      (o.prefiltered.regexes > 0
        ? `; ${o.prefiltered.regexes} regexes with a prefilter, its variant answered ${o.prefiltered.subjects} subjects`
        : "") +
      (o.tails.regexes > 0
        ? `; ${o.tails.regexes} regexes with a tail variant, it answered ${o.tails.subjects} subjects`
        : "") +
      (o.renumbered > 0
        ? `; ${o.renumbered} regexes renumbered for their names (${o.branchReset} with a branch reset), compared by name`
        : ""),
  );
  if (process.env.REGEX_DEBUG) for (const r of o.refusedOrigins) console.log(`  refused ${r}`);
}

/** A crafted pattern for the scanner's variants (prefilter, tail), searched from every start. */
function variantCase(c: { source: string; flags: string; subjects: readonly string[] }): JsCase {
  const starts = (s: string): number[] => Array.from(s, (_, i) => i + 1).filter((i) => i < s.length);
  return {
    kind: "prefilter",
    origin: c.source,
    source: c.source,
    flags: c.flags,
    subjects: c.subjects,
    starts,
  };
}

/** Translated crafted/random patterns (Python errors and refused translations are not regexes here). */
function translated(
  kind: "crafted" | "random" | "renumbered",
  list: readonly { pattern: string; flags?: number; subjects: readonly string[] }[],
  keep: (s: string) => boolean,
  /** Compare by these names (by JS group index; the translation's own names given). */
  names?: (captureNames: readonly (string | undefined)[]) => (string | undefined)[],
): JsCase[] {
  const out: JsCase[] = [];
  for (const c of list) {
    const flags = c.flags ?? 0;
    const t = translatePythonRegex(c.pattern, {
      multiline: (flags & M) !== 0,
      ignoreCase: (flags & I) !== 0,
      dotAll: (flags & S) !== 0,
      // As the filter regexes are: names only in captureNames (copies of one name would clash).
      namedGroups: names === undefined,
    });
    if (!t.ok) continue;
    const subjects = c.subjects.filter(keep);
    out.push({
      kind,
      origin: c.pattern,
      source: t.value.source,
      flags: t.value.flags,
      subjects,
      allowEmptyMatch: true,
      ...(names === undefined ? {} : { names: names(t.value.captureNames) }),
    });
  }
  return out;
}

/** Every regex of fail2ban's shipped filters over its subjects of the corpus. */
function fail2banCases(
  oracle: OracleOutput,
  keep: (s: string) => boolean,
  names?: (captureNames: readonly (string | undefined)[]) => (string | undefined)[],
): JsCase[] {
  const cases: JsCase[] = [];
  for (const c of oracle.cases) {
    if (c.error !== null) continue;
    const t = translatePythonRegex(c.pattern, { multiline: (c.flags & M) !== 0, namedGroups: false });
    assert.ok(t.ok, `${c.origin}: ${c.pattern}`);
    const list = c.subjectIds.map((id) => oracle.subjects[id]!).filter(keep);
    cases.push({
      kind: names === undefined ? "fail2ban" : "renumbered",
      origin: c.origin,
      source: t.value.source,
      flags: t.value.flags,
      subjects: list,
      ...(names === undefined ? {} : { names: names(t.value.captureNames) }),
    });
  }
  return cases;
}

/**
 * Renumbering for a reader of names (toPcre2Pattern's groupNames): JS patterns, the reader's
 * name of each group (undefined: not read), subjects. Branch-reset groups (equal names, one a
 * prefix of another, nested, the numbers after one, an alternative that set a group and failed),
 * groups no one reads, copies of a name inside and outside a reset group, repetitions,
 * backreferences (into a reset group or not), look-arounds, the prefilter and the tail variant.
 */
const RENUMBER: readonly {
  source: string;
  names: readonly (string | undefined)[];
  subjects: readonly string[];
}[] = [
  {
    source: "^(?:(i)(?:(a)(b)|(c)(d))|(e)(f))$",
    names: [undefined, "u", "h", "u", "h", "u", "h"],
    subjects: ["iab", "icd", "ef", "iaf", "x"],
  },
  { source: "(?:(a)|(b)(c)|d)(e)", names: ["u", "u", "i", "x"], subjects: ["ae", "bce", "de", "be"] },
  {
    source: "(?:(a)(?:(p)|(q))|(b)(r)(s))(z)",
    names: ["u", "p", "q", "u", "p", "q", "t"],
    subjects: ["apz", "aqz", "brsz", "bz"],
  },
  { source: "(a)?(?:(b)|(c))(d)?", names: ["u", "u", "u", "u"], subjects: ["abd", "c", "ac", "bd", "ab"] },
  { source: "(?:(a)(b)|(c))(d)?", names: ["u", "v", "u", "v"], subjects: ["ab", "c", "cd", "abd"] },
  // the first alternative sets both groups, then fails: the second leaves the shared 2 unset
  { source: "(?:(a)(b)x|(a)b)(c)?", names: ["u", "v", "u", "w"], subjects: ["ab", "abx", "abc"] },
  { source: "(?:(a)|(b))*c", names: ["u", "u"], subjects: ["abc", "bac", "c", "aac"] },
  { source: "(?:x(a)|y(b))+?z", names: ["u", "u"], subjects: ["xaybz", "ybxaz", "z"] },
  {
    source: "(?:(?:k=(\\w*)|u=(\\w*)), )*z",
    names: ["v", "v"],
    subjects: ["k=1, u=2, z", "u=2, k=1, z", "z"],
  },
  { source: "(?:(a)|b)*(c)", names: [undefined, "u"], subjects: ["abac", "c"] },
  { source: "(a)(?:(b)|(c))\\1", names: [undefined, "u", "u"], subjects: ["aba", "aca", "ab"] },
  { source: "(?:(a)|(b))\\2", names: ["u", "u"], subjects: ["a", "bb", "b"] },
  { source: "(x)?(?:(a)|(b))\\1", names: [undefined, "u", "u"], subjects: ["xax", "a", "xbx", "xb"] },
  { source: "(?<=(?:(a)|(b)))c", names: ["u", "u"], subjects: ["ac", "bc", "c"] },
  { source: "(?=(?:(a)|(b)))\\w(?!(c)|(d))", names: ["u", "u", "v", "v"], subjects: ["a", "b", "ac", "be"] },
  {
    source:
      "^Failed (\\S+) for (?:(\\S+) from (\\d+(?:\\.\\d+){3})(?: port \\d+)?: |(.+?) from (\\d+(?:\\.\\d+){3})(?: port \\d+)?$)",
    names: [undefined, "user", "ip4", "user", "ip4"],
    subjects: [
      "Failed password for root from 1.2.3.4 port 22",
      "Failed publickey for bob from 1.2.3.4 port 22: RSA",
      "Failed password for a: b from 1.2.3.4 port 22",
    ],
  },
  {
    source: "^(x)?(?:(a)|(b)) ([^\\n]+)(?=\\n?$)",
    names: [undefined, "u", "u", "content"],
    subjects: ["xa foo", "b bar\n", "a \n", "a b\nc", "b "],
  },
];

/** Code points (as ranges) the one-character JS pattern matches, surrogates left out. */
function jsSweep(source: string, flags: string): number[] {
  const re = new RegExp(source, `${flags}y`);
  const out: number[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp === 0xd800) cp = 0xe000;
    const ch = String.fromCodePoint(cp);
    re.lastIndex = 0;
    const m = re.exec(ch);
    if (m !== null && m[0].length === ch.length) {
      if (out.length > 0 && out[out.length - 1] === cp - 1) out[out.length - 1] = cp;
      else out.push(cp, cp);
    }
  }
  return out;
}

function inRanges(ranges: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < ranges[2 * mid]!) hi = mid - 1;
    else if (cp > ranges[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Code points in exactly one of two range lists. */
function symmetricDifference(a: readonly number[], b: readonly number[]): number[] {
  const bounds = new Set<number>();
  for (const r of [a, b]) for (let i = 0; i < r.length; i += 2) bounds.add(r[i]!).add(r[i + 1]! + 1);
  const sorted = [...bounds].sort((x, y) => x - y);
  const out: number[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const lo = sorted[i]!;
    if (inRanges(a, lo) !== inRanges(b, lo)) for (let cp = lo; cp < sorted[i + 1]!; cp++) out.push(cp);
  }
  return out;
}

/** One-character JS patterns (in the translators' vocabulary) swept over every code point. */
const SWEEPS: readonly (readonly [string, string])[] = [
  ["\\p{L}", "u"],
  ["\\P{L}", "u"],
  ["\\p{N}", "u"],
  ["\\p{Nd}", "u"],
  ["\\P{Nd}", "u"],
  ["[\\p{L}\\p{N}_]", "u"],
  ["[^\\p{L}\\p{N}_]", "u"],
  ["\\w", "u"],
  ["\\W", "u"],
  ["\\s", "u"],
  ["\\S", "u"],
  ["[^\\s\\d]", "u"],
  [".", "u"],
  [".", "su"],
  ["[^]", "u"],
  ["\\p{L}", "iu"],
  ["\\P{L}", "iu"],
  ["\\P{N}", "iu"],
  ["\\p{Nd}", "iu"],
  ["[\\p{L}\\p{N}_]", "iu"],
  ["[^\\p{L}\\p{N}_]", "iu"],
  ["\\w", "iu"],
  ["\\W", "iu"],
  ["[^\\W]", "iu"],
  ["[A-Z\\u0130\\u0131]", "iu"],
  ["[iI\\u0130\\u0131]", "iu"],
  ["[^k]", "iu"],
  ["[a-z\\u{3c3}]", "iu"],
  ["\\u{df}", "iu"],
];

describe("translated JS RegExp ↔ PCRE2 (differential)", () => {
  let dir: string;
  let probe: string;
  let oracle: OracleOutput;
  let skipped = 0;
  const keep = (s: string): boolean => {
    if (!LONE_SURROGATE.test(s)) return true;
    skipped++;
    return false;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-regex-probe-"));
    probe = join(dir, "regex-probe");
    const q = (path: string): string => `'${path.replaceAll("'", "'\\''")}'`;
    const pcre2 = "$(pkg-config --cflags --libs libpcre2-8 2>/dev/null || echo -lpcre2-8)";
    const build = `gcc -std=c11 -O2 -Wall -I${q(`${ROOT}native/src`)} ${PROBE_SOURCES.map(q).join(" ")} ${pcre2} -o ${q(probe)}`;
    const [, built] = await Promise.all([
      runOracle({
        cases: [],
        fail2ban: { config: FAIL2BAN_CONFIG, corpus: FAIL2BAN_CORPUS, extraSubjects: EDGE_SUBJECTS },
      }).then((o) => {
        oracle = o;
      }),
      new Promise<void>((resolve, reject) =>
        execFile("sh", ["-c", build], (err, _stdout, stderr) =>
          err ? reject(new Error(`cannot build the probe: ${stderr}`)) : resolve(),
        ),
      ),
    ]);
    void built;
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("rewrites or refuses each known JS ↔ PCRE2 gap, agreeing with V8", async () => {
    const empty = { allowEmptyMatch: true };
    const refused = JS_GAPS.filter((g) => !toPcre2Pattern(g.source, g.flags, empty).ok).map((g) => g.source);
    assert.deepEqual(
      refused,
      JS_GAPS.filter((g) => g.refused).map((g) => g.source),
    );
    const starts = (s: string): number[] =>
      Array.from(s, (_, i) => i + 1).filter((i) => i < s.length && !/[\udc00-\udfff]/.test(s[i]!));
    const cases: JsCase[] = JS_GAPS.filter((g) => !g.refused).map((g) => ({
      kind: "gaps",
      origin: g.source,
      source: g.source,
      flags: g.flags,
      subjects: g.subjects,
      starts,
      allowEmptyMatch: true,
    }));
    const outcome = newOutcome("gaps");
    await compare(probe, cases, outcome);
    report(outcome, 0);
    assert.deepEqual(outcome.mismatches, []);
    assert.equal(outcome.refused, 0);
    assert.equal(outcome.asciiRefused, 0, outcome.refusedOrigins.join("\n"));
    assert.ok(outcome.asciiCompared >= 100, `only ${outcome.asciiCompared} ASCII cases`);
    assert.ok(outcome.midPair > 0, "V8 no longer matches inside a surrogate pair: allow empty matches again");
    assert.equal(toPcre2Pattern("(?![^a])", "u").ok, false);
  });

  it("answers through the prefilter variant exactly where its literal is absent", async () => {
    // Each pattern has alternatives only some of which need a literal; the subjects have it or not.
    const PREFILTER: readonly {
      source: string;
      flags: string;
      literal: string;
      subjects: readonly string[];
    }[] = [
      {
        source:
          "^Failed (\\S+) for (?:(\\S+) from (\\d+(?:\\.\\d+){3})(?: port \\d+)?: |(.+?) from (\\d+(?:\\.\\d+){3})(?: port \\d+)?$)",
        flags: "u",
        literal: ": ",
        subjects: [
          "Failed password for root from 1.2.3.4 port 22",
          "Failed publickey for bob from 1.2.3.4 port 22: RSA",
          "Failed password for a: b from 1.2.3.4 port 22",
          "Failed password for x from 1.2.3.4:",
        ],
      },
      // Nested alternations, a group around the literal, a lookbehind, a backreference.
      {
        source: "(?<a>x)(?:y+(=>)z|w|(?:q|r)\\d*=>(\\k<a>))(?<=[xz])",
        flags: "u",
        literal: "=>",
        subjects: ["xyy=>zxw", "xq1=>x", "xwww", "xr=x", "xyz", "=>xq=>x"],
      },
      // Alternatives inside a repetition.
      {
        source: "(?:(?:y+=>z|w)|(?:q|r)\\d*=>x)+$",
        flags: "u",
        literal: "=>z",
        subjects: ["yy=>zw", "q1=>xwq=>x", "www", "r=x", "yz", "=>q=>x"],
      },
      // Under i a literal without letters is still searched as bytes.
      {
        source: "(?:K\\s*\\d+:: |k+)$",
        flags: "iu",
        literal: ":: ",
        subjects: ["\u212a 12:: ", "K:: ", "kkk", "\u212aK", "k 1::"],
      },
      // A literal the first alternative starts with is not a prefilter; the second's is.
      {
        source: "^(?:ab.*|.+?--\\w+)$",
        flags: "u",
        literal: "--",
        subjects: ["abc--d", "xy--z", "xyz", "ab"],
      },
    ];
    const cases = PREFILTER.map((p) => {
      const pcre = toPcre2Pattern(p.source, p.flags);
      assert.ok(pcre.ok && pcre.absent, `${p.source}: no prefilter`);
      assert.equal(pcre.absent.literal, p.literal, p.source);
      return variantCase(p);
    });
    // Shared literals separate nothing; a letter under i would make the byte search wrong.
    for (const [source, flags] of [
      ["(?:a.*: |b.*: )", "u"],
      ["x(?:.*abc|.*def)", "iu"],
      ["^(?:a|b)$", "u"],
    ] as const) {
      const pcre = toPcre2Pattern(source, flags);
      assert.ok(pcre.ok && pcre.absent === undefined, `${source}: ${JSON.stringify(pcre)}`);
    }
    const outcome = newOutcome("prefilter");
    await compare(probe, cases, outcome);
    report(outcome, 0);
    assert.deepEqual(outcome.mismatches, []);
    assert.equal(outcome.prefiltered.regexes, PREFILTER.length);
    assert.ok(outcome.prefiltered.subjects >= 10);
    assert.ok(outcome.matched >= 10, `only ${outcome.matched} matches`);
  });

  it("answers through the tail variant exactly on one-line subjects", async () => {
    // Heads with several ways to end (the first one leaving nothing for the content), subjects
    // with and without a last "\n", with "\n" inside (the variant must not be used), "\r".
    const TAIL: readonly { source: string; flags: string; subjects: readonly string[] }[] = [
      {
        source: "^(?<pre>\\w+:? ?)(?:(?:error|fatal): )?(?:(?<content>[^\\n]+))(?=\\n?$)",
        flags: "u",
        subjects: [
          "sshd: Failed x",
          "sshd: Failed x\n",
          "sshd:",
          "sshd: ",
          "sshd:\n",
          "a: b\nc",
          "a: b\nc\n",
          "a\r\n",
          "error: x",
          "é: ü\n",
          "",
        ],
      },
      {
        source: "(x*)([^\\n]+)(?=\\n?$)",
        flags: "iu",
        subjects: ["xxx", "xxx\n", "\n", "\n\n", "ax\nb", "XxY"],
      },
      // A content gated by a head (Rampart's own prefregexes: `(?:Failed|User|…).+`), with ways
      // through it that leave nothing for the class. (A head with groups gets no tail variant:
      // the emitter refuses captures inside the lookahead it would need.)
      {
        source: "^(?<pre>\\w+: )(?<content>(?:Failed|F|User)[^\\n]+)(?=\\n?$)",
        flags: "u",
        subjects: [
          "sshd: Failed x",
          "sshd: F",
          "sshd: Fa\n",
          "sshd: F\n",
          "sshd: User",
          "sshd: Users",
          "sshd: Other x",
          "s: Fx\ny",
        ],
      },
      {
        source: "^(\\w+ )((?:a|ab|abc?)[^\\n]+)(?=\\n?$)",
        flags: "u",
        subjects: ["x a", "x ab", "x abc", "x a\n", "x ab\n", "x abb", "x b", "x a\nb"],
      },
    ];
    const cases = TAIL.map((t) => {
      const pcre = toPcre2Pattern(t.source, t.flags);
      assert.ok(pcre.ok && pcre.tail, `${t.source}: no tail variant`);
      return variantCase(t);
    });
    const outcome = newOutcome("prefilter");
    await compare(probe, cases, outcome);
    report(outcome, 0);
    assert.deepEqual(outcome.mismatches, []);
    assert.equal(outcome.tails.regexes, TAIL.length);
    assert.ok(outcome.tails.subjects >= 10);
    assert.ok(outcome.matched >= 10, `only ${outcome.matched} matches`);
  });

  it("agrees with V8 on every crafted and seeded random pattern it accepts", async () => {
    for (const [kind, list] of [
      ["crafted", CRAFTED],
      ["random", RANDOM],
    ] as const) {
      const before = skipped;
      const outcome = newOutcome(kind);
      await compare(probe, translated(kind, list, keep), outcome);
      report(outcome, skipped - before);
      assert.deepEqual(outcome.mismatches, []);
      assert.equal(outcome.limitHits, 0);
      assert.ok(outcome.compared >= (kind === "crafted" ? 200 : 5000), `only ${outcome.compared} cases`);
      assert.equal(outcome.asciiRefused, 0, outcome.refusedOrigins.join("\n"));
      const least = kind === "crafted" ? 100 : 2000;
      assert.ok(outcome.asciiCompared >= least, `only ${outcome.asciiCompared} ASCII cases`);
    }
  });

  it("renumbered for a reader of names: the same names and values as V8", async () => {
    const every = (s: string): number[] => Array.from(s, (_, i) => i + 1).filter((i) => i < s.length);
    const crafted: JsCase[] = RENUMBER.map((r) => ({
      kind: "renumbered",
      origin: r.source,
      source: r.source,
      flags: "u",
      subjects: r.subjects,
      starts: every,
      allowEmptyMatch: true,
      names: [undefined, ...r.names],
    }));
    let outcome = newOutcome("renumbered");
    await compare(probe, crafted, outcome);
    report(outcome, 0);
    assert.deepEqual(outcome.mismatches, []);
    assert.equal(outcome.refused, 0, outcome.refusedOrigins.join("\n"));
    // All but two: a backreference into the alternation and a lookbehind keep it as it is.
    assert.equal(outcome.renumbered, RENUMBER.length - 2);
    assert.equal(outcome.prefiltered.regexes, 1);
    assert.equal(outcome.tails.regexes, 1);
    // fail2ban's filters as the scanner reads them (its keys and alt_ names): scannerReads must
    // know every key filter.c reads, or the plan would drop its groups.
    const filterC = readFileSync(`${ROOT}native/src/filter.c`, "utf8");
    const keys = /key_names\[K_COUNT\]\s*=\s*\{([^}]*)\}/.exec(filterC)?.[1]?.match(/"[^"]*"/g) ?? [];
    assert.ok(keys.length >= 11, `filter.c's key_names: ${keys}`);
    for (const key of keys) assert.ok(scannerReads(key.slice(1, -1)), key);
    assert.ok(scannerReads("alt_user_1") && !scannerReads("alt_") && !scannerReads("cond_user"));
    const scanner = (names: readonly (string | undefined)[]) =>
      names.map((n) => (n !== undefined && scannerReads(n) ? n : undefined));
    let before = skipped;
    outcome = newOutcome("renumbered");
    await compare(probe, fail2banCases(oracle, keep, scanner), outcome);
    report(outcome, skipped - before);
    assert.deepEqual(outcome.mismatches, []);
    assert.equal(outcome.limitHits, 0);
    assert.ok(outcome.renumbered >= 140, `only ${outcome.renumbered} renumbered`);
    // sshd's `Failed …` regexes (their expanded conditionals), in each mode.
    assert.ok(outcome.branchReset >= 4, `only ${outcome.branchReset} with a branch reset`);
    assert.ok(outcome.asciiCompared >= 100_000, `only ${outcome.asciiCompared} ASCII cases`);
    assert.ok(outcome.prefiltered.subjects >= 1000, `${outcome.prefiltered.subjects} prefiltered subjects`);
    assert.ok(outcome.tails.subjects >= 1000, `${outcome.tails.subjects} tail subjects`);
    // Crafted and random patterns under made-up names: every group "g" (every alternation with
    // groups in two alternatives is reset), and a mix of unread groups and two names.
    // Least counts of renumbered regexes and of those with a branch reset, crafted and random.
    const schemes: [(names: readonly (string | undefined)[]) => (string | undefined)[], number[]][] = [
      [(names) => names.map((_, j) => (j === 0 ? undefined : "g")), [3, 3, 90, 90]],
      [(names) => names.map((_, j) => (j % 3 === 0 ? undefined : `n${j % 2}`)), [10, 0, 200, 10]],
    ];
    for (const [scheme, least] of schemes) {
      for (const [k, list] of [CRAFTED, RANDOM].entries()) {
        before = skipped;
        outcome = newOutcome("renumbered");
        await compare(probe, translated("renumbered", list, keep, scheme), outcome);
        report(outcome, skipped - before);
        assert.deepEqual(outcome.mismatches, []);
        assert.equal(outcome.limitHits, 0);
        assert.ok(outcome.renumbered >= least[2 * k]!, `only ${outcome.renumbered} renumbered`);
        assert.ok(outcome.branchReset >= least[2 * k + 1]!, `only ${outcome.branchReset} reset`);
      }
    }
  });

  it("ASCII variant: agrees with V8 on the risky atoms", async () => {
    const every = (s: string): number[] => Array.from(s, (_, i) => i + 1);
    const cases: JsCase[] = ASCII_CASES.map((c) => ({
      kind: "ascii",
      origin: c.source,
      source: c.source,
      flags: c.flags,
      subjects: [...c.subjects, ...ASCII_SUBJECTS],
      starts: every,
      allowEmptyMatch: true,
    }));
    for (const c of cases)
      assert.ok(
        c.subjects.every((s) => ASCII.test(s)),
        c.source,
      );
    const outcome = newOutcome("ascii");
    await compare(probe, cases, outcome);
    report(outcome, 0);
    assert.deepEqual(outcome.mismatches, []);
    assert.equal(outcome.refused, 0, outcome.refusedOrigins.join("\n"));
    assert.equal(outcome.asciiRefused, 0, outcome.refusedOrigins.join("\n"));
    assert.equal(outcome.asciiCompared * 2, outcome.compared);
    assert.ok(outcome.matched >= 1000, `only ${outcome.matched} matches`);
    // The probe (regex.c) runs the ASCII variant on an ASCII search only.
    assert.deepEqual(await runProbe(probe, "P\ta\t\tb\nS\tb\t0\ta\nS\tb\t0\nS\t\u00e9b\t0\ta\n"), [
      "C 0 A",
      "M 0 1",
      "N",
      "X not-ascii",
    ]);
    // Non-ASCII atoms that match ASCII under i, and ones that match none.
    const variant = (source: string, flags: string): string | undefined => {
      const r = toPcre2Pattern(source, flags);
      return r.ok ? r.asciiPattern : undefined;
    };
    assert.equal(variant("\\u212a", "iu"), "k");
    assert.equal(variant("\\u017f", "iu"), "s");
    assert.equal(variant("\\u212a", "u"), "[^\\s\\S]");
    assert.equal(variant("[^é]", "u"), "[\\s\\S]");
  });

  it("covers every regex of fail2ban's shipped filters, equal to V8 over the test corpus", async () => {
    const before = skipped;
    const outcome = newOutcome("fail2ban");
    await compare(probe, fail2banCases(oracle, keep), outcome);
    report(outcome, skipped - before);
    assert.deepEqual(outcome.mismatches, []);
    assert.equal(outcome.limitHits, 0);
    assert.equal(outcome.asciiRefused, 0, outcome.refusedOrigins.join("\n"));
    assert.ok(outcome.asciiCompared >= 100_000, `only ${outcome.asciiCompared} ASCII cases`);
    // sshd's prefregex and failregexes, the benchmark's filter, ran through their ASCII variants.
    const sshd = [...outcome.asciiByOrigin].filter(([origin]) => origin.startsWith("sshd["));
    assert.ok(sshd.length >= 10, `only ${sshd.length} sshd regexes ran as ASCII`);
    assert.ok(
      sshd.every(([, n]) => n >= 10),
      JSON.stringify(sshd),
    );
    assert.ok(outcome.regexes >= 300, `only ${outcome.regexes} fail2ban regexes`);
    assert.ok(outcome.matched >= 1000, `only ${outcome.matched} matches`);
    // Every prefregex ending `<F-CONTENT>.+</F-CONTENT>$` (sshd's among them).
    assert.ok(outcome.tails.regexes >= 10, `${outcome.tails.regexes} regexes with a tail variant`);
    assert.ok(
      outcome.tails.subjects >= 1000,
      `${outcome.tails.subjects} subjects answered by a tail variant`,
    );
    // sshd's `Failed …` regexes at least: their ": " forms fail at once on lines without ": ".
    assert.ok(outcome.prefiltered.regexes >= 2, `${outcome.prefiltered.regexes} prefiltered regexes`);
    assert.ok(outcome.prefiltered.subjects >= 1000, `${outcome.prefiltered.subjects} prefiltered subjects`);
    const refusedFilters = new Set(outcome.refusedOrigins.map((o) => o.slice(0, o.indexOf("["))));
    assert.deepEqual(refusedFilters, REFUSED_FILTERS, outcome.refusedOrigins.join("\n"));
  });

  it("covers every default date template (unwrapped, as the native scanner runs it), equal to V8", async () => {
    const before = skipped;
    const subjects = [...oracle.subjects, ...EDGE_SUBJECTS].filter(keep);
    // Besides 0, start after the first space and in the middle (the detector searches from pos).
    const starts = (s: string): number[] => {
      const out: number[] = [];
      for (const at of [s.indexOf(" ") + 1, s.length >> 1]) {
        const p = at > 0 && at < s.length && /[\udc00-\udfff]/.test(s[at]!) ? at + 1 : at;
        if (p > 0 && p <= s.length) out.push(p);
      }
      return out;
    };
    const cases: JsCase[] = [];
    const seen = new Set<string>();
    for (const year of [2026]) {
      for (const template of registryFor(year).cachedTemplates()) {
        const p = template.portable();
        if (seen.has(`${p.jsFlags}/${p.pattern}`)) continue;
        seen.add(`${p.jsFlags}/${p.pattern}`);
        cases.push({
          kind: "date",
          origin: template.name,
          source: p.pattern,
          flags: p.jsFlags,
          subjects,
          starts,
        });
      }
    }
    const outcome = newOutcome("date");
    await compare(probe, cases, outcome);
    report(outcome, skipped - before);
    assert.deepEqual(outcome.mismatches, []);
    assert.deepEqual(outcome.refusedOrigins, []);
    // Every template ran through its ASCII variant on many lines.
    assert.equal(outcome.asciiByOrigin.size, outcome.regexes);
    assert.ok(
      [...outcome.asciiByOrigin.values()].every((n) => n >= 100),
      "a template with few ASCII cases",
    );
    assert.equal(outcome.limitHits, 0);
    assert.ok(outcome.regexes >= 30, `only ${outcome.regexes} templates`);
    assert.ok(outcome.matched >= 2000, `only ${outcome.matched} matches`);
  });

  it("matches the same code points for classes, '.', and case-insensitive sets", async () => {
    // PCRE2 10.42 knows Unicode 14 (like Python 3.11), V8's ICU a newer one: only code points
    // unassigned in Unicode 14 may differ.
    let input = `P\t${enc("\\p{Cn}")}\t\nS\t\t0\tr\n`;
    for (const [source, flags] of SWEEPS) {
      const pcre = toPcre2Pattern(source, flags);
      assert.ok(pcre.ok && pcre.asciiPattern !== undefined, `${source} /${flags} refused`);
      input += `P\t${enc(pcre.pattern)}\t${pcre.options}\t${enc(pcre.asciiPattern)}\nS\t\t0\tr\nS\t\t0\tra\n`;
    }
    const lines = await runProbe(probe, input);
    const ranges = (line: string): number[] => line.split(" ").slice(1).map(Number);
    const unassigned = ranges(lines[1]!);
    const report: string[] = [];
    SWEEPS.forEach(([source, flags], k) => {
      assert.match(lines[2 + 3 * k]!, /^C \d+ A$/);
      // The ASCII variant matches exactly V8's ASCII members (no Unicode-version drift there).
      const all = jsSweep(source, flags);
      const ascii: number[] = [];
      for (let i = 0; i < all.length && all[i]! < 0x80; i += 2)
        ascii.push(all[i]!, Math.min(all[i + 1]!, 0x7f));
      const asciiDiff = symmetricDifference(ascii, ranges(lines[4 + 3 * k]!));
      if (asciiDiff.length > 0)
        report.push(`${source} /${flags} (ASCII variant): ${asciiDiff.map((c) => c.toString(16))}`);
      const diff = symmetricDifference(jsSweep(source, flags), ranges(lines[3 + 3 * k]!));
      const assigned = diff.filter((cp) => !inRanges(unassigned, cp));
      if (assigned.length > 0)
        report.push(`${source} /${flags}: ${assigned.slice(0, 10).map((c) => c.toString(16))}`);
    });
    assert.deepEqual(report, []);
  });

  it("knows every case pair and caseless property member where V8 and PCRE2 differ", async () => {
    // Candidates: code points with a case mapping, and their images.
    const candidates = new Set<number>();
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp === 0xd800) cp = 0xe000;
      const ch = String.fromCodePoint(cp);
      for (const other of [ch.toLowerCase(), ch.toUpperCase()]) {
        if (other === ch) continue;
        candidates.add(cp);
        for (const c of other) candidates.add(c.codePointAt(0)!);
      }
    }
    const list = [...candidates].sort((a, b) => a - b);
    const all = list.map((cp) => String.fromCodePoint(cp)).join("");
    const byByte = new Map<number, number>();
    let b = 0;
    for (const cp of list) {
      byByte.set(b, cp);
      b += Buffer.byteLength(String.fromCodePoint(cp));
    }
    let input = `P\t${enc("\\p{Cn}")}\t\nS\t\t0\tr\n`;
    for (const cp of list) input += `P\t\\u{${cp.toString(16)}}\ti\nS\t${enc(all)}\t0\tg\n`;
    const lines = await runProbe(probe, input);
    const unassigned = lines[1]!.split(" ").slice(1).map(Number);
    const known = new Set(CASE_FOLD_DRIFT.map(([from, to]) => `${from}/${to}`));
    const unexplained: string[] = [];
    list.forEach((cp, k) => {
      const js = new Set(
        [...all.matchAll(new RegExp(`\\u{${cp.toString(16)}}`, "giu"))].map((m) => m[0].codePointAt(0)!),
      );
      const spans = lines[3 + 2 * k]!.split(" ").slice(1).map(Number);
      const pcre = new Set<number>();
      for (let i = 0; i < spans.length; i += 2) pcre.add(byByte.get(spans[i]!)!);
      for (const x of [...js, ...pcre]) {
        if (js.has(x) === pcre.has(x) || inRanges(unassigned, x) || known.has(`${cp}/${x}`)) continue;
        unexplained.push(`${cp.toString(16)}~${x.toString(16)}`);
      }
    });
    assert.deepEqual(unexplained, []);
    // Every listed pair is one V8 folds (the list is not stale).
    for (const [from, to] of CASE_FOLD_DRIFT) {
      assert.ok(
        new RegExp(`\\u{${from.toString(16)}}`, "iu").test(String.fromCodePoint(to)),
        `${from}/${to}`,
      );
    }
    // The caseless property extras are exactly what V8's case folding adds (assigned in Unicode 14).
    for (const [key, extras] of Object.entries(CASELESS_PROPERTY_EXTRAS)) {
      const source = key.startsWith("^") ? `\\P{${key.slice(1)}}` : `\\p{${key}}`;
      const added = symmetricDifference(jsSweep(source, "u"), jsSweep(source, "iu")).filter(
        (cp) => !inRanges(unassigned, cp),
      );
      assert.deepEqual(added, [...extras], source);
    }
  });
});
