/**
 * The cases of the regex differential tests (python-differential.test.ts: Python `re` ↔ translated
 * JS; pcre2-differential.test.ts: translated JS ↔ PCRE2): crafted patterns, seeded random ones,
 * and Python-re-oracle.py, which adds every regex of fail2ban's shipped filters with the test corpus.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const ORACLE = `${ROOT}test/integration/regex/python-re-oracle.py`;
// fail2ban's own interpreter is the reference; fall back to whatever python3 is on PATH.
export const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
export const FAIL2BAN_CONFIG = "/etc/fail2ban";
export const FAIL2BAN_CORPUS = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs";

export const I = 2;
export const M = 8;
export const S = 16;

export interface CraftedCase {
  readonly pattern: string;
  readonly flags?: number;
  readonly subjects: readonly string[];
}

const SSHD_COND = String.raw`^Failed \S+ for (?P<cond_inv>invalid user )?(?P<user>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)) from (?P<ip>\d+\.\d+\.\d+\.\d+)(?: port \d+)?(?: on \S+(?: port \d+)?)?(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)`;
const SSHD_SUBJECTS = [
  "Failed password for root from 1.2.3.4 port 22 ssh2",
  "Failed password for root from 1.2.3.4 port 22 ssh2\n",
  "Failed password for root from 1.2.3.4 port 22 ssh2: RSA SHA256:abc",
  "Failed password for invalid user  from 1.2.3.4 port 22 ssh2",
  "Failed password for invalid user bob from 1.2.3.4 port 22 ssh2\n",
  "Failed password for invalid user bob from 1.2.3.4 port 22 ssh2 from 5.6.7.8 port 22 ssh2\n",
  "Failed password for invalid user x from 1.2.3.4 port 22 from 9.9.9.9 port 22 ssh2",
  "Failed password for a b c from 1.2.3.4 port 22 ssh2",
  "Failed password for a: b from 1.2.3.4 port 22 ssh2",
  "Failed publickey for git from 1.2.3.4 port 22 ssh2: ECDSA SHA256:x\r\n",
  "Failed password for root from 1.2.3.4 port 22 ssh2\r",
  "Failed password for root from ١.٢.٣.٤ port 22 ssh2",
  "Failed none for invalid user 😀 from 1.2.3.4 port 5 ssh2",
];

/** Subjects run against every fail2ban regex too: the hostile corners of real logs. */
export const EDGE_SUBJECTS = [
  "",
  "\n",
  "\r\n",
  " sshd[123]: Failed password for invalid user admin from 1.2.3.4 port 22 from 6.6.6.6 port 22 ssh2\n",
  " sshd[123]: Invalid user  from 1.2.3.4 port 22 ssh2 from 10.0.0.1\n",
  " sshd[123]: Failed password for root from 1.2.3.4 port 22 ssh2\r\n",
  " sshd[123]: Failed password for root from 1.2.3.4 port 22 ssh2\n\n",
  " sshd[123]: Failed password for root from ١٢٣.1.2.3 port 22 ssh2\n",
  " sshd[123]: Failed password for root from 1.2.3.4 port ٢٢ ssh2\n",
  " sshd[123]: Failed password for rööt from 2001:db8::1 port 22 ssh2\n",
  " sshd[123]: Failed password for root from host.exämple.org port 22 ssh2\n",
  " sshd[123]: error: PAM: Authentication failure for user\u2028x from 1.2.3.4\n",
  " sshd[123]: Connection closed by authenticating user r\u0000t 1.2.3.4 port 22 [preauth]\n",
  " sshd[123]: Disconnected from invalid user \udcff 1.2.3.4 port 22 [preauth]\n",
  " webmail: auth failed from 1.2.3.4 \u00a0\u3000 user=𝒜\n",
];

