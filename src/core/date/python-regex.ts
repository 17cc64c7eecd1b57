/**
 * A small, exact translator from the Python `re` dialect used by Fail2Ban date templates to a
 * JavaScript RegExp source (always compiled with the `u` flag).
 *
 * Why not reuse JS semantics as they are: Python's `\w \d \s \b` are Unicode-aware for str
 * patterns, `.` excludes only "\n", `$` also matches before a final "\n", and a `{` that does not
 * form a quantifier is a literal. Date boundaries such as `(?=\b|\W|$)` decide where a date ends,
 * so every one of those differences would change which text Fail2Ban cuts out of a line.
 *
 * Unsupported constructs (verbose mode, scoped flags, conditionals, atomic groups, possessive
 * quantifiers) are reported as errors instead of being translated approximately.
 */

/** Python's `\w` for str patterns: `str.isalnum()` or "_" (letters and every numeric category). */
const WORD_CLASS_BODY = "\\p{L}\\p{N}_";
/** Python's `\s` for str patterns (`str.isspace()`): includes \x1c-\x1f and \x85, not \ufeff. */
const SPACE_CLASS_BODY =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WORD = `[${WORD_CLASS_BODY}]`;
const BOUNDARY = `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`;
const NON_BOUNDARY = `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`;

export interface TranslatedRegex {
  readonly source: string;
  readonly flags: string;
  /** Named groups in the order Python numbers them (= the order of `groupdict()`). */
  readonly groupNames: readonly string[];
  readonly groupCount: number;
}

export class PythonRegexError extends Error {}

const JS_SYNTAX = new Set(["^", "$", "\\", ".", "*", "+", "?", "(", ")", "[", "]", "{", "}", "|", "/"]);

function escapeLiteral(ch: string, inClass = false): string {
  return JS_SYNTAX.has(ch) || (inClass && ch === "-") ? `\\${ch}` : ch;
}

function hex(n: number): string {
  return `\\u{${n.toString(16)}}`;
}

/**
 * Translates `pattern` (a Python regex, possibly starting with global inline flags) into a JS
 * source. Throws PythonRegexError with Python-like wording when the pattern is invalid or uses
 * something this translator does not support.
 */
