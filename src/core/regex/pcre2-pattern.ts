/**
 * A translated JavaScript pattern (`u` flag, the output of translate-python-regex.ts or of the
 * date translator in date/python-regex.ts) rewritten for the native scanner's PCRE2 (10.42), as
 * native/src/regex.c compiles it: PCRE2_UTF | PCRE2_NO_UTF_CHECK | PCRE2_DOLLAR_ENDONLY |
 * PCRE2_ALT_BSUX + PCRE2_EXTRA_ALT_BSUX, plus CASELESS for the option letter "i".
 *
 * The result matches exactly what V8 matches — the same match or none, the same span, every group
 * the same — or the pattern is refused with a reason (the scanner then keeps the JS engine, which
 * is always safe). The pattern is parsed completely; every construct is either rewritten to a form
 * whose PCRE2 meaning equals its JS meaning or refused. Capture groups keep their numbers: the
 * rewrites only add non-capturing constructs — unless the caller reads groups by name only
 * (`groupNames`, the native scanner's filter regexes): then the groups it never reads stop
 * capturing and alternatives holding copies of the same names share their numbers in a
 * branch-reset group, since PCRE2 pays for every capture group at every call (see `Numbering`).
 *
 * The JS ↔ PCRE2 differences handled (pcre2-differential.test.ts checks them against both engines):
 * - `[]` (never matches) → `[^\s\S]`; `[^]` and `.` under `s` → `[\s\S]`; `.` → `[^\n\r\u2028\u2029]`.
 * - `\s` is Unicode in JS, ASCII in PCRE2 (no UCP): written out as JS's list. `\v` is U+000B only.
 * - `^`/`$` under `m` (JS line terminators: \n \r U+2028 U+2029) → look-arounds; `$` → `\z`.
 * - A backreference to an unset group matches empty in JS and fails in PCRE2 → `(?(n)\g{n})`.
 * - JS clears a repeated group's captures at every iteration, PCRE2 keeps the last value. Fine
 *   when every iteration sets every group of the body (or none ever does); else, when every
 *   iteration provably ends at one place (e.g. `(?:…[^,]*), )*`), X* is written X'*X with X' a
 *   capture-free copy, so only the last iteration captures, as in JS (courier-auth, mysqld-auth);
 *   else refused. A backreference to a group of the same iteration must follow that group.
 * - JS rejects an empty iteration past a repetition's minimum, PCRE2 takes it and stops: a body
 *   that always matches empty never iterates in JS (rewritten so: the date templates'
 *   `(?<square>(?<=^\[))?`); a body that may match empty iterates over its non-empty matches
 *   only (rewritten: `(?:\W{0,2})?` → `(?:\W{1,2})?`), or the pattern is refused.
 * - Lookbehind: PCRE2 10.42 wants fixed-length branches and runs them forwards; backreferences
 *   inside are refused, a lookbehind PCRE2 would reject is refused.
 * - Under `i`: JS closes `\p{…}` and `\w`/`\b` over case folding (U+0345 is a letter, U+017F and
 *   U+212A are word characters), PCRE2 does not — the missing members are added explicitly. A few
 *   case pairs of Unicode ≥ 15.1 (ΐ/ΐ, ΰ/ΰ, ﬅ/ﬆ) fold in V8 but not in PCRE2's Unicode 14: a
 *   set that holds one of a pair but not the other is refused, and so is a case-insensitive
 *   backreference whose group could capture one.
 * - Named groups keep their names when PCRE2 accepts them (ASCII, at most 32 characters).
 * - V8 (against the spec) also tries an empty match between the halves of a surrogate pair:
 *   a pattern that can match empty is refused.
 *
 * Not a difference worth refusing: V8 (ICU) knows a newer Unicode than PCRE2 10.42 (Unicode 14,
 * like Python 3.11, fail2ban's reference), so `\p{L}` etc. and case folding differ on code points
 * unassigned in Unicode 14 — where PCRE2 agrees with fail2ban.
 *
 * The ASCII variant (`asciiPattern`): the same regex for subjects whose characters are all
 * U+0000–U+007F, which the scanner compiles WITHOUT PCRE2_UTF (same options) and runs on such
 * lines — UTF mode costs PCRE2 work at every character even when there is no multi-byte one. It
 * is the pattern above with every one-character atom (literal, set, `\d \w \s` and negations,
 * `\p{…}`/`\P{…}`, `.`, and the classes written for `^`/`$` under `m`) replaced by the byte class
 * of exactly the ASCII characters V8 matches with that atom under the pattern's flags (asked of
 * V8, 128 tests per atom, cached): so it is exact on those subjects by construction. Under `i`
 * that takes in V8's case folding from outside ASCII (U+212A matches `k`, U+017F `s`); an atom
 * with no ASCII member becomes a class that never matches. Each class is closed under ASCII case
 * when `i` is set (V8's caseless matching is), so PCRE2's CASELESS, still on for the
 * backreferences, adds nothing to it; a caseless backreference compares ASCII letters by ASCII
 * case in both engines. `\b`/`\B` stay PCRE2's (its word characters without UTF are
 * [0-9A-Z_a-z], V8's on ASCII, under `i` too — checked). Everything else (groups, their numbers
 * and names, the rewrites above) is emitted the same, and every atom is one byte on such a
 * subject, so lookbehind lengths hold. A construct that could not be made exact leaves the
 * variant out (the UTF pattern then runs on every line); none is known.
 */

export type Pcre2Pattern =
  | {
      readonly ok: true;
      readonly pattern: string;
      readonly options: string;
      /**
       * The same regex for subjects that are all ASCII, for PCRE2 without PCRE2_UTF (same
       * options): pure-ASCII text, the same groups. Absent when it cannot be made exact.
       */
      readonly asciiPattern?: string;
      /**
       * On a subject where `literal` occurs nowhere, `pattern` here (and its `asciiPattern`) gives
       * exactly the answer of the main pattern, faster: the alternatives that need `literal` fail
       * at once (see `absentLiteral`). The scanner looks for the literal once per subject, which
       * costs a fraction of one failed alternative.
       */
      readonly absent?: {
        readonly literal: string;
        readonly pattern: string;
        readonly asciiPattern?: string;
      };
      /**
       * For a pattern ending `(…[^\n]+)(?=\n?$)` (fail2ban's `<F-CONTENT>.+</F-CONTENT>$`), on a
       * subject with no "\n" but maybe a last one: `pattern` here ends `(?=[^\n])()` instead, and
       * the match and group `group` end where the subject does, before a last "\n" (see
       * `contentTail`). PCRE2 spends about 9 instructions a character on that last group.
       */
      readonly tail?: { readonly group: number; readonly pattern: string; readonly asciiPattern?: string };
      /**
       * With `groupNames` only: by JS group index, its PCRE2 group number, 0 for a group that
       * does not capture (entry 0: 0). Groups sharing a number have the same name; every number
       * from 1 to the highest is used. All the patterns here (ASCII, prefilter, tail) number
       * their groups so, and `tail.group` is a PCRE2 number.
       */
      readonly groupNumbers?: readonly number[];
    }
  | { readonly ok: false; readonly reason: string };

class Refusal extends Error {}

type Escape = "d" | "D" | "w" | "W" | "s" | "S";

type SetItem =
  | { readonly kind: "range"; readonly lo: number; readonly hi: number }
  | { readonly kind: "prop"; readonly name: string; readonly negated: boolean }
  | { readonly kind: "escape"; readonly escape: Escape };

