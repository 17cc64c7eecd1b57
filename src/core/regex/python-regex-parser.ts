import type { CategoryName, ClassItem, ParsedRegex, RegexNode, RepeatMode } from "./regex-ast.js";

/**
 * A port of CPython 3.11 `Lib/re/_parser.py` for `str` patterns: same grammar, same error messages,
 * same error positions (0-based code-point offsets, like `re.error.pos`). Following the reference
 * line by line is what makes "Python accepts it ⇔ we accept it" hold for the odd corners (a `{`
 * that is not a quantifier, `\1` vs octal, global flags only at the start, …).
 */

export const FLAG_IGNORECASE = 2;
export const FLAG_LOCALE = 4;
export const FLAG_MULTILINE = 8;
export const FLAG_DOTALL = 16;
export const FLAG_UNICODE = 32;
export const FLAG_VERBOSE = 64;
export const FLAG_ASCII = 256;

const FLAG_LETTERS: ReadonlyMap<string, number> = new Map([
  ["i", FLAG_IGNORECASE],
  ["L", FLAG_LOCALE],
  ["m", FLAG_MULTILINE],
  ["s", FLAG_DOTALL],
  ["x", FLAG_VERBOSE],
  ["a", FLAG_ASCII],
  ["t", 1],
  ["u", FLAG_UNICODE],
]);
const TYPE_FLAGS = FLAG_ASCII | FLAG_LOCALE | FLAG_UNICODE;
// SRE_FLAG_DEBUG | SRE_FLAG_TEMPLATE: may not be switched on or off inside a pattern.
const GLOBAL_FLAGS = 128 | 1;
// sre_constants.MAXREPEAT / MAXGROUPS on 64-bit builds.
const MAXREPEAT = 4294967295;
const MAXGROUPS = 2147483647 / 2;

const SPECIAL_CHARS = ".\\[{()*+?^$|";
const REPEAT_CHARS = "*+?{";
const DIGITS = "0123456789";
const OCTDIGITS = "01234567";
const HEXDIGITS = "0123456789abcdefABCDEF";
const ASCIILETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const WHITESPACE = " \t\n\r\v\f";

const ESCAPES: ReadonlyMap<string, number> = new Map([
  ["\\a", 7],
  ["\\b", 8],
  ["\\f", 12],
  ["\\n", 10],
  ["\\r", 13],
  ["\\t", 9],
  ["\\v", 11],
  ["\\\\", 92],
]);
const CATEGORY_ESCAPES: ReadonlyMap<string, CategoryName> = new Map([
  ["\\d", "digit"],
  ["\\D", "notDigit"],
  ["\\s", "space"],
  ["\\S", "notSpace"],
  ["\\w", "word"],
  ["\\W", "notWord"],
]);

/** A pattern Python's `re.compile` would reject; `pos` as in `re.error.pos`. */
export class PythonRegexError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

/** A construct Python accepts but this translator does not; reported as a Problem too. */
export class UnsupportedRegexError extends PythonRegexError {}

class Tokenizer {
  readonly chars: readonly string[];
  index = 0;
  next: string | undefined;

  constructor(pattern: string) {
    // Python indexes str patterns by code point; positions in errors must agree.
    this.chars = Array.from(pattern);
    this.advance();
  }

  private advance(): void {
    let index = this.index;
    let char = this.chars[index];
    if (char === undefined) {
      this.next = undefined;
      return;
    }
    if (char === "\\") {
      index += 1;
      const following = this.chars[index];
      if (following === undefined)
        throw new PythonRegexError("bad escape (end of pattern)", this.chars.length - 1);
      char += following;
    }
    this.index = index + 1;
    this.next = char;
  }

  match(char: string): boolean {
    if (char === this.next) {
      this.advance();
      return true;
    }
    return false;
  }

  get(): string | undefined {
    const current = this.next;
    this.advance();
    return current;
  }

  getWhile(n: number, charset: string): string {
    let result = "";
    for (let i = 0; i < n; i++) {
      const c = this.next;
      if (c === undefined || c.length !== 1 || !charset.includes(c)) break;
      result += c;
      this.advance();
    }
    return result;
  }

