import { nodeWidth } from "./python-regex-parser.js";
import type { RegexNode } from "./regex-ast.js";

/**
 * Python keeps a group's value from an earlier iteration of a repetition when a later iteration
 * skips the group; JS clears the captures inside a quantified atom at every iteration. fail2ban's
 * courier-auth relies on it: `LOGIN FAILED, (?:(?!ip=)(?:user=(?P<user>[^,]*)|\w+=[^,]*), )*ip=…`
 * on `LOGIN FAILED, user=bob, method=PLAIN, ip=[…]` gives user "bob" in Python.
 *
 * Such a repetition is unrolled into nested optional copies, `X{0,3}` → `(?:X(?:X(?:X)?)?)?`
 * (lazy: `??`), which is exactly the recursive definition of a greedy/lazy repetition, but each
 * iteration now has its own copy of the group and nothing is cleared; the Python value is the
 * last copy that participated. Up to UNROLL_LIMIT iterations beyond the minimum are unrolled; an
 * open-ended rest stays a quantifier, so only a match needing more iterations than that can still
 * differ (docs/regex-dialect.md).
 *
 * Optional iterations are unrolled only for bodies that cannot match empty: Python stops
 * repeating after an empty iteration, which nested optionals would not reproduce.
 */
export const UNROLL_LIMIT = 16;

export function unrollRetainingRepetitions(root: RegexNode): RegexNode {
  const referenced = new Set<number>();
  collectReferences(root, referenced);
  return rewrite(root, referenced);
}

/**
 * Groups read by a backreference or conditional. Unrolling those would make continuation
 * expansion track which copy was set last, one branch per path — exponential; such patterns are
 * left alone and then reported as unsupported if the reference cannot be resolved.
 */
function collectReferences(node: RegexNode, out: Set<number>): void {
  if (node.kind === "backref" || node.kind === "conditional") out.add(node.index);
  switch (node.kind) {
    case "group":
    case "look":
    case "atomic":
    case "repeat":
      collectReferences(node.body, out);
      break;
    case "conditional":
      collectReferences(node.yes, out);
      collectReferences(node.no, out);
      break;
    case "sequence":
      for (const i of node.items) collectReferences(i, out);
      break;
    case "alternation":
      for (const b of node.branches) collectReferences(b, out);
      break;
    default:
      break;
  }
}

function rewrite(node: RegexNode, referenced: ReadonlySet<number>): RegexNode {
  const again = (n: RegexNode): RegexNode => rewrite(n, referenced);
  switch (node.kind) {
    case "group":
    case "look":
    case "atomic": {
      const body = again(node.body);
      return body === node.body ? node : { ...node, body };
    }
    case "conditional": {
      const yes = again(node.yes);
      const no = again(node.no);
      return yes === node.yes && no === node.no ? node : { ...node, yes, no };
    }
    case "sequence": {
      const items = node.items.map(again);
      return items.every((x, i) => x === node.items[i]) ? node : { kind: "sequence", items };
    }
    case "alternation": {
      const branches = node.branches.map(again);
      return branches.every((x, i) => x === node.branches[i]) ? node : { kind: "alternation", branches };
    }
    case "repeat": {
      const body = again(node.body);
      const repeat = body === node.body ? node : { ...node, body };
      if (repeat.max <= 1 || repeat.mode === "possessive") return repeat;
      if (!retainsAcrossIterations(body)) return repeat;
      // Mandatory iterations are exact as plain copies even when they can match empty, and
      // add no branches for continuation expansion to multiply.
      const optionalToo = nodeWidth(body, [])[0] > 0 && !capturesIn(body).some((g) => referenced.has(g));
      if (!optionalToo && repeat.min === 0) return repeat;
      return unroll(repeat.min, repeat.max, repeat.mode === "lazy", body, optionalToo);
    }
    default:
      return node;
  }
}

function unroll(min: number, max: number, lazy: boolean, body: RegexNode, optionalToo: boolean): RegexNode {
  const items: RegexNode[] = [];
  const mandatory = Math.min(min, UNROLL_LIMIT);
  if (min > mandatory)
    items.push({ kind: "repeat", min: min - mandatory, max: min - mandatory, mode: "greedy", body });
  for (let i = 0; i < mandatory; i++) items.push(body);
  const optional = max - min;
  const unrolled = optionalToo ? Math.min(optional, UNROLL_LIMIT) : 0;
  // Innermost first: what is left beyond the unrolled levels stays a quantifier.
  let inner: RegexNode | undefined =
    optional > unrolled
      ? { kind: "repeat", min: 0, max: optional - unrolled, mode: lazy ? "lazy" : "greedy", body }
      : undefined;
  for (let i = 0; i < unrolled; i++) {
    const level: RegexNode = inner === undefined ? body : { kind: "sequence", items: [body, inner] };
    inner = { kind: "repeat", min: 0, max: 1, mode: lazy ? "lazy" : "greedy", body: level };
  }
  if (inner !== undefined) items.push(inner);
  return items.length === 1 ? items[0]! : { kind: "sequence", items };
}

/** True when some capture inside `body` can be skipped by one iteration (so Python retains it). */
function retainsAcrossIterations(body: RegexNode): boolean {
  return capturesIn(body).some((g) => !alwaysSets(body, g));
}

function capturesIn(node: RegexNode, out: number[] = []): number[] {
  switch (node.kind) {
    case "group":
      out.push(node.index);
      capturesIn(node.body, out);
      break;
    case "look":
    case "atomic":
    case "repeat":
      capturesIn(node.body, out);
      break;
    case "conditional":
      capturesIn(node.yes, out);
      capturesIn(node.no, out);
      break;
    case "sequence":
      for (const i of node.items) capturesIn(i, out);
      break;
    case "alternation":
      for (const b of node.branches) capturesIn(b, out);
      break;
    default:
      break;
  }
  return out;
}

/** Whether every successful match of `node` sets group `g` (conservative: false when unsure). */
function alwaysSets(node: RegexNode, g: number): boolean {
  switch (node.kind) {
    case "group":
      return node.index === g || alwaysSets(node.body, g);
    case "atomic":
      return alwaysSets(node.body, g);
    case "look":
      return !node.negated && alwaysSets(node.body, g);
    case "repeat":
      return node.min >= 1 && alwaysSets(node.body, g);
    case "sequence":
      return node.items.some((i) => alwaysSets(i, g));
    case "alternation":
      return node.branches.every((b) => alwaysSets(b, g));
    case "conditional":
      return alwaysSets(node.yes, g) && alwaysSets(node.no, g);
    default:
      return false;
  }
}