export function translatePythonRegex(pattern: string): TranslatedRegex {
  let i = 0;
  let out = "";
  let ignoreCase = false;
  let dotAll = false;
  let multiLine = false;
  let ascii = false;
  const groupNames: string[] = [];
  let groupCount = 0;
  // Whether the last emitted item can take a quantifier (Python treats "{" after nothing as literal).
  let canQuantify = false;
  let depth = 0;

  // Global flags are only allowed at the very start since Python 3.11.
  while (pattern.startsWith("(?", i) && /^\(\?[aiLmsux]+\)/.test(pattern.slice(i))) {
    const end = pattern.indexOf(")", i);
    for (const f of pattern.slice(i + 2, end)) {
      if (f === "i") ignoreCase = true;
      else if (f === "s") dotAll = true;
      else if (f === "m") multiLine = true;
      else if (f === "a") ascii = true;
      else if (f === "u") {
        /* str patterns are Unicode already */
      } else throw new PythonRegexError(`unsupported inline flag "${f}"`);
    }
    i = end + 1;
  }
  const wordBody = ascii ? "a-zA-Z0-9_" : WORD_CLASS_BODY;
  const word = ascii ? "[a-zA-Z0-9_]" : WORD;
  const boundary = ascii ? "\\b" : BOUNDARY;
  const nonBoundary = ascii ? "\\B" : NON_BOUNDARY;
  const digit = ascii ? "[0-9]" : "\\p{Nd}";
  const space = ascii ? "[ \\t\\n\\r\\f\\v]" : `[${SPACE_CLASS_BODY}]`;
  const spaceBody = ascii ? " \\t\\n\\r\\f\\v" : SPACE_CLASS_BODY;

  const fail = (msg: string): never => {
    throw new PythonRegexError(`${msg} at position ${i}`);
  };

  /** Escape outside a class; returns the JS text and whether it is quantifiable. */
  const escapeOutside = (): [string, boolean] => {
    const c = pattern[i + 1];
    if (c === undefined) return fail("bad escape (end of pattern)");
    i += 2;
    switch (c) {
      case "d":
        return [digit, true];
      case "D":
        return [ascii ? "[^0-9]" : "\\P{Nd}", true];
      case "w":
        return [word, true];
      case "W":
        return [`[^${wordBody}]`, true];
      case "s":
        return [space, true];
      case "S":
        return [`[^${spaceBody}]`, true];
      case "b":
        return [boundary, false];
      case "B":
        return [nonBoundary, false];
      case "A":
        return ["^", false];
      case "Z":
        return ["$", false];
      default:
        return [escapeCommon(c, false), true];
    }
  };

  /** Escapes valid both inside and outside classes (i already points after the escape letter). */
  const escapeCommon = (c: string, inClass: boolean): string => {
    switch (c) {
      case "n":
        return "\\n";
      case "t":
        return "\\t";
      case "r":
        return "\\r";
      case "f":
        return "\\f";
      case "v":
        return "\\v";
      case "a":
        return "\\x07";
      case "x": {
        const m = /^[0-9a-fA-F]{2}/.exec(pattern.slice(i));
        if (!m) return fail("incomplete escape \\x");
        i += 2;
        return hex(Number.parseInt(m[0], 16));
      }
      case "u": {
        const m = /^[0-9a-fA-F]{4}/.exec(pattern.slice(i));
        if (!m) return fail("incomplete escape \\u");
        i += 4;
        return hex(Number.parseInt(m[0], 16));
      }
      case "U": {
        const m = /^[0-9a-fA-F]{8}/.exec(pattern.slice(i));
        if (!m) return fail("incomplete escape \\U");
        i += 8;
        return hex(Number.parseInt(m[0], 16));
      }
      case "0": {
        const m = /^[0-7]{0,2}/.exec(pattern.slice(i));
        i += m![0].length;
        return hex(Number.parseInt(`0${m![0]}`, 8));
      }
      default:
        if (/[1-9]/.test(c)) {
          if (inClass) return fail("bad escape (backreference in class)");
          let num = c;
          if (/[0-9]/.test(pattern[i] ?? "")) {
            num += pattern[i];
            i += 1;
          }
          if (Number(num) > groupCount) return fail(`invalid group reference ${num}`);
          return `(?:\\${num})`;
        }
        if (/[A-Za-z]/.test(c)) return fail(`bad escape \\${c}`);
        return escapeLiteral(c, inClass);
    }
  };

  const parseClass = (): string => {
    // i points at "["
    i += 1;
    let negate = false;
    if (pattern[i] === "^") {
      negate = true;
      i += 1;
    }
    let body = "";
    let first = true;
    let negatedShorthand: string | null = null;
    let items = 0;
    for (;;) {
      const c = pattern[i];
      if (c === undefined) return fail("unterminated character set");
      if (c === "]" && !first) {
        i += 1;
        break;
      }
      first = false;
      items += 1;
      if (c === "\\") {
        const e = pattern[i + 1];
        if (e === undefined) return fail("bad escape (end of pattern)");
        i += 2;
        if (e === "d") body += ascii ? "0-9" : "\\p{Nd}";
        else if (e === "w") body += wordBody;
        else if (e === "s") body += spaceBody;
        else if (e === "D" || e === "W" || e === "S") negatedShorthand = e;
        else if (e === "b") body += "\\x08";
        else body += escapeCommon(e, true);
      } else if (c === "[" || c === "]" || c === "{" || c === "}" || c === "/" || c === "|") {
        body += `\\${c}`;
        i += 1;
      } else if (c === "-") {
        // A "-" at the edges is literal in Python; JS u-mode accepts "\-" anywhere.
        const atEdge = body === "" || pattern[i + 1] === "]";
        body += atEdge ? "\\-" : "-";
        i += 1;
      } else {
        body += c;
        i += 1;
      }
    }
    if (negatedShorthand !== null) {
      if (items !== 1) return fail("unsupported negated shorthand inside a character set");
      const inner =
        negatedShorthand === "D"
          ? ascii
            ? "0-9"
            : "\\p{Nd}"
          : negatedShorthand === "W"
            ? wordBody
            : spaceBody;
      return negate ? `[${inner}]` : `[^${inner}]`;
    }
    // Python's ignore-case also equates "İ" (lowercase "i") and "ı" (sre's i/ı equivalence) with
    // i/I; JS case folding does not, so add them wherever i or I is in the set.
    if (ignoreCase && !ascii) {
      const set = new RegExp(`[${body}]`, "u");
      if (set.test("i") || set.test("I")) body += "\\u0130\\u0131";
    }
    return `[${negate ? "^" : ""}${body}]`;
  };

  while (i < pattern.length) {
    const c = pattern[i]!;
    switch (c) {
      case "\\": {
        const [txt, q] = escapeOutside();
        out += txt;
        canQuantify = q;
        break;
      }
      case "[":
        out += parseClass();
        canQuantify = true;
        break;
      case "(": {
        if (pattern[i + 1] !== "?") {
          groupCount += 1;
          depth += 1;
          out += "(";
          i += 1;
          canQuantify = false;
          break;
        }
        const rest = pattern.slice(i);
        const named = /^\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
        const backref = named ? null : /^\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(rest);
        const plain = named || backref ? null : /^\(\?(?::|=|!|<=|<!)/.exec(rest);
        if (named) {
          const name = named[1]!;
          if (groupNames.includes(name)) return fail(`redefinition of group name "${name}"`);
          groupNames.push(name);
          groupCount += 1;
          depth += 1;
          out += `(?<${name}>`;
          i += named[0].length;
        } else if (backref) {
          if (!groupNames.includes(backref[1]!)) return fail(`unknown group name "${backref[1]}"`);
          out += `(?:\\k<${backref[1]}>)`;
          i += backref[0].length;
          canQuantify = true;
          break;
        } else if (plain) {
          depth += 1;
          out += plain[0];
          i += plain[0].length;
        } else if (rest.startsWith("(?#")) {
          const end = pattern.indexOf(")", i);
          if (end < 0) return fail("missing ), unterminated comment");
          i = end + 1;
          break;
        } else if (/^\(\?[aiLmsux-]/.test(rest)) {
          return fail("global flags not at the start of the expression or scoped flags (unsupported)");
        } else if (rest.startsWith("(?(")) {
          return fail("conditional groups are not supported in date patterns");
        } else if (rest.startsWith("(?>")) {
          return fail("atomic groups are not supported in date patterns");
        } else {
          return fail("unknown extension");
        }
        canQuantify = false;
        break;
      }
      case ")":
        if (depth === 0) return fail("unbalanced parenthesis");
        depth -= 1;
        out += ")";
        i += 1;
        canQuantify = true;
        break;
      case ".":
        out += dotAll ? "[\\s\\S]" : "[^\\n]";
        i += 1;
        canQuantify = true;
        break;
      case "^":
        out += multiLine ? "(?:^|(?<=\\n))" : "^";
        i += 1;
        canQuantify = false;
        break;
      case "$":
        out += multiLine ? "(?=\\n|$)" : "(?=\\n?$)";
        i += 1;
        canQuantify = false;
        break;
      case "*":
      case "+":
      case "?": {
        if (!canQuantify) return fail("nothing to repeat");
        out += c;
        i += 1;
        if (pattern[i] === "?") {
          out += "?";
          i += 1;
        } else if (pattern[i] === "+") return fail("possessive quantifiers are not supported");
        canQuantify = false;
        break;
      }
      case "{": {
        const m = /^\{(\d*)(?:(,)(\d*))?\}/.exec(pattern.slice(i));
        if (m && (m[1] !== "" || m[2] !== undefined)) {
          if (!canQuantify) return fail("nothing to repeat");
          const min = m[1] === "" ? "0" : m[1]!;
          const max = m[2] === undefined ? "" : `,${m[3] ?? ""}`;
          if (m[3] && Number(m[3]) < Number(min)) return fail("min repeat greater than max repeat");
          out += `{${min}${max}}`;
          i += m[0].length;
          if (pattern[i] === "?") {
            out += "?";
            i += 1;
          } else if (pattern[i] === "+") return fail("possessive quantifiers are not supported");
          canQuantify = false;
        } else {
          out += "\\{";
          i += 1;
          canQuantify = true;
        }
        break;
      }
      case "|":
        out += "|";
        i += 1;
        canQuantify = false;
        break;
      default: {
        const cp = pattern.codePointAt(i)!;
        const ch = String.fromCodePoint(cp);
        out += ignoreCase && !ascii && (ch === "i" || ch === "I") ? "[iI\\u0130\\u0131]" : escapeLiteral(ch);
        i += ch.length;
        canQuantify = true;
      }
    }
  }
  if (depth !== 0) fail("missing ), unterminated subpattern");
  const flags = `u${ignoreCase ? "i" : ""}`;
  try {
    new RegExp(out, flags);
  } catch (e) {
    throw new PythonRegexError(`cannot compile: ${(e as Error).message}`);
  }
  return { source: out, flags, groupNames, groupCount };
}
