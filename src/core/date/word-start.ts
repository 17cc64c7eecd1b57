/**
 * Speed rewrite of Fail2Ban's word-begin boundary, exact by construction.
 *
 * Unanchored templates start with `(?=^|\b|\W)`. V8 cannot skip ahead over such a start and
 * evaluates the Unicode look-arounds at every position (about 50x slower on lines without a
 * date). When every match of the rest must begin with a word character, the boundary is
 * equivalent to `(?<!\w)`: at a word character, `^ or \b or \W` holds exactly when the previous
 * character is not a word character (or there is none). V8 scans that form quickly.
 *
 * `startsWithWordChar` proves the condition on the Python regex text; anything it does not
 * understand answers false and the boundary is kept as it is.
 */

const BOUNDARY = "(?=^|\\b|\\W)";

export function rewriteWordBegin(regex: string): string {
  const flags = /^(?:\(\?[a-zA-Z]+\))*/.exec(regex)![0];
  const body = regex.slice(flags.length);
  if (!body.startsWith(BOUNDARY)) return regex;
  const rest = body.slice(BOUNDARY.length);
  return startsWithWordChar(rest) ? `${flags}(?<!\\w)${rest}` : regex;
}

interface Scan {
  /** Every non-empty match starts with a word character. */
  readonly word: boolean;
  /** The construct can match the empty string. */
  readonly nullable: boolean;
}

const UNKNOWN: Scan = { word: false, nullable: true };

function isWordLiteral(ch: string): boolean {
  return /^[\p{L}\p{N}_]$/u.test(ch);
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  /** alternation := sequence ('|' sequence)* — stops at ')' or the end. */
  alternation(): Scan {
    let word = true;
    let nullable = false;
    for (;;) {
      const seq = this.sequence();
      word &&= seq.word;
      nullable ||= seq.nullable;
      if (this.s[this.i] !== "|") break;
      this.i += 1;
    }
    return { word, nullable };
  }

  sequence(): Scan {
    // The first consuming, non-nullable atom decides; nullable atoms before it must also be word.
    let word = true;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || c === "|" || c === ")") return { word, nullable: true };
      const atom = this.atom();
      const q = this.quantifier();
      const nullable = atom.nullable || q;
      word &&= atom.word || atom.zeroWidth === true;
      if (!word) {
        this.skipRest();
        return { word: false, nullable: true };
      }
      if (!nullable) {
        this.skipRest();
        return { word: true, nullable: false };
      }
    }
  }

  /** Skips to the end of the current sequence (balanced). */
  private skipRest(): void {
    let depth = 0;
    let inClass = false;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === "\\") {
        this.i += 2;
        continue;
      }
      if (inClass) {
        if (c === "]") inClass = false;
      } else if (c === "[") {
        inClass = true;
        if (this.s[this.i + 1] === "^") this.i += 1;
        if (this.s[this.i + 1] === "]") this.i += 1;
      } else if (c === "(") depth += 1;
      else if (c === ")") {
        if (depth === 0) return;
        depth -= 1;
      } else if (c === "|" && depth === 0) return;
      this.i += 1;
    }
  }

  private quantifier(): boolean {
    const c = this.s[this.i];
    let nullable = false;
    if (c === "?" || c === "*") {
      nullable = true;
      this.i += 1;
    } else if (c === "+") this.i += 1;
    else if (c === "{") {
      const m = /^\{(\d*)(,\d*)?\}/.exec(this.s.slice(this.i));
      if (m && (m[1] !== "" || m[2] !== undefined)) {
        nullable = m[1] === "" || Number(m[1]) === 0;
        this.i += m[0].length;
      } else return false;
    } else return false;
    if (this.s[this.i] === "?") this.i += 1;
    return nullable;
  }

  private atom(): Scan & { zeroWidth?: boolean } {
    const s = this.s;
    const c = s[this.i]!;
    if (c === "(") {
      const rest = s.slice(this.i);
      if (/^\(\?(?:=|!|<=|<!)/.test(rest)) {
        this.i += rest.startsWith("(?<") ? 4 : 3;
        this.alternation();
        this.i += 1;
        return { word: false, nullable: true, zeroWidth: true };
      }
      const open = /^\((?:\?:|\?P<[A-Za-z_][A-Za-z0-9_]*>)?/.exec(rest)![0];
      if (rest.startsWith("(?") && open === "(") {
        // (?P=name), (?#...), conditionals, flags: not analysed.
        this.skipRest();
        return UNKNOWN;
      }
      this.i += open.length;
      const inner = this.alternation();
      if (s[this.i] !== ")") return UNKNOWN;
      this.i += 1;
      return inner;
    }
    if (c === "[") return this.charClass();
    if (c === "\\") {
      const e = s[this.i + 1] ?? "";
      this.i += 2;
      if (e === "d" || e === "w") return { word: true, nullable: false };
      return { word: false, nullable: false };
    }
    if (c === "^" || c === "$" || c === ".") {
      this.i += 1;
      return { word: false, nullable: c !== "." };
    }
    const ch = String.fromCodePoint(s.codePointAt(this.i)!);
    this.i += ch.length;
    return { word: isWordLiteral(ch), nullable: false };
  }

  /** A class is "word" when it is not negated and holds only ASCII letters/digits, \d, \w. */
  private charClass(): Scan {
    const s = this.s;
    this.i += 1;
    let word = true;
    if (s[this.i] === "^") {
      word = false;
      this.i += 1;
    }
    let first = true;
    while (this.i < s.length && (s[this.i] !== "]" || first)) {
      first = false;
      const c = s[this.i]!;
      if (c === "\\") {
        const e = s[this.i + 1] ?? "";
        if (e !== "d" && e !== "w") word = false;
        this.i += 2;
        continue;
      }
      if (s[this.i + 1] === "-" && s[this.i + 2] !== undefined && s[this.i + 2] !== "]") {
        const lo = c;
        const hi = s[this.i + 2]!;
        const ok = (lo >= "0" && hi <= "9") || (lo >= "A" && hi <= "Z") || (lo >= "a" && hi <= "z");
        if (!ok || lo > hi) word = false;
        this.i += 3;
        continue;
      }
      if (!/^[A-Za-z0-9_]$/.test(c)) word = false;
      this.i += 1;
    }
    this.i += 1;
    return { word, nullable: false };
  }
}

/** True when every match of the Python regex `rest` is non-empty and starts with a word char. */
export function startsWithWordChar(rest: string): boolean {
  const p = new Parser(rest);
  const r = p.alternation();
  return r.word && !r.nullable;
}