type Node =
  | { readonly kind: "alt"; readonly branches: readonly Node[] }
  | { readonly kind: "seq"; readonly items: readonly Node[] }
  | { readonly kind: "char"; readonly cp: number }
  /** `[…]`, or a lone `\d \w \s \p{…}` (single) — `js` is the JS text, for membership tests. */
  | {
      readonly kind: "set";
      readonly negated: boolean;
      readonly items: readonly SetItem[];
      readonly single: boolean;
      readonly js: string;
    }
  | { readonly kind: "dot" }
  | { readonly kind: "assert"; readonly what: "^" | "$" | "b" | "B" }
  | {
      readonly kind: "group";
      readonly index: number | undefined;
      readonly name: string | undefined;
      readonly body: Node;
    }
  | { readonly kind: "look"; readonly behind: boolean; readonly negated: boolean; readonly body: Node }
  | { readonly kind: "backref"; readonly ref: number | string; index: number }
  | {
      readonly kind: "repeat";
      readonly min: number;
      readonly max: number;
      readonly lazy: boolean;
      readonly body: Node;
    };

/** JS `\s` (WhiteSpace + LineTerminator). */
const JS_SPACE: readonly (readonly [number, number])[] = [
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
];
const LINE_TERMINATORS = "\\n\\r\\u{2028}\\u{2029}";
const ASCII_WORD = "0-9A-Z_a-z";
/** Any character (PCRE2's \s and \S are ASCII-based complements: together every code point). */
const ANY = "[\\s\\S]";
/** No character (one character long, like JS `[]`, which matters in a lookbehind). */
const NONE = "[^\\s\\S]";

/** The properties accepted in `\p{…}` (all the translators emit; PCRE2 knows them by these names). */
const PROPERTIES: ReadonlySet<string> = new Set(["L", "N", "Nd"]);

/**
 * Under `i`, code points V8's case folding adds to `\p{X}` (key "X") or `\P{X}` (key "^X") that
 * PCRE2 does not (it ignores case for properties). Only code points assigned in Unicode 14 (those
 * of newer Unicode versions are the accepted drift, see above). Checked by the tests against V8.
 */
export const CASELESS_PROPERTY_EXTRAS: Readonly<Record<string, readonly number[]>> = {
  L: [0x345],
  "^L": [0x399, 0x3b9, 0x1fbe],
  N: [],
  "^N": [],
  Nd: [],
  "^Nd": [],
};

/**
 * [from, to]: under `i`, V8 matches `to` (assigned in Unicode 14) for `from` and PCRE2 10.42 does
 * not — case foldings of a newer Unicode (ΐ/ΐ, ΰ/ΰ, ﬅ/ﬆ became pairs in 15.1; the others are
 * letters added after 14 with a partner that was there before). Checked against both engines by
 * the differential test.
 */
export const CASE_FOLD_DRIFT: readonly (readonly [number, number])[] = [
  [0x390, 0x1fd3],
  [0x1fd3, 0x390],
  [0x3b0, 0x1fe3],
  [0x1fe3, 0x3b0],
  [0xfb05, 0xfb06],
  [0xfb06, 0xfb05],
  [0xa7cb, 0x264],
  [0xa7d2, 0xa7d3],
  [0xa7d4, 0xa7d5],
  [0xa7dc, 0x19b],
];

const MAX_REPEAT = 65535;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
const SYNTAX = new Set("^$\\.*+?()[]{}|");