  getUntil(terminator: string, name: string): string {
    let result = "";
    for (;;) {
      const c = this.next;
      this.advance();
      if (c === undefined) {
        if (result === "") throw this.error(`missing ${name}`);
        throw this.error(`missing ${terminator}, unterminated name`, cpLength(result));
      }
      if (c === terminator) {
        if (result === "") throw this.error(`missing ${name}`, 1);
        break;
      }
      result += c;
    }
    return result;
  }

  tell(): number {
    return this.index - (this.next === undefined ? 0 : cpLength(this.next));
  }

  seek(index: number): void {
    this.index = index;
    this.advance();
  }

  error(message: string, offset = 0): PythonRegexError {
    return new PythonRegexError(message, this.tell() - offset);
  }

  checkGroupName(name: string, offset: number): void {
    if (!isPythonIdentifier(name))
      throw this.error(`bad character in group name ${pyRepr(name)}`, cpLength(name) + offset);
  }
}

function cpLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** `str.isidentifier()`: XID_Start/underscore then XID_Continue (PEP 3131). */
function isPythonIdentifier(name: string): boolean {
  return /^[\p{XID_Start}_][\p{XID_Continue}]*$/u.test(name);
}

/** Python's `repr()` of a str, enough for error messages. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}

/** Flags switched on/off by the enclosing `(?flags-flags:…)` scopes. */
interface Flags {
  readonly add: number;
  readonly del: number;
}

class State {
  flags = 0;
  readonly groupIndex = new Map<string, number>();
  /** Per group: undefined while open, its (min,max) width once closed. Index 0 = whole match. */
  readonly groupWidths: (readonly [number, number] | undefined)[] = [[0, 0]];
  lookbehindGroups: number | undefined;
  readonly grouprefPos = new Map<number, number>();

  get groups(): number {
    return this.groupWidths.length;
  }

  openGroup(name: string | undefined): number {
    const gid = this.groups;
    this.groupWidths.push(undefined);
    if (this.groups > MAXGROUPS) throw new PythonRegexError("too many groups", 0);
    if (name !== undefined) {
      const ogid = this.groupIndex.get(name);
      if (ogid !== undefined) {
        throw new PythonRegexError(
          `redefinition of group name ${pyRepr(name)} as group ${gid}; was group ${ogid}`,
          0,
        );
      }
      this.groupIndex.set(name, gid);
    }
    return gid;
  }

  closeGroup(gid: number, body: RegexNode): void {
    this.groupWidths[gid] = nodeWidth(body, this.groupWidths);
  }

  checkGroup(gid: number): boolean {
    return gid < this.groups && this.groupWidths[gid] !== undefined;
  }

  checkLookbehindGroup(gid: number, source: Tokenizer): void {
    if (this.lookbehindGroups !== undefined) {
      if (!this.checkGroup(gid)) throw source.error("cannot refer to an open group");
      if (gid >= this.lookbehindGroups) {
        throw source.error("cannot refer to group defined in the same lookbehind subpattern");
      }
    }
  }
}

/** `SubPattern.getwidth()`: (min, max) code points, capped like sre's MAXREPEAT. */
export function nodeWidth(
  node: RegexNode,
  groupWidths: readonly (readonly [number, number] | undefined)[],
): readonly [number, number] {
  const cap = MAXREPEAT - 1;
  switch (node.kind) {
    case "empty":
    case "fail":
    case "anchor":
    case "look":
      return [0, 0];
    case "literal":
    case "any":
    case "class":
      return [1, 1];
    case "group":
    case "atomic":
      return nodeWidth(node.body, groupWidths);
    case "backref":
      return groupWidths[node.index] ?? [0, cap];
    case "conditional": {
      const y = nodeWidth(node.yes, groupWidths);
      const n = nodeWidth(node.no, groupWidths);
      return [Math.min(y[0], n[0]), Math.max(y[1], n[1])];
    }
    case "repeat": {
      const b = nodeWidth(node.body, groupWidths);
      const max = node.max === Number.POSITIVE_INFINITY ? MAXREPEAT : node.max;
      return [Math.min(b[0] * node.min, cap), Math.min(b[1] * max, cap)];
    }
    case "sequence": {
      let lo = 0;
      let hi = 0;
      for (const item of node.items) {
        const w = nodeWidth(item, groupWidths);
        lo += w[0];
        hi += w[1];
      }
      return [Math.min(lo, cap), Math.min(hi, cap)];
    }
    case "alternation": {
      let lo = cap;
      let hi = 0;
      for (const b of node.branches) {
        const w = nodeWidth(b, groupWidths);
        lo = Math.min(lo, w[0]);
        hi = Math.max(hi, w[1]);
      }
      return [lo, hi];
    }
  }
}