export const CRAFTED: readonly CraftedCase[] = [
  { pattern: SSHD_COND, subjects: SSHD_SUBJECTS },
  // named groups, backreferences, participation
  { pattern: "(?P<n>a+)-(?P=n)", subjects: ["aa-aa", "aa-a", "a-aa", "x"] },
  { pattern: String.raw`(a)?b\1`, subjects: ["ab", "aba", "b", "bb"] },
  { pattern: `(?:(?P<q>["'])|)x(?P=q)`, subjects: ['"x"', "x", "'x'", "'x\""] },
  { pattern: String.raw`(a)|b\1`, subjects: ["a", "b", "ba"] },
  { pattern: String.raw`(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)\10`, subjects: ["abcdefghijj", "abcdefghija0"] },
  { pattern: String.raw`(a)\1\0`, subjects: ["aa\0", "aa"] },
  // conditionals
  { pattern: "(a)?(?(1)b|c)", subjects: ["ab", "c", "ac", "b", "xabc"] },
  { pattern: "(a)??(?(1)b|c)", subjects: ["ab", "c", "ac", "b"] },
  { pattern: "(?P<x>a)?(?(x)b)c", subjects: ["abc", "c", "ac", "bc"] },
  { pattern: "(?(1)a|b)(c)", subjects: ["bc", "ac", "c"] },
  { pattern: "(?(2)a|b)(c)", subjects: ["bc"] },
  { pattern: "(a)*(?(1)x|y)", subjects: ["aax", "y", "ay", "ax", "x"] },
  { pattern: "(a){0,2}?(?(1)x|y)", subjects: ["aax", "y", "ay", "ax", "x"] },
  { pattern: "(?:(a)|b)(?(1)x|y)(?:(c)|d)(?(2)x|y)", subjects: ["axcx", "bydy", "axdy", "aycx", "bxcx"] },
  { pattern: "(?P<o>\\()?\\w+(?(o)\\))", subjects: ["(ab)", "ab", "(ab", "ab)"] },
  { pattern: "(?P<a>x|(?P<b>y))(?(b)1|2)(?P=a)", subjects: ["x2x", "y1y", "y2y", "x1x"] },
  // anchors and line ends
  { pattern: "a$", subjects: ["a", "a\n", "a\n\n", "a\r\n", "ab", "a\r"] },
  { pattern: "^b$", flags: M, subjects: ["a\nb\nc", "a\rb\r", "b", "a\u2028b", "a\nb"] },
  { pattern: String.raw`a\Z`, subjects: ["a", "a\n"] },
  { pattern: String.raw`\Ab`, flags: M, subjects: ["b", "a\nb"] },
  { pattern: "^", flags: M, subjects: ["", "\n"] },
  { pattern: "$", subjects: ["", "\n", "a\n"] },
  { pattern: "(?m)x$\\n^y", subjects: ["x\ny", "x\r\ny"] },
  // dot
  { pattern: "a.c", subjects: ["a\rc", "a\u2028c", "a\nc", "a😀c", "a\udcffc"] },
  { pattern: "(?s)a.c", subjects: ["a\nc", "a\rc"] },
  { pattern: "a.c", flags: S, subjects: ["a\nc"] },
  // Unicode classes
  { pattern: String.raw`\d+`, subjects: ["١٢٣", "x𝟘𝟙", "²", "Ⅳ"] },
  { pattern: String.raw`\w+`, subjects: ["héllo wörld", "日本語", "a\u0301b", "Ⅳ²", "_"] },
  { pattern: String.raw`\s+`, subjects: ["\u001c\u001f", "\u00a0", "\ufeff", "\u0085", "\u200b"] },
  { pattern: String.raw`\S+`, subjects: ["\ufeffab", " \u3000x"] },
  { pattern: String.raw`\b\w+\b`, subjects: ["éa b", "-ü-", "日本"] },
  { pattern: String.raw`x\B`, subjects: ["xé", "x y", "x"] },
  {
    pattern: String.raw`\bfoo|bar\b|\B-|-\B|\b-|-\b`,
    subjects: ["éfoo", "xfoo", "foo", "baré", "bar1", "bar.", "a-b", "é-", "--", "-"],
  },
  { pattern: String.raw`\bé\b|\B1\B`, subjects: ["aé", "é", "-é-", "a1b", "1", "١1١"] },
  { pattern: String.raw`\B`, subjects: ["", "a", " "] },
  { pattern: String.raw`(?a)\w+\b`, subjects: ["héllo", "abc"] },
  { pattern: String.raw`(?a)\d\s`, subjects: ["١ ", "1\u00a0", "1 "] },
  { pattern: String.raw`[\W\d]+`, subjects: ["ab-1.é", "é"] },
  { pattern: String.raw`[^\W\d]+`, subjects: ["1ab_é2", "١"] },
  { pattern: String.raw`[\D]+`, subjects: ["ab١1"] },
  { pattern: String.raw`[^\S\n]+`, subjects: ["a \t\n b"] },
  // case-insensitivity
  { pattern: "(?i)straße", subjects: ["STRASSE", "STRAẞE", "Straße"] },
  { pattern: "(?i:k)", subjects: ["\u212a", "K", "k"] },
  { pattern: "(?i)[a-z]+", subjects: ["ſK\u212a", "İı"] },
  { pattern: "(?i)[^k]", subjects: ["\u212a", "K", "x"] },
  { pattern: "(?-i:a)B", flags: I, subjects: ["ab", "Ab", "aB", "AB"] },
  { pattern: "(?i)ǅ", subjects: ["ǆ", "Ǆ", "ǅ"] },
  { pattern: "(?i)i", subjects: ["İ", "ı", "I"] },
  { pattern: "(?i)(a)\\1", subjects: ["aA", "Aa", "ab"] },
  { pattern: "(?ia)k", subjects: ["\u212a", "K"] },
  { pattern: "x(?i:Y(?-i:z))", subjects: ["xyz", "xYZ", "xyZ"] },
  { pattern: "(?i)\\w", subjects: ["\u24b6", "Ⅰ"] },
  // verbose
  { pattern: "(?x) a b # comment\n c [ ]d \\ e", subjects: ["abc de", "abc d e"] },
  { pattern: "a b(?x: c d )e f", subjects: ["a bcde f", "a b c d e f"] },
  // escapes
  { pattern: String.raw`\"\:\-\<\ \'\,\;\=\>\/\@\%`, subjects: [`":-< ',;=>/@%`] },
  { pattern: String.raw`\x41\u0042\U00000043\101\0\7`, subjects: ["ABCA\0\u0007"] },
  { pattern: String.raw`[\b]\t\n\r\f\v\a\\`, subjects: ["\b\t\n\r\f\u000b\u0007\\"] },
  { pattern: String.raw`\U0001F600+`, subjects: ["😀😀", "\ud83d"] },
  // character classes
  { pattern: "[]a]+", subjects: ["]a]b"] },
  { pattern: "[^]a]+", subjects: ["]xy]"] },
  { pattern: "[a-]+[-b]+", subjects: ["a--b"] },
  { pattern: String.raw`[\d-]+[\w.-]+`, subjects: ["12-3a.b-c"] },
  { pattern: "[[a]+", subjects: ["[a["] },
  { pattern: "[a--b]+", subjects: ["a-b"] },
  { pattern: "[&&a]+", subjects: ["&a"] },
  { pattern: "[\\^^]+", subjects: ["^^"] },
  { pattern: "[\\s\\S]+", subjects: ["a\nb"] },
  { pattern: "[😀-😂]+", subjects: ["😁😂x"] },
  // quantifiers and literal braces
  { pattern: "a{2}b{2,}c{,2}d{2,3}?", subjects: ["aabbbccddd", "aabbdd"] },
  { pattern: "a{", subjects: ["a{"] },
  { pattern: "a{x}", subjects: ["a{x}"] },
  { pattern: "a{1", subjects: ["a{1"] },
  { pattern: "x{}", subjects: ["x{}"] },
  { pattern: "a{,}b", subjects: ["aaab", "b"] },
  { pattern: "{1,2}", subjects: ["{1,2}"] },
  { pattern: "a{1,2}{3}", subjects: ["aaaaaa"] },
  { pattern: "a++b", subjects: ["aaab"] },
  { pattern: "a*+a", subjects: ["aaa"] },
  { pattern: "(?>a+)b", subjects: ["aab"] },
  { pattern: "(?>ab|a)b", subjects: ["ab", "abb"] },
  { pattern: "a*?b+?", subjects: ["aabb"] },
  { pattern: "(a|ab)(c|bcd)(d*)", subjects: ["abcd"] },
  // lookaround and comments
  { pattern: "(?<=a)b(?<!cb)", subjects: ["ab", "cb"] },
  { pattern: "(?<=ab|cd)x", subjects: ["cdx", "abx", "bx"] },
  { pattern: "(?=(a+))a*b\\1", subjects: ["baaabac"] },
  { pattern: "(?!a)\\w(?#comment)", subjects: ["ab"] },
  { pattern: "(?=a)*b", subjects: ["b"] },
  // groups
  { pattern: "(a)|b", subjects: ["b"] },
  { pattern: "(a|)?b", subjects: ["b", "ab"] },
  { pattern: "(?:(a)|b)+", subjects: ["ab", "ba"] },
  { pattern: "(?:(a)|b)*?c", subjects: ["abc", "bac", "c"] },
  { pattern: "(?:(a)|b){2,3}(?:(c)|d){3}", subjects: ["abcdd", "bbadcd", "abacdd"] },
  {
    pattern: "(?:(a)|b)*c",
    subjects: [`a${"b".repeat(20)}c`, `${"b".repeat(15)}abc`, `${"b".repeat(17)}abc`],
  },
  { pattern: "(?:(a)|b)*\\1", subjects: ["aba", "abb", "bb"] },
  { pattern: "(?:(a)|b)*(?(1)x|y)", subjects: ["abx", "bby", "aby"] },
  { pattern: "a\\N{EM DASH}", subjects: ["a\u2014"] },
  {
    pattern: String.raw`LOGIN FAILED, (?:(?!ip=)(?:user=(?P<user>[^,]*)|\w+=[^,]*), )*ip=\[(?P<ip>[^\]]+)\]`,
    subjects: [
      "LOGIN FAILED, user=bob, method=PLAIN, ip=[1.2.3.4]",
      "LOGIN FAILED, method=PLAIN, user=bob, ip=[1.2.3.4]",
      "LOGIN FAILED, user=a, user=b, x=y, ip=[1.2.3.4]",
      "LOGIN FAILED, ip=[1.2.3.4]",
    ],
  },
  { pattern: "(?:(a)|(b))+", subjects: ["ab", "ba"] },
  { pattern: "(a*)*", subjects: ["b", "aa"] },
  { pattern: "(a|b)*?c", subjects: ["abc"] },
  { pattern: "(?P<user>.+?)(?P<x>\\d)?$", subjects: ["ab1", "ab"] },
  // errors: Python's message and position must be matched
  { pattern: "(a", subjects: [] },
  { pattern: "a)", subjects: [] },
  { pattern: "a)(", subjects: [] },
  { pattern: String.raw`\q`, subjects: [] },
  { pattern: "ab\\", subjects: [] },
  { pattern: "(?P=x)", subjects: [] },
  { pattern: "(?(x)a|b)", subjects: [] },
  { pattern: "(?(3)a|b)(c)", subjects: [] },
  { pattern: "[a", subjects: [] },
  { pattern: "a**", subjects: [] },
  { pattern: "*a", subjects: [] },
  { pattern: "(?P<1a>x)", subjects: [] },
  { pattern: "(?P<a>x)(?P<a>y)", subjects: [] },
  { pattern: "a(?i)", subjects: [] },
  { pattern: "[z-a]", subjects: [] },
  { pattern: String.raw`\8`, subjects: [] },
  { pattern: String.raw`[\8]`, subjects: [] },
  { pattern: String.raw`\x4`, subjects: [] },
  { pattern: String.raw`\777`, subjects: [] },
  { pattern: "(?<=a+)b", subjects: [] },
  { pattern: "(?Px)", subjects: [] },
  { pattern: "(?z)", subjects: [] },
  { pattern: "(?i-i:a)", subjects: [] },
  { pattern: "(a)(?(1)b|c|d)", subjects: [] },
  { pattern: "(a\\1)", subjects: [] },
  { pattern: "a{3,2}", subjects: [] },
  { pattern: "(?#unterminated", subjects: [] },
  { pattern: "[\\d-z]", subjects: [] },
];