/** Parser of the JS `u`-mode pattern grammar (strict: anything unexpected is refused). */
class Parser {
  private i = 0;
  groupCount = 0;
  readonly names = new Map<string, number>();
  readonly backrefs: Extract<Node, { kind: "backref" }>[] = [];

  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.disjunction();
    if (this.i < this.src.length) throw new Refusal(`unexpected "${this.src[this.i]}" at ${this.i}`);
    for (const b of this.backrefs) {
      if (typeof b.ref === "number") {
        if (b.ref > this.groupCount) throw new Refusal(`backreference \\${b.ref} to a missing group`);
        b.index = b.ref;
      } else {
        const n = this.names.get(b.ref);
        if (n === undefined) throw new Refusal(`backreference to a missing group <${b.ref}>`);
        b.index = n;
      }
    }
    return node;
  }

  private peek(k = 0): string | undefined {
    return this.src[this.i + k];
  }

  private eat(s: string): boolean {
    if (this.src.startsWith(s, this.i)) {
      this.i += s.length;
      return true;
    }
    return false;
  }

  private disjunction(): Node {
    const branches = [this.alternative()];
    while (this.eat("|")) branches.push(this.alternative());
    return branches.length === 1 ? branches[0]! : { kind: "alt", branches };
  }

  private alternative(): Node {
    const items: Node[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === "|" || c === ")") break;
      items.push(this.term());
    }
    return items.length === 1 ? items[0]! : { kind: "seq", items };
  }

  private term(): Node {
    const start = this.i;
    const atom = this.atom();
    const quantifiable = atom.kind !== "assert" && atom.kind !== "look";
    const q = this.quantifier();
    if (q === undefined) return atom;
    if (!quantifiable) throw new Refusal(`quantified assertion at ${start}`);
    return { kind: "repeat", min: q.min, max: q.max, lazy: q.lazy, body: atom };
  }

  private quantifier(): { min: number; max: number; lazy: boolean } | undefined {
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === "*") [min, max] = [0, Number.POSITIVE_INFINITY];
    else if (c === "+") [min, max] = [1, Number.POSITIVE_INFINITY];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) throw new Refusal(`lone "{" at ${this.i}`);
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
      if (max < min) throw new Refusal("numbers out of order in a quantifier");
      this.i += m[0].length - 1;
    } else return undefined;
    this.i += 1;
    const lazy = this.eat("?");
    return { min, max, lazy };
  }

  private atom(): Node {
    const c = this.peek()!;
    switch (c) {
      case "^":
      case "$":
        this.i += 1;
        return { kind: "assert", what: c };
      case ".":
        this.i += 1;
        return { kind: "dot" };
      case "(":
        return this.group();
      case "[":
        return this.characterClass();
      case "\\":
        return this.atomEscape();
      default: {
        if (SYNTAX.has(c)) throw new Refusal(`unexpected "${c}" at ${this.i}`);
        const cp = this.src.codePointAt(this.i)!;
        this.i += cp > 0xffff ? 2 : 1;
        return { kind: "char", cp: checkScalar(cp) };
      }
    }
  }

  private group(): Node {
    const start = this.i;
    let node: Node;
    if (this.eat("(?:"))
      node = { kind: "group", index: undefined, name: undefined, body: this.disjunction() };
    else if (this.eat("(?="))
      node = { kind: "look", behind: false, negated: false, body: this.disjunction() };
    else if (this.eat("(?!")) node = { kind: "look", behind: false, negated: true, body: this.disjunction() };
    else if (this.eat("(?<="))
      node = { kind: "look", behind: true, negated: false, body: this.disjunction() };
    else if (this.eat("(?<!")) node = { kind: "look", behind: true, negated: true, body: this.disjunction() };
    else if (this.eat("(?<")) {
      const end = this.src.indexOf(">", this.i);
      const name = end < 0 ? "" : this.src.slice(this.i, end);
      if (!NAME.test(name)) throw new Refusal(`group name <${name}> (PCRE2: ASCII, at most 32 characters)`);
      if (this.names.has(name)) throw new Refusal(`duplicate group name <${name}>`);
      this.i = end + 1;
      const index = ++this.groupCount;
      this.names.set(name, index);
      node = { kind: "group", index, name, body: this.disjunction() };
    } else if (this.peek(1) === "?") {
      throw new Refusal(`group syntax at ${start}`);
    } else {
      this.i += 1;
      const index = ++this.groupCount;
      node = { kind: "group", index, name: undefined, body: this.disjunction() };
    }
    if (!this.eat(")")) throw new Refusal(`unterminated group at ${start}`);
    return node;
  }

  private atomEscape(): Node {
    const start = this.i;
    const e = this.peek(1);
    if (e === undefined) throw new Refusal("pattern ends with \\");
    if (e === "b" || e === "B") {
      this.i += 2;
      return { kind: "assert", what: e };
    }
    if (/[1-9]/.test(e)) {
      const m = /^\d+/.exec(this.src.slice(this.i + 1))!;
      this.i += 1 + m[0].length;
      const node = { kind: "backref" as const, ref: Number(m[0]), index: 0 };
      this.backrefs.push(node);
      return node;
    }
    if (e === "k") {
      const m = /^k<([^>]*)>/.exec(this.src.slice(this.i + 1));
      if (!m) throw new Refusal(`\\k at ${start}`);
      this.i += 1 + m[0].length;
      const node = { kind: "backref" as const, ref: m[1]!, index: 0 };
      this.backrefs.push(node);
      return node;
    }
    const item = this.classEscapeItem();
    if (item !== undefined) {
      return { kind: "set", negated: false, items: [item], single: true, js: this.src.slice(start, this.i) };
    }
    return { kind: "char", cp: this.characterEscape(false) };
  }

  /** `\d \D \w \W \s \S \p{…} \P{…}` at the current `\`, or undefined (nothing consumed). */
  private classEscapeItem(): SetItem | undefined {
    const e = this.peek(1);
    if (e === "d" || e === "D" || e === "w" || e === "W" || e === "s" || e === "S") {
      this.i += 2;
      return { kind: "escape", escape: e };
    }
    if (e === "p" || e === "P") {
      const m = /^\{([A-Za-z_]+)\}/.exec(this.src.slice(this.i + 2));
      if (!m || !PROPERTIES.has(m[1]!)) throw new Refusal(`property \\${e}${m ? m[0] : ""}`);
      this.i += 2 + m[0].length;
      return { kind: "prop", name: m[1]!, negated: e === "P" };
    }
    return undefined;
  }

  /** A CharacterEscape at the current `\` (also `\b` and `\-` inside a class): its code point. */
  private characterEscape(inClass: boolean): number {
    const e = this.peek(1)!;
    this.i += 2;
    const rest = this.src.slice(this.i);
    switch (e) {
      case "t":
        return 0x09;
      case "n":
        return 0x0a;
      case "v":
        return 0x0b;
      case "f":
        return 0x0c;
      case "r":
        return 0x0d;
      case "0":
        if (/^\d/.test(rest)) throw new Refusal("octal escape");
        return 0;
      case "c": {
        const m = /^[A-Za-z]/.exec(rest);
        if (!m) throw new Refusal("\\c without a letter");
        this.i += 1;
        return m[0].charCodeAt(0) % 32;
      }
      case "x": {
        const m = /^[0-9A-Fa-f]{2}/.exec(rest);
        if (!m) throw new Refusal("incomplete \\x");
        this.i += 2;
        return Number.parseInt(m[0], 16);
      }
      case "u": {
        const braced = /^\{([0-9A-Fa-f]+)\}/.exec(rest);
        if (braced) {
          this.i += braced[0].length;
          const cp = Number.parseInt(braced[1]!, 16);
          if (cp > 0x10ffff) throw new Refusal("\\u{…} out of range");
          return checkScalar(cp);
        }
        const m = /^[0-9A-Fa-f]{4}/.exec(rest);
        if (!m) throw new Refusal("incomplete \\u");
        this.i += 4;
        const unit = Number.parseInt(m[0], 16);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const trail = /^\\u([Dd][C-Fc-f][0-9A-Fa-f]{2})/.exec(this.src.slice(this.i));
          if (trail) {
            this.i += 6;
            return 0x10000 + ((unit - 0xd800) << 10) + (Number.parseInt(trail[1]!, 16) - 0xdc00);
          }
        }
        return checkScalar(unit);
      }
      default:
        if (SYNTAX.has(e) || e === "/" || (inClass && (e === "-" || e === "b"))) {
          return e === "b" ? 0x08 : e.charCodeAt(0);
        }
        throw new Refusal(`escape \\${e}`);
    }
  }

  private characterClass(): Node {
    const start = this.i;
    this.i += 1;
    const negated = this.eat("^");
    const items: SetItem[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined) throw new Refusal("unterminated character class");
      if (c === "]") {
        this.i += 1;
        break;
      }
      const lo = this.classAtom();
      if (this.peek() === "-" && this.peek(1) !== "]" && this.peek(1) !== undefined) {
        this.i += 1;
        const hi = this.classAtom();
        if (typeof lo !== "number" || typeof hi !== "number") throw new Refusal("class escape in a range");
        if (hi < lo) throw new Refusal("range out of order");
        items.push({ kind: "range", lo, hi });
      } else if (typeof lo === "number") items.push({ kind: "range", lo, hi: lo });
      else items.push(lo);
    }
    return { kind: "set", negated, items, single: false, js: this.src.slice(start, this.i) };
  }

  private classAtom(): number | SetItem {
    const c = this.peek()!;
    if (c === "\\") return this.classEscapeItem() ?? this.characterEscape(true);
    const cp = this.src.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return checkScalar(cp);
  }
}

function checkScalar(cp: number): number {
  // Subjects are valid UTF-8: a surrogate never occurs, and PCRE2 (UTF) rejects one in a pattern.
  if (cp >= 0xd800 && cp <= 0xdfff) throw new Refusal("a surrogate code point");
  return cp;
}

type Width = readonly [number, number];

function width(node: Node): Width {
  switch (node.kind) {
    case "char":
    case "set":
    case "dot":
      return [1, 1];
    case "assert":
    case "look":
      return [0, 0];
    case "backref":
      return [0, Number.POSITIVE_INFINITY];
    case "group":
      return width(node.body);
    case "alt": {
      const ws = node.branches.map(width);
      return [Math.min(...ws.map((w) => w[0])), Math.max(...ws.map((w) => w[1]))];
    }
    case "seq":
      return node.items.map(width).reduce((a, b) => [a[0] + b[0], a[1] + b[1]], [0, 0] as Width);
    case "repeat": {
      const [lo, hi] = width(node.body);
      if (hi === 0) return [0, 0];
      return [node.min * lo, node.max === Number.POSITIVE_INFINITY ? node.max : node.max * hi];
    }
  }
}

/** A repetition whose body always matches empty iterates only up to its minimum in JS. */
function neverIterates(node: Extract<Node, { kind: "repeat" }>): boolean {
  return node.max > node.min && width(node.body)[1] === 0;
}

function children(node: Node): readonly Node[] {
  switch (node.kind) {
    case "alt":
      return node.branches;
    case "seq":
      return node.items;
    case "group":
    case "look":
    case "repeat":
      return [node.body];
    default:
      return [];
  }
}

function groupsIn(node: Node, out: number[] = []): number[] {
  if (node.kind === "group" && node.index !== undefined) out.push(node.index);
  for (const c of children(node)) groupsIn(c, out);
  return out;
}

function some(node: Node, test: (n: Node) => boolean): boolean {
  return test(node) || children(node).some((c) => some(c, test));
}

/** Every match of `node` sets group `g`. */
function alwaysSets(node: Node, g: number): boolean {
  switch (node.kind) {
    case "group":
      return node.index === g || alwaysSets(node.body, g);
    case "look":
      return !node.negated && alwaysSets(node.body, g);
    case "seq":
      return node.items.some((i) => alwaysSets(i, g));
    case "alt":
      return node.branches.every((b) => alwaysSets(b, g));
    case "repeat":
      return node.min >= 1 && alwaysSets(node.body, g);
    default:
      return false;
  }
}