function ord(c: string): number {
  return c.codePointAt(0)!;
}

function has(set: string, c: string | undefined): boolean {
  return c !== undefined && c.length === 1 && set.includes(c);
}

type ClassCode = { kind: "literal"; cp: number } | { kind: "category"; category: CategoryName };

function parseHexEscape(source: Tokenizer, esc: string, digits: number): number {
  const full = esc + source.getWhile(digits, HEXDIGITS);
  if (full.length !== digits + 2) throw source.error(`incomplete escape ${full}`, full.length);
  const value = Number.parseInt(full.slice(2), 16);
  // chr() raises ValueError above U+10FFFF, which _escape turns into "bad escape".
  if (value > 0x10ffff) throw source.error(`bad escape ${full}`, full.length);
  return value;
}

function unsupportedNamedEscape(source: Tokenizer): never {
  throw new UnsupportedRegexError(
    "named Unicode escapes (\\N{...}) are not supported; write the character or \\uXXXX instead",
    source.tell() - 2,
  );
}

function classEscape(source: Tokenizer, esc: string): ClassCode {
  const code = ESCAPES.get(esc);
  if (code !== undefined) return { kind: "literal", cp: code };
  const category = CATEGORY_ESCAPES.get(esc);
  if (category !== undefined) return { kind: "category", category };
  const c = esc.slice(1);
  if (c === "x") return { kind: "literal", cp: parseHexEscape(source, esc, 2) };
  if (c === "u") return { kind: "literal", cp: parseHexEscape(source, esc, 4) };
  if (c === "U") return { kind: "literal", cp: parseHexEscape(source, esc, 8) };
  if (c === "N") unsupportedNamedEscape(source);
  if (has(OCTDIGITS, c)) {
    const full = esc + source.getWhile(2, OCTDIGITS);
    const value = Number.parseInt(full.slice(1), 8);
    if (value > 0o377) {
      throw source.error(`octal escape value ${full} outside of range 0-0o377`, full.length);
    }
    return { kind: "literal", cp: value };
  }
  if (has(DIGITS, c)) throw source.error(`bad escape ${esc}`, esc.length);
  if (has(ASCIILETTERS, c)) throw source.error(`bad escape ${esc}`, esc.length);
  return { kind: "literal", cp: ord(c) };
}

interface Ctx {
  readonly state: State;
  readonly source: Tokenizer;
}

function escapeNode(ctx: Ctx, esc: string, flags: number): RegexNode {
  const { source, state } = ctx;
  const ascii = (flags & FLAG_ASCII) !== 0;
  const ignoreCase = (flags & FLAG_IGNORECASE) !== 0;
  switch (esc) {
    case "\\A":
      return { kind: "anchor", anchor: "start", ascii };
    case "\\Z":
      return { kind: "anchor", anchor: "textEnd", ascii };
    case "\\b":
      return { kind: "anchor", anchor: "wordBoundary", ascii };
    case "\\B":
      return { kind: "anchor", anchor: "notWordBoundary", ascii };
  }
  const category = CATEGORY_ESCAPES.get(esc);
  if (category !== undefined) {
    return {
      kind: "class",
      negated: false,
      items: [{ kind: "category", category, ascii }],
      ignoreCase,
      ascii,
    };
  }
  const code = ESCAPES.get(esc);
  if (code !== undefined) return { kind: "literal", cp: code, ignoreCase, ascii };
  const c = esc.slice(1);
  const lit = (cp: number): RegexNode => ({ kind: "literal", cp, ignoreCase, ascii });
  if (c === "x") return lit(parseHexEscape(source, esc, 2));
  if (c === "u") return lit(parseHexEscape(source, esc, 4));
  if (c === "U") return lit(parseHexEscape(source, esc, 8));
  if (c === "N") unsupportedNamedEscape(source);
  if (c === "0") return lit(Number.parseInt((esc + source.getWhile(2, OCTDIGITS)).slice(1), 8));
  if (has(DIGITS, c)) {
    // Octal escape *or* decimal group reference — Python's own "(sigh)".
    let full = esc;
    if (has(DIGITS, source.next)) {
      full += source.get();
      if (has(OCTDIGITS, full[1]) && has(OCTDIGITS, full[2]) && has(OCTDIGITS, source.next)) {
        full += source.get();
        const value = Number.parseInt(full.slice(1), 8);
        if (value > 0o377) {
          throw source.error(`octal escape value ${full} outside of range 0-0o377`, full.length);
        }
        return lit(value);
      }
    }
    const group = Number.parseInt(full.slice(1), 10);
    if (group < state.groups) {
      if (!state.checkGroup(group)) throw source.error("cannot refer to an open group", full.length);
      state.checkLookbehindGroup(group, source);
      return { kind: "backref", index: group, ignoreCase, pos: source.tell() - full.length };
    }
    throw source.error(`invalid group reference ${group}`, full.length - 1);
  }
  if (has(ASCIILETTERS, c)) throw source.error(`bad escape ${esc}`, esc.length);
  return lit(ord(c));
}