/**
 * Seeded random patterns over every construct (groups, backreferences, conditionals, lookaround,
 * scoped flags, classes, all quantifier forms) with random subjects: finds the combinations no
 * one thought to write down. Deterministic, so a failure reproduces.
 */
export function randomCases(count: number, seed: number): CraftedCase[] {
  let state = seed;
  const rnd = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const ATOMS = ["a", "b", "c", ".", "\\d", "\\w", "\\s", "\\S", "[ab]", "[^a]", "é", "\\n", "x", "-", "\\b"];
  const MORE = ["\\B", "^", "$", "\\Z", "\\-", "[a-c\\d]", "[\\W]", "[^\\w\\n]"];
  const QUANTS = ["?", "*", "+", "??", "*?", "+?", "{2}", "{0,2}", "{1,}", "{,2}?"];
  let groups = 0;
  let names: string[] = [];
  const atom = (d: number): string => {
    const r = rnd();
    if (d > 2 || r < 0.4) return pick([...ATOMS, ...MORE]);
    if (r < 0.5) {
      groups++;
      names.push(`g${groups}`);
      return `(?P<g${groups}>${alt(d + 1)})`;
    }
    if (r < 0.6) {
      groups++;
      return `(${alt(d + 1)})`;
    }
    if (r < 0.7) return `(?:${alt(d + 1)})`;
    if (r < 0.75 && groups > 0)
      return `(?(${1 + Math.floor(rnd() * groups)})${seqOf(d + 1)}|${seqOf(d + 1)})`;
    if (r < 0.8) return `(?${pick(["=", "!"])}${alt(d + 1)})`;
    if (r < 0.83) return `(?<${pick(["=", "!"])}${pick(["a", "b", "[ab]", "\\d"])})`;
    if (r < 0.88 && names.length > 0) return `(?P=${pick(names)})`;
    if (r < 0.92) return `(?i:${alt(d + 1)})`;
    return pick(["a", "b"]);
  };
  const quant = (d: number): string => {
    const a = atom(d);
    if (/^[\^$]$|^\\[bBZ]$/.test(a) || rnd() < 0.6) return a;
    return a + pick(QUANTS);
  };
  const seqOf = (d: number): string => {
    let out = "";
    for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) out += quant(d);
    return out;
  };
  const alt = (d: number): string => (rnd() < 0.25 ? `${seqOf(d)}|${seqOf(d)}` : seqOf(d));
  const cases: CraftedCase[] = [];
  for (let i = 0; i < count; i++) {
    groups = 0;
    names = [];
    const pattern = alt(0);
    const subjects: string[] = [];
    for (let k = 0; k < 8; k++) {
      let s = "";
      for (let n = Math.floor(rnd() * 7); n > 0; n--)
        s += pick(["a", "b", "c", "x", "1", " ", "\n", "é", "A", "-"]);
      subjects.push(s);
    }
    cases.push({ pattern, subjects });
  }
  return cases;
}

export const RANDOM = randomCases(1500, 20261121);

export interface OracleCase {
  readonly pattern: string;
  readonly flags: number;
  readonly origin: string;
  readonly subjectIds: readonly number[];
  readonly groupindex: Record<string, number>;
  readonly error: string | null;
  readonly errorPos: number | null;
  readonly results: readonly (readonly [number, number, readonly (string | null)[]] | null)[];
}

export type Ranges = readonly (readonly [number, number])[];

export interface OracleOutput {
  readonly subjects: readonly string[];
  readonly cases: readonly OracleCase[];
  readonly sweeps: readonly { readonly pattern: string; readonly flags: number; readonly ranges: Ranges }[];
  readonly unassigned: Ranges;
}

export function runOracle(request: unknown): Promise<OracleOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      PYTHON,
      [ORACLE],
      { maxBuffer: 512 * 1024 * 1024, timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`oracle failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as OracleOutput);
      },
    );
    child.stdin?.end(JSON.stringify(request));
  });
}