/** No match of `node` sets group `g` (it sits in a negative look-around or a body that never runs). */
function neverSets(node: Node, g: number): boolean {
  switch (node.kind) {
    case "group":
      return node.index !== g && neverSets(node.body, g);
    case "look":
      return node.negated || neverSets(node.body, g);
    case "repeat":
      return (node.min === 0 && neverIterates(node)) || neverSets(node.body, g);
    default:
      return children(node).every((c) => neverSets(c, g));
  }
}

/**
 * Refuses a backreference, inside a repeated body, to a group of that body that may not have been
 * set earlier in the same iteration: JS sees it cleared (empty match), PCRE2 sees the previous
 * iteration's value. `set`: groups surely set on every path to here; returns the same after `node`.
 */
function setBeforeUse(node: Node, inner: ReadonlySet<number>, set: ReadonlySet<number>): ReadonlySet<number> {
  switch (node.kind) {
    case "backref":
      if (inner.has(node.index) && !set.has(node.index)) {
        throw new Refusal("a backreference in a repetition to a group the iteration may not have set yet");
      }
      return set;
    case "group": {
      const after = setBeforeUse(node.body, inner, set);
      return node.index === undefined ? after : new Set([...after, node.index]);
    }
    case "look": {
      const after = setBeforeUse(node.body, inner, set);
      return node.negated ? set : after;
    }
    case "seq":
      return node.items.reduce((s, item) => setBeforeUse(item, inner, s), set);
    case "alt": {
      const outs = node.branches.map((b) => setBeforeUse(b, inner, set));
      return new Set([...outs[0]!].filter((g) => outs.every((o) => o.has(g))));
    }
    case "repeat": {
      const after = setBeforeUse(node.body, inner, set);
      return node.min >= 1 ? after : set;
    }
    default:
      return set;
  }
}

/** The character length of every match as PCRE2 10.42 computes it for a lookbehind, or null. */
function fixedLength(node: Node): number | null {
  switch (node.kind) {
    case "char":
    case "set":
    case "dot":
      return 1;
    case "assert":
    case "look":
      return 0;
    case "backref":
      return null;
    case "group":
      return fixedLength(node.body);
    case "alt": {
      const ls = node.branches.map(fixedLength);
      return ls.every((l) => l !== null && l === ls[0]) ? ls[0]! : null;
    }
    case "seq": {
      let sum = 0;
      for (const i of node.items) {
        const l = fixedLength(i);
        if (l === null) return null;
        sum += l;
      }
      return sum;
    }
    case "repeat": {
      if (neverIterates(node)) {
        // Emitted as `(?:(?!)X|)` (min 0) or X{min}: both of length 0.
        return fixedLength(node.body) === 0 ? 0 : null;
      }
      const l = fixedLength(node.body);
      return node.min === node.max && l !== null ? l * node.min : null;
    }
  }
}

function hex(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

function literal(cp: number): string {
  if (/^[0-9A-Za-z_ ]$/.test(String.fromCharCode(cp)) && cp < 0x80) return String.fromCharCode(cp);
  if (cp > 0x20 && cp < 0x7f) return `\\${String.fromCharCode(cp)}`;
  return hex(cp);
}

function rangesText(ranges: readonly (readonly [number, number])[]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? literal(lo) : `${literal(lo)}-${literal(hi)}`)).join("");
}

const JS_SPACE_TEXT = rangesText(JS_SPACE);

/** By JS atom text and flags: which of the 128 ASCII characters V8 matches with it. */
const asciiMemberCache = new Map<string, readonly boolean[]>();

/** Which of U+0000–U+007F the one-character JS atom `js` matches under `flags` (V8 decides). */
function asciiMembers(js: string, flags: string): readonly boolean[] {
  const key = `${flags}/${js}`;
  let members = asciiMemberCache.get(key);
  if (members === undefined) {
    const re = new RegExp(`^(?:${js})$`, flags);
    members = Array.from({ length: 128 }, (_, c) => re.test(String.fromCharCode(c)));
    if (asciiMemberCache.size >= 10_000) asciiMemberCache.clear();
    asciiMemberCache.set(key, members);
  }
  return members;
}

/** The ranges of ASCII characters where `members` is `want`, as [lo, hi] pairs. */
function asciiRanges(members: readonly boolean[], want: boolean): [number, number][] {
  const out: [number, number][] = [];
  for (let c = 0; c < 128; c++) {
    if (members[c] !== want) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === c - 1) last[1] = c;
    else out.push([c, c]);
  }
  return out;
}

/**
 * The ASCII characters `members` as one PCRE2 atom without PCRE2_UTF: a literal, a class, or a
 * negated class listing the ASCII non-members (it also matches bytes 0x80–0xFF, which an ASCII
 * subject does not have). `members` is closed under ASCII case when ignoreCase (V8's caseless
 * matching is), so PCRE2's CASELESS, which adds the other case of every letter, adds nothing.
 */
function asciiClass(members: readonly boolean[], ignoreCase: boolean): string {
  const yes = asciiRanges(members, true);
  const no = asciiRanges(members, false);
  if (yes.length === 0) return NONE;
  if (no.length === 0) return ANY;
  const count = members.filter((m) => m).length;
  if (count === 1) return literal(yes[0]![0]);
  if (ignoreCase && count === 2) {
    const [a, b] = members.flatMap((m, c) => (m ? [c] : []));
    if (/[A-Z]/.test(String.fromCharCode(a!)) && b === a! + 0x20) return literal(b);
  }
  return no.length < yes.length ? `[^${rangesText(no)}]` : `[${rangesText(yes)}]`;
}

type Alt = Extract<Node, { kind: "alt" }>;

/**
 * How the emitted pattern numbers its capture groups (see `Pcre2PatternOptions.groupNames`).
 * Without names every group keeps its JS number. With them, a group no one reads by name (and
 * nothing refers to) does not capture, and an alternation whose alternatives hold the same
 * sequence of names becomes a branch-reset group `(?|…)`: PCRE2 numbers every alternative's
 * groups from the same start and goes on after the group from the highest number any of them
 * used (pcre2pattern(3), "Duplicate group numbers"), so a name copied into each alternative
 * costs one group instead of one per copy.
 *
 * That keeps what a reader of names sees: only one alternative of an alternation takes part in
 * a match (PCRE2 undoes the captures of one it backtracks out of), so the groups that take part
 * are the same and in the same order, and "the last copy of a name that took part" is the same
 * copy. A repetition does not change it: where a repeated body holds groups an iteration may
 * skip, the emitter keeps only the last iteration's captures (`repeat`), or refuses. Not reset:
 * an alternation holding a group something refers to (a backreference would see another
 * alternative's capture where JS sees an unset group; the content tail names its group by
 * number), and an alternation inside a lookbehind (rare, and PCRE2 10.42 lets a lookbehind's
 * top-level alternatives differ in length, not those of a `(?|…)` around them).
 *
 * The decisions depend only on the groups of a subtree and where it sits, so copies the
 * emitter or the variants make of a subtree (nonEmpty, the prefilter's pruning) are numbered
 * alike.
 */
class Numbering {
  /** By JS group index: the PCRE2 number, 0 when the group does not capture. */
  readonly numbers: number[];
  private readonly slotMemo = [
    new WeakMap<Node, readonly string[]>(),
    new WeakMap<Node, readonly string[]>(),
  ];
  private readonly resetMemo = new WeakSet<Node>();

  constructor(
    root: Node,
    groupCount: number,
    /** By JS group index: the name it is read by (undefined: not read), or undefined (keep all). */
    private readonly names: readonly (string | undefined)[] | undefined,
    /** Groups something refers to by number: they capture and their alternations are not reset. */
    private readonly pinned: ReadonlySet<number>,
  ) {
    this.numbers = Array.from({ length: groupCount + 1 }, () => 0);
    this.assign(root, 1, false);
  }

  /** Whether JS group `index` is a capture group in the emitted pattern. */
  captures(index: number): boolean {
    return this.names === undefined || this.names[index] !== undefined || this.pinned.has(index);
  }