function seq(items: RegexNode[]): RegexNode {
  if (items.length === 0) return { kind: "empty" };
  if (items.length === 1) return items[0]!;
  return { kind: "sequence", items };
}

function parseSub(ctx: Ctx, verboseIn: boolean, nested: number, flags: Flags): RegexNode {
  const branches: RegexNode[] = [];
  let verbose = verboseIn;
  for (;;) {
    branches.push(parseSeq(ctx, verbose, nested + 1, nested === 0 && branches.length === 0, flags));
    if (!ctx.source.match("|")) break;
    if (nested === 0) verbose = (ctx.state.flags & FLAG_VERBOSE) !== 0;
  }
  if (branches.length === 1) return branches[0]!;
  return { kind: "alternation", branches };
}

function parseFlags(source: Tokenizer, state: State, first: string): [number, number] | undefined {
  let char: string | undefined = first;
  let addFlags = 0;
  let delFlags = 0;
  if (char !== "-") {
    for (;;) {
      const flag = FLAG_LETTERS.get(char!)!;
      if (char === "L") throw source.error("bad inline flags: cannot use 'L' flag with a str pattern");
      addFlags |= flag;
      if ((flag & TYPE_FLAGS) !== 0 && (addFlags & TYPE_FLAGS) !== flag) {
        throw source.error("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
      }
      char = source.get();
      if (char === undefined) throw source.error("missing -, : or )");
      if (")-:".includes(char)) break;
      if (!FLAG_LETTERS.has(char)) {
        throw source.error(
          /^\p{Alphabetic}$/u.test(char) ? "unknown flag" : "missing -, : or )",
          cpLength(char),
        );
      }
    }
  }
  if (char === ")") {
    state.flags |= addFlags;
    return undefined;
  }
  if ((addFlags & GLOBAL_FLAGS) !== 0) throw source.error("bad inline flags: cannot turn on global flag", 1);
  if (char === "-") {
    char = source.get();
    if (char === undefined) throw source.error("missing flag");
    if (!FLAG_LETTERS.has(char)) {
      throw source.error(/^\p{Alphabetic}$/u.test(char) ? "unknown flag" : "missing flag", cpLength(char));
    }
    for (;;) {
      const flag = FLAG_LETTERS.get(char!)!;
      if ((flag & TYPE_FLAGS) !== 0)
        throw source.error("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
      delFlags |= flag;
      char = source.get();
      if (char === undefined) throw source.error("missing :");
      if (char === ":") break;
      if (!FLAG_LETTERS.has(char)) {
        throw source.error(/^\p{Alphabetic}$/u.test(char) ? "unknown flag" : "missing :", cpLength(char));
      }
    }
  }
  if ((delFlags & GLOBAL_FLAGS) !== 0) throw source.error("bad inline flags: cannot turn off global flag", 1);
  if ((addFlags & delFlags) !== 0) throw source.error("bad inline flags: flag turned on and off", 1);
  return [addFlags, delFlags];
}

/**
 * Flags in effect for an atom: the global flags (only settable at the very start, so fully known
 * by the time any atom is parsed) combined with the enclosing scoped `(?flags-flags:…)` groups.
 */
function effective(ctx: Ctx, scoped: Flags): number {
  return (ctx.state.flags | scoped.add) & ~scoped.del;
}

function parseSeq(ctx: Ctx, verboseIn: boolean, nested: number, first: boolean, scoped: Flags): RegexNode {
  const { source, state } = ctx;
  let verbose = verboseIn;
  const items: RegexNode[] = [];
  // Python's `subpattern` is non-empty once anything (even an empty group) was appended.
  let appended = false;
  // Whether the last appended item is eligible for a quantifier, per _parse's checks.
  let lastKind: "none" | "at" | "repeat" | "item" = "none";
  const push = (node: RegexNode, kind: "at" | "repeat" | "item" = "item"): void => {
    items.push(node);
    appended = true;
    lastKind = kind;
  };

  for (;;) {
    const self = source.next;
    if (self === undefined) break;
    if (self === "|" || self === ")") break;
    source.get();
    const flags = effective(ctx, scoped);
    const ignoreCase = (flags & FLAG_IGNORECASE) !== 0;
    const ascii = (flags & FLAG_ASCII) !== 0;

    if (verbose) {
      if (has(WHITESPACE, self)) continue;
      if (self === "#") {
        for (;;) {
          const c = source.get();
          if (c === undefined || c === "\n") break;
        }
        continue;
      }
    }

    if (self[0] === "\\") {
      const node = escapeNode(ctx, self, flags);
      push(node, node.kind === "anchor" ? "at" : "item");
    } else if (!SPECIAL_CHARS.includes(self)) {
      push({ kind: "literal", cp: ord(self), ignoreCase, ascii });
    } else if (self === "[") {
      const here = source.tell() - 1;
      const set: ClassItem[] = [];
      let setLength = 0;
      const negate = source.match("^");
      for (;;) {
        let thisChar = source.get();
        if (thisChar === undefined) throw source.error("unterminated character set", source.tell() - here);
        if (thisChar === "]" && setLength > 0) break;
        let code1: ClassCode;
        if (thisChar[0] === "\\") code1 = classEscape(source, thisChar);
        else code1 = { kind: "literal", cp: ord(thisChar) };
        if (source.match("-")) {
          const that = source.get();
          if (that === undefined) throw source.error("unterminated character set", source.tell() - here);
          if (that === "]") {
            set.push(classItem(code1, ascii), { kind: "range", lo: 45, hi: 45 });
            setLength += 2;
            break;
          }
          const code2: ClassCode =
            that[0] === "\\" ? classEscape(source, that) : { kind: "literal", cp: ord(that) };
          const rangeLength = cpLength(thisChar) + 1 + cpLength(that);
          if (code1.kind !== "literal" || code2.kind !== "literal") {
            throw source.error(`bad character range ${thisChar}-${that}`, rangeLength);
          }
          if (code2.cp < code1.cp) throw source.error(`bad character range ${thisChar}-${that}`, rangeLength);
          set.push({ kind: "range", lo: code1.cp, hi: code2.cp });
        } else {
          set.push(classItem(code1, ascii));
        }
        setLength += 1;
        thisChar = undefined;
      }
      push({ kind: "class", negated: negate, items: set, ignoreCase, ascii });
    } else if (REPEAT_CHARS.includes(self)) {
      const here = source.tell();
      let min: number;
      let max: number;
      if (self === "?") {
        min = 0;
        max = 1;
      } else if (self === "*") {
        min = 0;
        max = Number.POSITIVE_INFINITY;
      } else if (self === "+") {
        min = 1;
        max = Number.POSITIVE_INFINITY;
      } else {
        // `{`: a quantifier only if it reads {m}, {m,}, {,n} or {m,n}; otherwise a literal.
        if (source.next === "}") {
          push({ kind: "literal", cp: ord(self), ignoreCase, ascii });
          continue;
        }
        min = 0;
        max = Number.POSITIVE_INFINITY;
        let lo = "";
        let hi = "";
        while (has(DIGITS, source.next)) lo += source.get();
        if (source.match(",")) {
          while (has(DIGITS, source.next)) hi += source.get();
        } else {
          hi = lo;
        }
        if (!source.match("}")) {
          push({ kind: "literal", cp: ord(self), ignoreCase, ascii });
          source.seek(here);
          continue;
        }
        if (lo !== "") {
          min = Number.parseInt(lo, 10);
          if (min >= MAXREPEAT) throw new PythonRegexError("the repetition number is too large", here);
        }
        if (hi !== "") {
          max = Number.parseInt(hi, 10);
          if (max >= MAXREPEAT) throw new PythonRegexError("the repetition number is too large", here);
          if (max < min) throw source.error("min repeat greater than max repeat", source.tell() - here);
        }
      }
      if (lastKind === "none" || lastKind === "at") {
        throw source.error("nothing to repeat", source.tell() - here + 1);
      }
      if (lastKind === "repeat") throw source.error("multiple repeat", source.tell() - here + 1);
      const item = items.pop()!;
      let mode: RepeatMode = "greedy";
      if (source.match("?")) mode = "lazy";
      else if (source.match("+")) mode = "possessive";
      push({ kind: "repeat", min, max, mode, body: item }, "repeat");
    } else if (self === ".") {
      push({ kind: "any", dotAll: (flags & FLAG_DOTALL) !== 0 });
    } else if (self === "(") {
      const start = source.tell() - 1;
      let capture = true;
      let atomic = false;
      let name: string | undefined;
      let addFlags = 0;
      let delFlags = 0;
      if (source.match("?")) {
        const char = source.get();
        if (char === undefined) throw source.error("unexpected end of pattern");
        if (char === "P") {
          if (source.match("<")) {
            name = source.getUntil(">", "group name");
            source.checkGroupName(name, 1);
          } else if (source.match("=")) {
            const refName = source.getUntil(")", "group name");
            source.checkGroupName(refName, 1);
            const gid = state.groupIndex.get(refName);
            if (gid === undefined)
              throw source.error(`unknown group name ${pyRepr(refName)}`, cpLength(refName) + 1);
            if (!state.checkGroup(gid))
              throw source.error("cannot refer to an open group", cpLength(refName) + 1);
            state.checkLookbehindGroup(gid, source);
            push({ kind: "backref", index: gid, ignoreCase, pos: start });
            continue;
          } else {
            const next = source.get();
            if (next === undefined) throw source.error("unexpected end of pattern");
            throw source.error(`unknown extension ?P${next}`, cpLength(next) + 2);
          }
        } else if (char === ":") {
          capture = false;
        } else if (char === "#") {
          for (;;) {
            if (source.next === undefined) {
              throw source.error("missing ), unterminated comment", source.tell() - start);
            }
            if (source.get() === ")") break;
          }
          continue;
        } else if (char === "=" || char === "!" || char === "<") {
          let behind = false;
          let kind = char;
          let savedLookbehind: number | undefined;
          let wasUnset = false;
          if (char === "<") {
            const next = source.get();
            if (next === undefined) throw source.error("unexpected end of pattern");
            if (next !== "=" && next !== "!")
              throw source.error(`unknown extension ?<${next}`, cpLength(next) + 2);
            kind = next;
            behind = true;
            savedLookbehind = state.lookbehindGroups;
            if (savedLookbehind === undefined) {
              state.lookbehindGroups = state.groups;
              wasUnset = true;
            }
          }
          const body = parseSub(ctx, verbose, nested + 1, scoped);
          if (behind && wasUnset) state.lookbehindGroups = undefined;
          if (!source.match(")"))
            throw source.error("missing ), unterminated subpattern", source.tell() - start);
          if (behind) {
            // _compiler.py: "look-behind requires fixed-width pattern" (raised without a position).
            const [lo, hi] = nodeWidth(body, state.groupWidths);
            if (lo !== hi) throw new PythonRegexError("look-behind requires fixed-width pattern", start);
          }
          push({ kind: "look", behind, negated: kind === "!", body });
          continue;
        } else if (char === "(") {
          const condPos = start;
          const condName = source.getUntil(")", "group name");
          let condGroup: number;
          if (isPythonIdentifier(condName)) {
            const gid = state.groupIndex.get(condName);
            if (gid === undefined)
              throw source.error(`unknown group name ${pyRepr(condName)}`, cpLength(condName) + 1);
            condGroup = gid;
          } else {
            // int() also takes " 1", "+1", "1_0"; non-ASCII digits are left unsupported.
            const normalized = condName
              .trim()
              .replace(/^\+/, "")
              .replace(/(?<=\d)_(?=\d)/g, "");
            if (!/^\p{Nd}+$/u.test(normalized)) {
              throw source.error(`bad character in group name ${pyRepr(condName)}`, cpLength(condName) + 1);
            }
            if (!/^[0-9]+$/.test(normalized)) {
              throw new UnsupportedRegexError(
                "non-ASCII digits in a group reference are not supported",
                start,
              );
            }
            condGroup = Number.parseInt(normalized, 10);
            if (condGroup === 0) throw source.error("bad group number", cpLength(condName) + 1);
            if (condGroup >= MAXGROUPS) {
              throw source.error(`invalid group reference ${condGroup}`, cpLength(condName) + 1);
            }
            if (!state.grouprefPos.has(condGroup)) {
              state.grouprefPos.set(condGroup, source.tell() - cpLength(condName) - 1);
            }
          }
          state.checkLookbehindGroup(condGroup, source);
          const yes = parseSeq(ctx, verbose, nested + 1, false, scoped);
          let no: RegexNode = { kind: "empty" };
          if (source.match("|")) {
            no = parseSeq(ctx, verbose, nested + 1, false, scoped);
            if (source.next === "|") throw source.error("conditional backref with more than two branches");
          }
          if (!source.match(")"))
            throw source.error("missing ), unterminated subpattern", source.tell() - start);
          push({ kind: "conditional", index: condGroup, yes, no, pos: condPos });
          continue;
        } else if (char === ">") {
          capture = false;
          atomic = true;
        } else if (FLAG_LETTERS.has(char) || char === "-") {
          const parsed = parseFlags(source, state, char);
          if (parsed === undefined) {
            if (!first || appended) {
              throw source.error("global flags not at the start of the expression", source.tell() - start);
            }
            verbose = (state.flags & FLAG_VERBOSE) !== 0;
            continue;
          }
          [addFlags, delFlags] = parsed;
          capture = false;
        } else {
          throw source.error(`unknown extension ?${char}`, cpLength(char) + 1);
        }
      }
      let group: number | undefined;
      if (capture) {
        try {
          group = state.openGroup(name);
        } catch (err) {
          if (err instanceof PythonRegexError) throw source.error(err.message, cpLength(name ?? "") + 1);
          throw err;
        }
      }
      const subVerbose = (verbose || (addFlags & FLAG_VERBOSE) !== 0) && (delFlags & FLAG_VERBOSE) === 0;
      const innerScoped: Flags = {
        add: (scoped.add | addFlags) & ~delFlags,
        del: (scoped.del | delFlags) & ~addFlags,
      };
      const body = parseSub(ctx, subVerbose, nested + 1, innerScoped);
      if (!source.match(")")) throw source.error("missing ), unterminated subpattern", source.tell() - start);
      if (group !== undefined) {
        state.closeGroup(group, body);
        push({ kind: "group", index: group, name, body });
      } else if (atomic) {
        push({ kind: "atomic", body });
      } else {
        // A plain (?:…) or flag scope: the flags already live on the atoms inside.
        push(body);
      }
    } else if (self === "^") {
      push({ kind: "anchor", anchor: (flags & FLAG_MULTILINE) !== 0 ? "lineStart" : "start", ascii }, "at");
    } else if (self === "$") {
      push({ kind: "anchor", anchor: (flags & FLAG_MULTILINE) !== 0 ? "lineEnd" : "end", ascii }, "at");
    }
  }
  return seq(items);
}

function classItem(code: ClassCode, ascii: boolean): ClassItem {
  return code.kind === "literal"
    ? { kind: "range", lo: code.cp, hi: code.cp }
    : { kind: "category", category: code.category, ascii };
}

/** Flags for `re.compile`: IGNORECASE, MULTILINE, DOTALL, VERBOSE, ASCII as Python's values. */
export function parsePythonRegex(pattern: string, flags = 0): ParsedRegex {
  const source = new Tokenizer(pattern);
  const state = new State();
  state.flags = flags;
  const ctx: Ctx = { state, source };
  const root = parseSub(ctx, (flags & FLAG_VERBOSE) !== 0, 0, { add: 0, del: 0 });
  if ((state.flags & FLAG_ASCII) !== 0 && (state.flags & FLAG_UNICODE) !== 0) {
    throw new PythonRegexError("ASCII and UNICODE flags are incompatible", 0);
  }
  if (source.next !== undefined) throw source.error("unbalanced parenthesis");
  for (const [g, pos] of state.grouprefPos) {
    if (g >= state.groups) throw new PythonRegexError(`invalid group reference ${g}`, pos);
  }
  return { root, groupCount: state.groups - 1, groupIndex: state.groupIndex };
}
