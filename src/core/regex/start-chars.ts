import { emitJsRegex } from "./js-regex-emitter.js";
import type { RegexNode } from "./regex-ast.js";

/**
 * Which ASCII characters can open a match of a pattern anchored at the start of the text
 * (`^` without MULTILINE, `\A`): `table[c] === 1` when a match may begin with code unit `c`.
 * Undefined when the pattern is not anchored that way, or may match the empty string there —
 * then no character rules it out.
 *
 * It lets a filter skip most of its failregexes per line without running them: fail2ban's
 * sshd filter has 22, almost all anchored on a distinct literal word, and a line is matched
 * by at most one. The answer is conservative: lookarounds and other anchors are treated as
 * transparent, backreferences and conditionals as "anything", so a regex is only skipped when
 * it provably cannot match. Non-ASCII first characters are never ruled out.
 */
export function anchoredStartChars(root: RegexNode): Uint8Array | undefined {
  const branches = anchoredBranches(root);
  if (branches === undefined) return undefined;
  const table = new Uint8Array(128);
  for (const rest of branches) {
    const first = firstChars(rest);
    if (first.nullable) return undefined;
    for (let c = 0; c < 128; c++) table[c] = (table[c] ?? 0) | (first.table[c] ?? 0);
  }
  return table;
}

/** What follows the start anchor on every path, or undefined when some path is not anchored. */
function anchoredBranches(node: RegexNode): RegexNode[] | undefined {
  switch (node.kind) {
    case "alternation": {
      const out: RegexNode[] = [];
      for (const branch of node.branches) {
        const rest = anchoredBranches(branch);
        if (rest === undefined) return undefined;
        out.push(...rest);
      }
      return out;
    }
    case "sequence": {
      const [head, ...tail] = node.items;
      if (head === undefined) return undefined;
      if (head.kind === "anchor" && head.anchor === "start") return [{ kind: "sequence", items: tail }];
      const inner = anchoredBranches(head);
      if (inner === undefined) return undefined;
      return inner.map((rest) => ({ kind: "sequence", items: [rest, ...tail] }));
    }
    case "group":
      return anchoredBranches(node.body);
    case "anchor":
      return node.anchor === "start" ? [{ kind: "empty" }] : undefined;
    default:
      return undefined;
  }
}

interface First {
  readonly table: Uint8Array;
  readonly nullable: boolean;
}

const ALL: Uint8Array = (() => {
  const t = new Uint8Array(128);
  t.fill(1);
  return t;
})();

function union(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(128);
  for (let c = 0; c < 128; c++) out[c] = (a[c] ?? 0) | (b[c] ?? 0);
  return out;
}

function firstChars(node: RegexNode): First {
  switch (node.kind) {
    case "empty":
    case "anchor":
    case "look":
      return { table: new Uint8Array(128), nullable: true };
    case "fail":
      return { table: new Uint8Array(128), nullable: false };
    case "literal":
    case "any":
    case "class":
      return { table: atomTable(node), nullable: false };
    case "group":
    case "atomic":
      return firstChars(node.body);
    case "repeat": {
      const body = firstChars(node.body);
      return { table: body.table, nullable: body.nullable || node.min === 0 };
    }
    case "sequence": {
      let table: Uint8Array = new Uint8Array(128);
      for (const item of node.items) {
        const first = firstChars(item);
        table = union(table, first.table);
        if (!first.nullable) return { table, nullable: false };
      }
      return { table, nullable: true };
    }
    case "alternation": {
      let table: Uint8Array = new Uint8Array(128);
      let nullable = false;
      for (const branch of node.branches) {
        const first = firstChars(branch);
        table = union(table, first.table);
        nullable ||= first.nullable;
      }
      return { table, nullable };
    }
    case "backref":
    case "conditional":
      return { table: ALL, nullable: true };
  }
}

/** Tests every ASCII character against the atom as the translator writes it (same flags, same folding). */
function atomTable(atom: RegexNode): Uint8Array {
  const emitted = emitJsRegex(atom, 0, new Map());
  const regex = new RegExp(`^(?:${emitted.source})`, emitted.flags);
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) table[c] = regex.test(String.fromCharCode(c)) ? 1 : 0;
  return table;
}

/**
 * The ASCII text every match of a pattern anchored at the start of the text (`^` without
 * MULTILINE, `\A`) begins with, on every path: "" when there is none or the pattern is not
 * anchored that way. The native scanner skips a failregex whose head the line does not start with
 * (one memcmp instead of a PCRE2 call, which costs some 250 instructions plus about 28 per capture
 * group even when it fails at once): fail2ban's sshd `Failed publickey for invalid user …` on every
 * `Failed password …` line, for instance.
 *
 * Only literal characters count, through groups and sequences (of an alternation, the start all
 * its alternatives share, and nothing after it): a literal is exactly its own byte
 * when it is ASCII and either case-sensitive or not a letter (under IGNORECASE a letter also
 * matches its other case and, in Unicode, K, S and others match non-ASCII characters). Anything
 * else ends the head.
 */
export function anchoredLiteralHead(root: RegexNode): string {
  const branches = anchoredBranches(root);
  if (branches === undefined || branches.length === 0) return "";
  let common: string | undefined;
  for (const rest of branches) {
    const out: number[] = [];
    literalPrefix(rest, out);
    const text = String.fromCharCode(...out);
    if (common === undefined) common = text;
    else {
      let k = 0;
      while (k < common.length && k < text.length && common[k] === text[k]) k++;
      common = common.slice(0, k);
    }
    if (common === "") return "";
  }
  return common ?? "";
}

/** Appends the literal characters `node` starts with; true when all of `node` was such. */
function literalPrefix(node: RegexNode, out: number[]): boolean {
  switch (node.kind) {
    case "empty":
      return true;
    case "literal": {
      const letter = (node.cp >= 65 && node.cp <= 90) || (node.cp >= 97 && node.cp <= 122);
      if (node.cp >= 128 || (node.ignoreCase && letter)) return false;
      out.push(node.cp);
      return true;
    }
    case "group":
      return literalPrefix(node.body, out);
    case "sequence":
      for (const item of node.items) if (!literalPrefix(item, out)) return false;
      return true;
    case "alternation": {
      // The start all alternatives share; what follows the alternation is not looked at.
      let common: number[] | undefined;
      for (const branch of node.branches) {
        const mine: number[] = [];
        literalPrefix(branch, mine);
        if (common === undefined) common = mine;
        else {
          let k = 0;
          while (k < common.length && k < mine.length && common[k] === mine[k]) k++;
          common = common.slice(0, k);
        }
      }
      out.push(...(common ?? []));
      return false;
    }
    default:
      return false;
  }
}