  /** Whether the alternation is emitted as a branch-reset group. */
  resets(alt: Alt, inLookbehind: boolean): boolean {
    if (this.names === undefined || inLookbehind) return false;
    this.slots(alt, inLookbehind);
    return this.resetMemo.has(alt);
  }

  /**
   * What each PCRE2 number the node uses (relative to its first) stands for: a group's name
   * (with its PCRE2 name, which must agree too), or `#index` for a pinned group without one.
   */
  private slots(node: Node, inLookbehind: boolean): readonly string[] {
    const memo = this.slotMemo[inLookbehind ? 1 : 0]!;
    let found = memo.get(node);
    if (found !== undefined) return found;
    switch (node.kind) {
      case "group": {
        const body = this.slots(node.body, inLookbehind);
        if (node.index === undefined || !this.captures(node.index)) found = body;
        else {
          const read = this.names?.[node.index] ?? `#${node.index}`;
          found = [`${read}\u0000${node.name ?? ""}`, ...body];
        }
        break;
      }
      case "look":
        found = this.slots(node.body, inLookbehind || node.behind);
        break;
      case "alt": {
        const lists = node.branches.map((b) => this.slots(b, inLookbehind));
        const longest = lists.reduce((a, b) => (b.length > a.length ? b : a));
        const reset =
          this.names !== undefined &&
          !inLookbehind &&
          lists.filter((l) => l.length > 0).length >= 2 &&
          lists.every((l) => l.every((slot, i) => slot === longest[i])) &&
          !groupsIn(node).some((g) => this.pinned.has(g));
        if (reset) this.resetMemo.add(node);
        found = reset ? longest : lists.flat();
        break;
      }
      default:
        found = children(node).flatMap((c) => this.slots(c, inLookbehind));
    }
    memo.set(node, found);
    return found;
  }

  /** Numbers the groups of `node` from `next` as PCRE2 does; returns the next free number. */
  private assign(node: Node, next: number, inLookbehind: boolean): number {
    switch (node.kind) {
      case "group":
        if (node.index !== undefined && this.captures(node.index)) this.numbers[node.index] = next++;
        return this.assign(node.body, next, inLookbehind);
      case "look":
        return this.assign(node.body, next, inLookbehind || node.behind);
      case "alt":
        if (this.resets(node, inLookbehind)) {
          return Math.max(...node.branches.map((b) => this.assign(b, next, inLookbehind)));
        }
        return node.branches.reduce((n, b) => this.assign(b, n, inLookbehind), next);
      default:
        return children(node).reduce((n, c) => this.assign(c, n, inLookbehind), next);
    }
  }
}

class Emitter {
  private readonly groups = new Map<number, Extract<Node, { kind: "group" }>>();
  /** > 0 while emitting a copy whose groups must not capture. */
  private plain = 0;

  constructor(
    private readonly ignoreCase: boolean,
    private readonly multiline: boolean,
    private readonly dotAll: boolean,
    root: Node,
    /** Which groups capture, under which numbers, and which alternations are branch-reset groups. */
    private readonly numbering: Numbering,
    /** Emit the ASCII variant (see asciiClass): every one-character atom as its ASCII members. */
    private readonly ascii = false,
  ) {
    const visit = (n: Node): void => {
      if (n.kind === "group" && n.index !== undefined) this.groups.set(n.index, n);
      children(n).forEach(visit);
    };
    visit(root);
  }

  emit(node: Node, inLookbehind: boolean): string {
    switch (node.kind) {
      case "alt": {
        const branches = node.branches.map((b) => this.emit(b, inLookbehind)).join("|");
        return this.resets(node, inLookbehind) ? `(?|${branches})` : branches;
      }
      case "seq":
        return node.items.map((i) => this.grouped(i, inLookbehind)).join("");
      case "char":
        if (this.ascii) return this.asciiAtom(jsAtom(node, this.dotAll));
        if (this.ignoreCase) this.checkDrift(node, (cp) => cp === node.cp);
        return literal(node.cp);
      case "set":
        return this.ascii ? this.asciiAtom(node.js) : this.set(node);
      case "dot":
        if (this.ascii) return this.asciiAtom(jsAtom(node, this.dotAll));
        return this.dotAll ? ANY : `[^${LINE_TERMINATORS}]`;
      case "assert":
        return this.assertion(node.what);
      case "group": {
        if (node.index === undefined || this.plain > 0 || !this.numbering.captures(node.index)) {
          const body = this.emit(node.body, inLookbehind);
          return this.resets(node.body, inLookbehind) ? body : `(?:${body})`;
        }
        const open = node.name === undefined ? "(" : `(?<${node.name}>`;
        return `${open}${this.emit(node.body, inLookbehind)})`;
      }
      case "look": {
        if (node.behind) {
          const branches = node.body.kind === "alt" ? node.body.branches : [node.body];
          if (branches.some((b) => fixedLength(b) === null)) {
            throw new Refusal("a lookbehind that is not of fixed length (PCRE2 10.42)");
          }
        }
        const open = `(?${node.behind ? "<" : ""}${node.negated ? "!" : "="}`;
        return `${open}${this.emit(node.body, inLookbehind || node.behind)})`;
      }
      case "backref":
        return this.backref(node, inLookbehind);
      case "repeat":
        return this.repeat(node, inLookbehind);
    }
  }

  /** Whether `node` is an alternation emitted as a branch-reset group (already bracketed). */
  private resets(node: Node, inLookbehind: boolean): boolean {
    return node.kind === "alt" && this.plain === 0 && this.numbering.resets(node, inLookbehind);
  }

  /** `node` as one bracketed item: `(?:…)` around an alternation, unless it is a `(?|…)`. */
  private grouped(node: Node, inLookbehind: boolean): string {
    const text = this.emit(node, inLookbehind);
    return node.kind === "alt" && !this.resets(node, inLookbehind) ? `(?:${text})` : text;
  }

  private assertion(what: "^" | "$" | "b" | "B"): string {
    const notTerminator = (): string =>
      this.ascii ? this.asciiAtom(`[^${LINE_TERMINATORS}]`) : `[^${LINE_TERMINATORS}]`;
    switch (what) {
      case "^":
        return this.multiline ? `(?<!${notTerminator()})` : "^";
      case "$":
        return this.multiline ? `(?!${notTerminator()})` : "\\z";
      case "b":
      case "B": {
        if (this.ascii) {
          // On ASCII subjects JS's word characters (under i too: U+017F and U+212A are not
          // ASCII) are PCRE2's without UTF: [0-9A-Z_a-z] (its built-in tables).
          const word = asciiMembers("\\w", this.ignoreCase ? "iu" : "u");
          const want = asciiMembers(`[${ASCII_WORD}]`, "u");
          if (word.some((m, c) => m !== want[c]))
            throw new Refusal("\\b: JS word characters are not [0-9A-Z_a-z]");
          return `\\${what}`;
        }
        if (!this.ignoreCase) return `\\${what}`;
        // JS \b under /iu counts U+017F and U+212A as word characters: the caseless class does too.
        const w = `[${ASCII_WORD}]`;
        return what === "b"
          ? `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`
          : `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))`;
      }
    }
  }

  private backref(node: Extract<Node, { kind: "backref" }>, inLookbehind: boolean): string {
    if (inLookbehind) throw new Refusal("a backreference inside a lookbehind (JS matches it backwards)");
    // ASCII variant: a caseless backreference compares ASCII letters by ASCII case in both engines.
    if (this.ignoreCase && !this.ascii) {
      // Could the group capture a character whose case partners differ between the engines?
      const group = this.groups.get(node.index)!;
      const drift = CASE_FOLD_DRIFT.map(([from]) => String.fromCodePoint(from));
      some(group.body, (n) => {
        if (n.kind === "backref") throw new Refusal("a case-insensitive backreference to a group with one");
        if (n.kind !== "char" && n.kind !== "set" && n.kind !== "dot") return false;
        const re = new RegExp(jsAtom(n, this.dotAll), "iu");
        if (drift.some((ch) => re.test(ch))) {
          throw new Refusal(
            "a case-insensitive backreference to a group that may capture a case-drift letter",
          );
        }
        return false;
      });
    }
    // JS: a backreference to a group that has not matched matches empty; PCRE2 would fail.
    const n = this.numbering.numbers[node.index]!;
    return `(?(${n})\\g{${n}})`;
  }

  private repeat(node: Extract<Node, { kind: "repeat" }>, inLookbehind: boolean): string {
    const { min, lazy } = node;
    let { max, body } = node;
    const [lo, hi] = width(body);
    if (max > min) {
      if (hi === 0) {
        // JS rejects an empty iteration past the minimum: such a body never iterates beyond it.
        if (min === 0) return `(?:(?!)${this.emit(body, inLookbehind)}|)`;
        max = min;
      } else if (lo === 0) {
        // JS iterations past the minimum are the body's non-empty matches, in the body's order.
        if (min > 0) throw new Refusal("a repetition with a minimum whose body may match empty");
        body = nonEmpty(body);
      }
    }
    if (min > MAX_REPEAT || (max !== Number.POSITIVE_INFINITY && max > MAX_REPEAT)) {
      throw new Refusal("a repetition count above 65535");
    }
    // Only the groups that capture here matter (see Numbering): the others have no value to keep.
    const captured = groupsIn(body).filter((g) => this.numbering.captures(g));
    if (max > 1 && captured.length > 0) {
      const hasBackref = some(body, (n) => n.kind === "backref");
      if (inLookbehind) throw new Refusal("a repeated group inside a lookbehind (JS iterates it backwards)");
      // JS clears the body's captures at each iteration; PCRE2 keeps the previous iteration's.
      const unsure = captured.filter((g) => !alwaysSets(body, g) && !neverSets(body, g));
      if (unsure.length > 0) {
        if (min <= 1 && !hasBackref && uniqueEnd(body, this.ignoreCase, this.dotAll)) {
          // Every iteration ends at one place, so the chain of iterations is unique: X{min,max}
          // runs as X'{0,max-1}X with X' = X without captures — the captures of the last
          // iteration, which is all JS keeps.
          const rest = max === Number.POSITIVE_INFINITY ? "*" : max === 2 ? "?" : `{0,${max - 1}}`;
          const lazyMark = lazy ? "?" : "";
          this.plain += 1;
          const copy = this.emit(body, inLookbehind);
          this.plain -= 1;
          const last = this.emit(body, inLookbehind);
          const chain = `${this.atom(body, copy)}${rest}${lazyMark}${this.atom(body, last)}`;
          return min === 0 ? `(?:${chain})?${lazyMark}` : chain;
        }
        throw new Refusal(`group ${unsure[0]} in a repetition is not set by every iteration`);
      }
      setBeforeUse(body, new Set(groupsIn(body)), new Set());
    }
    const q =
      min === 1 && max === 1
        ? ""
        : min === 0 && max === 1
          ? "?"
          : min === 0 && max === Number.POSITIVE_INFINITY
            ? "*"
            : min === 1 && max === Number.POSITIVE_INFINITY
              ? "+"
              : max === Number.POSITIVE_INFINITY
                ? `{${min},}`
                : min === max
                  ? `{${min}}`
                  : `{${min},${max}}`;
    return `${this.atom(body, this.emit(body, inLookbehind))}${q}${lazy && min !== max ? "?" : ""}`;
  }

  /** `text`, the emitted `node`, as something a quantifier applies to. */
  private atom(node: Node, text: string): string {
    const simple = node.kind === "char" || node.kind === "dot" || node.kind === "group";
    // An ASCII atom (asciiClass) is always one literal or one class.
    const single = node.kind === "set" && (this.ascii || /^(?:\[|\\[pP])/.test(text));
    return simple || single ? text : `(?:${text})`;
  }

  /** The ASCII variant of the one-character JS atom `js` (under the pattern's i flag). */
  private asciiAtom(js: string): string {
    return asciiClass(asciiMembers(js, this.ignoreCase ? "iu" : "u"), this.ignoreCase);
  }

  private set(node: Extract<Node, { kind: "set" }>): string {
    if (this.ignoreCase) {
      const re = new RegExp(node.js, "u");
      this.checkDrift(node, (cp) => re.test(String.fromCodePoint(cp)));
    }
    if (node.items.length === 0) return node.negated ? ANY : NONE;
    if (node.items.length === 1 && node.items[0]!.kind === "escape") {
      // A set of one escape: its complement is a plain set too.
      const e = node.items[0]!.escape;
      const positive = e.toLowerCase() as "d" | "w" | "s";
      const negated = node.negated !== (e !== positive);
      const body = positive === "d" ? "0-9" : positive === "w" ? ASCII_WORD : JS_SPACE_TEXT;
      return `[${negated ? "^" : ""}${body}]`;
    }
    const only = node.items[0]!;
    if (node.single && only.kind === "prop" && (!this.ignoreCase || extrasOf(only).length === 0)) {
      return `\\${only.negated ? "P" : "p"}{${only.name}}`;
    }
    let body = "";
    for (const item of node.items) {
      if (item.kind === "range") {
        body += item.lo === item.hi ? literal(item.lo) : `${literal(item.lo)}-${literal(item.hi)}`;
      } else if (item.kind === "prop") {
        body += `\\${item.negated ? "P" : "p"}{${item.name}}`;
        if (this.ignoreCase) body += extrasOf(item).map(literal).join("");
      } else if (item.escape === "d") body += "0-9";
      else if (item.escape === "w") body += ASCII_WORD;
      else if (item.escape === "s") body += JS_SPACE_TEXT;
      else if (item.escape === "D" && !this.ignoreCase) body += "\\D";
      else if (item.escape === "W" && !this.ignoreCase) body += "\\W";
      else throw new Refusal(`\\${item.escape} combined with other members of a set`);
    }
    if (node.single) return `[${body}]`;
    return `[${node.negated ? "^" : ""}${body}]`;
  }

  /**
   * Refuses (under `i`) a letter or set holding `from` of a case-drift pair but not `to`: V8 would
   * match `to`, PCRE2 not. (A set of both matches `to` in both engines. `has` is the raw
   * membership; for a negated set it is the complement, which holds one of a pair exactly when the
   * members do — the answer is the same.)
   */
  private checkDrift(node: Node, has: (cp: number) => boolean): void {
    for (const [from, to] of CASE_FOLD_DRIFT) {
      if (has(from) !== has(to)) {
        const which = has(from) ? from : to;
        throw new Refusal(
          `${node.kind === "char" ? "letter" : "set"} with U+${which.toString(16).toUpperCase()} under i (its case partners differ between V8 and PCRE2)`,
        );
      }
    }
  }
}

function extrasOf(item: Extract<SetItem, { kind: "prop" }>): readonly number[] {
  const extras = CASELESS_PROPERTY_EXTRAS[`${item.negated ? "^" : ""}${item.name}`];
  if (extras === undefined) throw new Refusal(`\\p{${item.name}} under i`);
  return extras;
}

const NEVER: Node = { kind: "set", negated: false, items: [], single: false, js: "[]" };

/**
 * The non-empty matches of `node`, in the same order (JS's iterations past a repetition's
 * minimum), without duplicating a group. Refuses what it cannot rewrite so.
 */
function nonEmpty(node: Node): Node {
  const [lo, hi] = width(node);
  if (lo >= 1) return node;
  // Never matches, but keeps the node's groups (numbering).
  if (hi === 0) return { kind: "seq", items: [NEVER, node] };
  switch (node.kind) {
    case "alt":
      return { kind: "alt", branches: node.branches.map(nonEmpty) };
    case "group":
      return { ...node, body: nonEmpty(node.body) };
    case "repeat":
      if (width(node.body)[0] >= 1) return { ...node, min: Math.max(node.min, 1) };
      break;
    case "seq": {
      // All items but one are zero-width with a single outcome: only that one can consume.
      const consuming = node.items.filter((i) => width(i)[1] > 0);
      const single = (i: Node): boolean =>
        i.kind === "assert" || i.kind === "look" || groupsIn(i).length === 0;
      if (consuming.length === 1 && node.items.every((i) => i === consuming[0] || single(i))) {
        return { kind: "seq", items: node.items.map((i) => (i === consuming[0] ? nonEmpty(i) : i)) };
      }
      break;
    }
    default:
      break;
  }
  throw new Refusal("a repetition whose body may match empty (JS and PCRE2 end such loops differently)");
}

/**
 * Whether every match of `node` from a given position ends at the same place. One character,
 * a look-around, a fixed repetition of such; an alternation of such whose branches start with
 * different literal characters; a sequence of such — where a run of other items followed by a
 * literal character D counts too when nothing in the run can consume D (the run must end at the
 * first D). Backreferences never.
 */
function uniqueEnd(node: Node, ignoreCase: boolean, dotAll: boolean): boolean {
  const flags = ignoreCase ? "iu" : "u";
  const consumes = (x: Node, d: string): boolean => {
    if (x.kind === "look") return false;
    if (x.kind === "backref") return true;
    if (x.kind === "char" || x.kind === "set" || x.kind === "dot")
      return new RegExp(jsAtom(x, dotAll), flags).test(d);
    return children(x).some((c) => consumes(c, d));
  };
  const firstChar = (x: Node): number | undefined => {
    if (x.kind === "char") return x.cp;
    if (x.kind === "group") return firstChar(x.body);
    if (x.kind === "seq" && x.items.length > 0) return firstChar(x.items[0]!);
    return undefined;
  };
  const unique = (x: Node): boolean => {
    switch (x.kind) {
      case "char":
      case "set":
      case "dot":
      case "assert":
      case "look":
        return true;
      case "backref":
        return false;
      case "group":
        return unique(x.body);
      case "repeat":
        return x.min === x.max && unique(x.body);
      case "alt": {
        const firsts = x.branches.map(firstChar);
        if (firsts.some((f) => f === undefined) || !x.branches.every(unique)) return false;
        return firsts.every((a, i) =>
          firsts.every(
            (b, j) =>
              j <= i ||
              !new RegExp(jsAtom({ kind: "char", cp: a! }, dotAll), flags).test(String.fromCodePoint(b!)),
          ),
        );
      }
      case "seq": {
        for (let i = 0; i < x.items.length; i++) {
          if (unique(x.items[i]!)) continue;
          let j = i + 1;
          while (j < x.items.length && x.items[j]!.kind !== "char") j++;
          const delimiter = x.items[j];
          if (delimiter?.kind !== "char") return false;
          const d = String.fromCodePoint(delimiter.cp);
          if (x.items.slice(i, j).some((item) => consumes(item, d))) return false;
          i = j;
        }
        return true;
      }
    }
  };
  return unique(node);
}

/** The JS text of a one-character node, for membership tests with V8. */
function jsAtom(node: Node, dotAll: boolean): string {
  if (node.kind === "set") return node.js;
  if (node.kind === "dot") return dotAll ? "[^]" : "[^\\n\\r\\u2028\\u2029]";
  if (node.kind === "char") return `\\u{${node.cp.toString(16)}}`;
  throw new Error("not an atom");
}

export interface Pcre2PatternOptions {
  /**
   * Accept a pattern that can match empty. Exact except for V8's extra empty matches inside a
   * surrogate pair (see above) — for tests that set those aside.
   */
  readonly allowEmptyMatch?: boolean;
  /**
   * For a reader that takes a match apart by group name, fail2ban's way (every name is there,
   * valued by its last copy that took part): by JS group index (entry 0 unused), the name the
   * reader knows the group by, undefined for a group it never reads. Given, the groups are
   * renumbered (see `Numbering`) and the result's `groupNumbers` tells how.
   */
  readonly groupNames?: readonly (string | undefined)[];
}

/**
 * `jsSource`/`jsFlags` as V8 would run them → the PCRE2 pattern and option letters (i, and
 * nothing else: `m` and `s` are written into the pattern), or why that cannot be exact.
 */
export function toPcre2Pattern(
  jsSource: string,
  jsFlags: string,
  options: Pcre2PatternOptions = {},
): Pcre2Pattern {
  for (const f of jsFlags) {
    if (!"uimsgd".includes(f)) return { ok: false, reason: `flag ${f}` };
  }
  if (!jsFlags.includes("u")) return { ok: false, reason: "no u flag (UTF-16 code unit semantics)" };
  try {
    new RegExp(jsSource, jsFlags);
  } catch (err) {
    return { ok: false, reason: `V8 rejects the pattern: ${(err as Error).message}` };
  }
  try {
    const parser = new Parser(jsSource);
    const root = parser.parse();
    if (parser.groupCount > MAX_REPEAT) throw new Refusal("too many groups");
    const ignoreCase = jsFlags.includes("i");
    const [multiline, dotAll] = [jsFlags.includes("m"), jsFlags.includes("s")];
    const names = options.groupNames;
    if (names !== undefined && names.length !== parser.groupCount + 1) {
      throw new Refusal(`${names.length - 1} group names for ${parser.groupCount} groups`);
    }
    // One variant at most. The tail saves PCRE2's walk over the whole content (~9 instructions a
    // character) on every line, so it is tried first; the prefilter only when there is no tail
    // (or its variant is refused). Rampart's own sshd prefregex gates its content with a word
    // alternation that also offered a prefilter literal saving almost nothing: with the tail
    // instead, 913 → 569 instructions a line.
    const tail = multiline ? undefined : contentTail(root);
    const pinned = new Set(parser.backrefs.map((b) => b.index));
    if (tail !== undefined) pinned.add(tail.group);
    const numbering = new Numbering(root, parser.groupCount, names, pinned);
    const emitBoth = (tree: Node): { pattern: string; asciiPattern?: string } => {
      let treeNumbering = numbering;
      if (tree !== root) {
        // A variant must number its groups as the pattern does (the scanner checks it too).
        treeNumbering = new Numbering(tree, parser.groupCount, names, pinned);
        if (treeNumbering.numbers.some((n, i) => n !== numbering.numbers[i])) {
          throw new Refusal("a variant numbers its groups differently");
        }
      }
      const emit = (ascii: boolean): string =>
        new Emitter(ignoreCase, multiline, dotAll, tree, treeNumbering, ascii).emit(tree, false);
      const utf = emit(false);
      try {
        return { pattern: utf, asciiPattern: emit(true) };
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        return { pattern: utf };
      }
    };
    const { pattern, asciiPattern } = emitBoth(root);
    if (width(root)[0] === 0 && !options.allowEmptyMatch) {
      // V8 tries an empty match between the two halves of a surrogate pair too (where no
      // character can match), a position a UTF-8 subject does not have.
      throw new Refusal("a pattern that can match empty (V8 also matches it inside a surrogate pair)");
    }
    const result = {
      ok: true as const,
      pattern,
      options: ignoreCase ? "i" : "",
      ...(asciiPattern === undefined ? {} : { asciiPattern }),
      ...(names === undefined ? {} : { groupNumbers: numbering.numbers }),
    };
    if (tail !== undefined) {
      try {
        const group = numbering.numbers[tail.group]!;
        return { ...result, tail: { group, ...emitBoth(tail.variant) } };
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
      }
    }
    const absent = absentLiteral(root, ignoreCase);
    try {
      if (absent !== undefined) {
        return { ...result, absent: { literal: absent.literal, ...emitBoth(absent.pruned) } };
      }
      return result;
    } catch (err) {
      if (err instanceof Refusal) return result;
      throw err;
    }
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, reason: err.message };
    throw err;
  }
}

/**
 * A literal some alternatives need and their siblings do not, for the native scanner's prefilter
 * (see `Pcre2Pattern`'s `absent`). fail2ban's sshd `Failed …` failregex tries `… from <HOST>
 * … \: ` (the publickey-with-reason form) before `… from <HOST> …$`: on the usual line, which has
 * no ": ", PCRE2 walks the first form to its end and backtracks through every way of reading the
 * address before giving up. Half of that regex's cost goes there.
 *
 * A run is a string of literal characters every match of a node consumes consecutively. Only runs
 * that cannot fail at once are worth it (not the first item of their alternative), that contain no
 * letter under `i` (case folding would make a byte search wrong) and are ASCII; only runs that
 * tell an alternative from a sibling (a run all siblings need separates nothing). Of those, the
 * run that fails the most alternatives.
 */
function absentLiteral(root: Node, ignoreCase: boolean): { literal: string; pruned: Node } | undefined {
  const candidates = new Set<string>();
  /** Each node's runs, worked out once (the pruning below asks again for every branch). */
  const known = new Map<Node, { runs: string[]; leading: string | undefined }>();
  const runsOf = (node: Node): { runs: string[]; leading: string | undefined } => {
    let found = known.get(node);
    if (found === undefined) {
      found = walkRuns(node);
      known.set(node, found);
    }
    return found;
  };
  /** The runs every match of `node` consumes, in order; `leading` = a run that starts `node`. */
  const walkRuns = (node: Node): { runs: string[]; leading: string | undefined } => {
    const runs: string[] = [];
    let current = "";
    let leading: string | undefined;
    let consumedBefore = false;
    const flush = () => {
      if (current !== "") {
        if (!consumedBefore && runs.length === 0 && leading === undefined) leading = current;
        runs.push(current);
      }
      current = "";
    };
    const walk = (n: Node): void => {
      switch (n.kind) {
        case "char":
          current += String.fromCodePoint(n.cp);
          return;
        case "seq":
          n.items.forEach(walk);
          return;
        case "group":
          walk(n.body);
          return;
        case "alt": {
          flush();
          consumedBefore = true;
          const branches = n.branches.map(runsOf);
          branches.forEach((b, i) => {
            const siblings = branches.filter((_, j) => j !== i);
            for (const run of b.runs) {
              if (run === b.leading || run.length < 2 || !/^[\x20-\x7e]+$/.test(run)) continue;
              if (ignoreCase && /[A-Za-z]/.test(run)) continue;
              if (!siblings.every((s) => s.runs.some((r) => r.includes(run)))) candidates.add(run);
            }
          });
          // Runs every branch needs are needed by the alternation.
          for (const run of branches[0]!.runs) {
            if (branches.every((b) => b.runs.some((r) => r.includes(run)))) runs.push(run);
          }
          return;
        }
        case "repeat":
          flush();
          consumedBefore = true;
          if (n.min >= 1) runs.push(...runsOf(n.body).runs);
          return;
        default:
          // Sets, dots, backreferences consume something unknown; look-arounds and assertions are
          // left out (a run must be consumed, and a lookbehind looks back).
          flush();
          consumedBefore = true;
          return;
      }
    };
    walk(node);
    flush();
    return { runs, leading };
  };
  runsOf(root);
  let best: { literal: string; pruned: Node; count: number } | undefined;
  for (const literal of candidates) {
    let count = 0;
    const prune = (n: Node): Node => {
      switch (n.kind) {
        case "alt":
          return {
            kind: "alt",
            branches: n.branches.map((b) => {
              if (runsOf(b).runs.some((r) => r.includes(literal))) {
                count++;
                // `(?!)` fails at once and keeps the branch's groups (their numbers) and width.
                return { kind: "seq", items: [FAIL_NOW, b] };
              }
              return prune(b);
            }),
          };
        case "seq":
          return { kind: "seq", items: n.items.map(prune) };
        case "group":
        case "repeat":
          return { ...n, body: prune(n.body) };
        default:
          return n;
      }
    };
    const pruned = prune(root);
    if (!best || count > best.count) best = { literal, pruned, count };
  }
  return best && { literal: best.literal, pruned: best.pruned };
}

const FAIL_NOW: Node = { kind: "look", behind: false, negated: true, body: { kind: "seq", items: [] } };

/**
 * fail2ban's prefregexes end `(?:<F-CONTENT>.+</F-CONTENT>)$`: `([^\n]+)(?=\n?$)` here. On a
 * subject whose only "\n" (if any) is its last character — every line buffer of the native
 * scanner — that tail matches from a position p exactly when the character at p is not "\n",
 * and then always runs to the subject's end (before the last "\n"): the greedy class stops only
 * there, and a shorter match would leave a character the lookahead refuses. So the head is
 * matched with the same paths in the same order as `X(?=[^\n])()`, and the scanner sets the
 * empty group's end (and the match's) to the subject's end. The variant keeps every group.
 */
function contentTail(root: Node): { group: number; variant: Node } | undefined {
  if (root.kind !== "seq" || root.items.length < 3) return undefined;
  const items = root.items;
  const last = items[items.length - 1]!;
  const isNewline = (n: Node) => n.kind === "char" && n.cp === 0x0a;
  if (last.kind !== "look" || last.behind || last.negated) return undefined;
  const look = last.body;
  if (look.kind !== "seq" || look.items.length !== 2) return undefined;
  const [optional, end] = look.items as [Node, Node];
  if (optional.kind !== "repeat" || optional.min !== 0 || optional.max !== 1 || !isNewline(optional.body)) {
    return undefined;
  }
  if (end.kind !== "assert" || end.what !== "$") return undefined;
  // The capture, possibly inside non-capturing groups: `(?:([^\n]+))`, or `(P[^\n]+)` with a
  // head P before the class (Rampart's filters gate their content so: `(?:Failed|User|…).+`).
  let capture = items[items.length - 2]!;
  while (capture.kind === "group" && capture.index === undefined) capture = capture.body;
  if (capture.kind !== "group" || capture.index === undefined) return undefined;
  const body = capture.body;
  const head = body.kind === "seq" && body.items.length > 1 ? body.items.slice(0, -1) : [];
  const rep = head.length > 0 && body.kind === "seq" ? body.items[body.items.length - 1]! : body;
  if (rep.kind !== "repeat" || rep.min !== 1 || rep.max !== Number.POSITIVE_INFINITY || rep.lazy)
    return undefined;
  const cls = rep.body;
  const range = cls.kind === "set" && cls.negated && cls.items.length === 1 ? cls.items[0] : undefined;
  if (range?.kind !== "range" || range.lo !== 0x0a || range.hi !== 0x0a) return undefined;
  // P keeps its groups: a positive lookahead keeps what it captured, and the first way through P
  // that leaves a character other than "\n" is the one the original takes too (its class then
  // runs to the end, so it never backtracks into P once that holds).
  const gate: Node = head.length > 0 ? { kind: "seq", items: [...head, cls] } : cls;
  const variant: Node = {
    kind: "seq",
    items: [
      ...items.slice(0, -2),
      { kind: "look", behind: false, negated: false, body: gate },
      { ...capture, body: { kind: "seq", items: [] } },
    ],
  };
  return { group: capture.index, variant };
}
