import { UnsupportedRegexError } from "./python-regex-parser.js";
import type { RegexNode } from "./regex-ast.js";

/**
 * Removes conditional groups `(?(g)yes|no)` (which JavaScript lacks) and backreferences to groups
 * that may not have participated (JavaScript matches those as empty, Python fails) by
 * *continuation expansion*: a decision that sets a referenced group is distributed over the rest
 * of the pattern, `(A|B)T` → `(?:AT|BT)` and `(X)?T` → `(?:XT|T)` (`??` swaps the order), so in
 * every branch the group's participation is known statically and each conditional becomes its
 * `yes` or its `no` part. Branch order and each branch's own backtracking order are unchanged,
 * which is what keeps Python's leftmost/first-alternative choice.
 *
 * A capturing group whose body contains such a decision is passed through as `open`/`close`
 * markers; `balanceMarkers` then pushes the group's opening part into every branch, giving each
 * branch its own copy of the group (the emitter names the copies `name`, `name__2`, …).
 */

export type Participation = "set" | "unset" | "unknown";
type Env = ReadonlyMap<number, Participation>;

export type ExpandedNode =
  | RegexNode
  | { readonly kind: "open"; readonly index: number; readonly name: string | undefined }
  | { readonly kind: "close"; readonly index: number };

interface Continuation {
  /** Groups that a conditional or backreference in the continuation looks at. */
  readonly refs: ReadonlySet<number>;
  run(env: Env): ExpandedNode[];
}

const EMPTY_SET: ReadonlySet<number> = new Set();
const END: Continuation = { refs: EMPTY_SET, run: () => [] };

/** Upper bound on emitted nodes, so a pattern with many nested conditionals cannot explode. */
const MAX_EXPANDED_NODES = 200_000;

export function expandConditionals(root: RegexNode): RegexNode {
  const expander = new Expander();
  if (expander.refsOf(root).size === 0) return root;
  const expanded = expander.expand(root, new Map(), END);
  return toNode(balanceMarkers(expanded));
}

function union(a: ReadonlySet<number>, b: ReadonlySet<number>): ReadonlySet<number> {
  if (a.size === 0) return b;
  if (b.size === 0) return a;
  return new Set([...a, ...b]);
}

function intersects(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  for (const x of a) if (b.has(x)) return true;
  return false;
}

function withState(env: Env, index: number, state: Participation): Env {
  if (env.get(index) === state) return env;
  const next = new Map(env);
  next.set(index, state);
  return next;
}

function stateOf(env: Env, index: number): Participation {
  return env.get(index) ?? "unset";
}

class Expander {
  private readonly captureMemo = new WeakMap<RegexNode, ReadonlySet<number>>();
  private readonly refsMemo = new WeakMap<RegexNode, ReadonlySet<number>>();
  private emitted = 0;

  /** Group numbers captured anywhere inside `node`. */
  capturesOf(node: RegexNode): ReadonlySet<number> {
    const cached = this.captureMemo.get(node);
    if (cached) return cached;
    let result: ReadonlySet<number> = EMPTY_SET;
    for (const child of children(node)) result = union(result, this.capturesOf(child));
    if (node.kind === "group") result = union(result, new Set([node.index]));
    this.captureMemo.set(node, result);
    return result;
  }

  /** Group numbers that conditionals or backreferences inside `node` look at. */
  refsOf(node: RegexNode): ReadonlySet<number> {
    const cached = this.refsMemo.get(node);
    if (cached) return cached;
    let result: ReadonlySet<number> = EMPTY_SET;
    for (const child of children(node)) result = union(result, this.refsOf(child));
    if (node.kind === "conditional" || node.kind === "backref") result = union(result, new Set([node.index]));
    this.refsMemo.set(node, result);
    return result;
  }

  private count(n: number): void {
    this.emitted += n;
    if (this.emitted > MAX_EXPANDED_NODES) {
      throw new UnsupportedRegexError(
        "pattern grows too large when its conditional groups are expanded for JavaScript",
        0,
      );
    }
  }

  /** Participation of every group after `node` matched, when nothing is distributed. */
  effect(node: RegexNode, env: Env): Env {
    switch (node.kind) {
      case "group":
        return withState(this.effect(node.body, env), node.index, "set");
      case "atomic":
        return this.effect(node.body, env);
      case "look":
        // Python keeps captures of a successful positive lookaround; a negative one has none.
        return node.negated ? env : this.effect(node.body, env);
      case "sequence":
        return node.items.reduce((e, item) => this.effect(item, e), env);
      case "alternation":
        return this.merge(
          node.branches.map((b) => this.effect(b, env)),
          this.capturesOf(node),
          env,
        );
      case "conditional": {
        const s = stateOf(env, node.index);
        if (s === "set") return this.effect(node.yes, env);
        if (s === "unset") return this.effect(node.no, env);
        return this.merge(
          [this.effect(node.yes, env), this.effect(node.no, env)],
          this.capturesOf(node),
          env,
        );
      }
      case "repeat": {
        const captured = this.capturesOf(node.body);
        if (captured.size === 0) return env;
        const inside = node.max > 1 ? this.markUnknown(env, captured) : env;
        const once = this.effect(node.body, inside);
        if (node.min >= 1) return once;
        return this.merge([once, env], captured, env);
      }
      default:
        return env;
    }
  }

  private markUnknown(env: Env, groups: ReadonlySet<number>): Env {
    const next = new Map(env);
    for (const g of groups) next.set(g, "unknown");
    return next;
  }

  private merge(envs: readonly Env[], groups: ReadonlySet<number>, base: Env): Env {
    const next = new Map(base);
    for (const g of groups) {
      const states = new Set(envs.map((e) => stateOf(e, g)));
      next.set(g, states.size === 1 ? [...states][0]! : "unknown");
    }
    return next;
  }

  /** The sequence matching `node` followed by the continuation `k`. */
  expand(node: RegexNode, env: Env, k: Continuation): ExpandedNode[] {
    this.count(1);
    switch (node.kind) {
      case "empty":
        return k.run(env);
      case "literal":
      case "any":
      case "class":
      case "anchor":
      case "fail":
        return [node, ...k.run(env)];
      case "backref": {
        const s = stateOf(env, node.index);
        // Python: a reference to a group that did not participate fails (JS would match "").
        // The continuation stays so that group markers stay balanced; it is unreachable anyway.
        if (s === "unset") return [{ kind: "fail" }, ...k.run(env)];
        if (s === "unknown") {
          throw new UnsupportedRegexError(
            `backreference to group ${node.index} cannot be translated: whether that group matched is decided inside a repetition or lookaround`,
            node.pos,
          );
        }
        return [node, ...k.run(env)];
      }
      case "conditional": {
        const s = stateOf(env, node.index);
        if (s === "set") return this.expand(node.yes, env, k);
        if (s === "unset") return this.expand(node.no, env, k);
        throw new UnsupportedRegexError(
          `conditional on group ${node.index} cannot be translated: whether that group matched is decided inside a repetition or lookaround`,
          node.pos,
        );
      }
      case "sequence":
        return this.expandSequence(node.items, 0, env, k);
      case "group": {
        if (intersects(this.capturesOf(node.body), k.refs)) {
          const close: Continuation = {
            refs: k.refs,
            run: (e) => [{ kind: "close", index: node.index }, ...k.run(withState(e, node.index, "set"))],
          };
          return [
            { kind: "open", index: node.index, name: node.name },
            ...this.expand(node.body, env, close),
          ];
        }
        const body = toNode(balanceMarkers(this.expand(node.body, env, END)));
        return [{ ...node, body }, ...k.run(this.effect(node, env))];
      }
      case "alternation": {
        if (intersects(this.capturesOf(node), k.refs)) {
          return [
            { kind: "alternation", branches: node.branches.map((b) => toNode(this.expand(b, env, k))) },
          ];
        }
        const branches = node.branches.map((b) => toNode(balanceMarkers(this.expand(b, env, END))));
        return [{ kind: "alternation", branches }, ...k.run(this.effect(node, env))];
      }
      case "repeat":
        return this.expandRepeat(node, env, k);
      case "look":
      case "atomic": {
        const body = toNode(balanceMarkers(this.expand(node.body, env, END)));
        return [{ ...node, body }, ...k.run(this.effect(node, env))];
      }
    }
  }

  private expandSequence(items: readonly RegexNode[], i: number, env: Env, k: Continuation): ExpandedNode[] {
    const item = items[i];
    if (item === undefined) return k.run(env);
    let refs = k.refs;
    for (let j = i + 1; j < items.length; j++) refs = union(refs, this.refsOf(items[j]!));
    return this.expand(item, env, { refs, run: (e) => this.expandSequence(items, i + 1, e, k) });
  }

  private expandRepeat(
    node: Extract<RegexNode, { kind: "repeat" }>,
    env: Env,
    k: Continuation,
  ): ExpandedNode[] {
    if (node.min === 1 && node.max === 1) return this.expand(node.body, env, k);
    const captured = this.capturesOf(node.body);
    const needed = intersects(captured, k.refs);
    if (needed && node.min === 0 && node.mode !== "possessive") {
      const skip = (): ExpandedNode[] => k.run(env);
      if (node.max === 1) {
        // (X)?T ≡ (?:XT|T); (X)??T ≡ (?:T|XT)
        const take = toNode(this.expand(node.body, env, k));
        const rest = toNode(skip());
        return [{ kind: "alternation", branches: node.mode === "lazy" ? [rest, take] : [take, rest] }];
      }
      // X{0,n}T ≡ (?:X{1,n}T|T) — exact when every iteration sets the referenced groups.
      const onceEnv = this.effect(node.body, this.markUnknown(env, captured));
      const referenced = [...captured].filter((g) => k.refs.has(g));
      if (referenced.every((g) => stateOf(onceEnv, g) === "set")) {
        const oneOrMore: RegexNode = { ...node, min: 1 };
        const take = toNode(this.expand(oneOrMore, env, k));
        const rest = toNode(skip());
        return [{ kind: "alternation", branches: node.mode === "lazy" ? [rest, take] : [take, rest] }];
      }
    }
    const inside = node.max > 1 ? this.markUnknown(env, captured) : env;
    const body = toNode(balanceMarkers(this.expand(node.body, inside, END)));
    return [{ ...node, body }, ...k.run(this.effect(node, env))];
  }
}

function children(node: RegexNode): readonly RegexNode[] {
  switch (node.kind) {
    case "group":
    case "look":
    case "atomic":
    case "repeat":
      return [node.body];
    case "conditional":
      return [node.yes, node.no];
    case "sequence":
      return node.items;
    case "alternation":
      return node.branches;
    default:
      return [];
  }
}

function asItems(node: ExpandedNode): readonly ExpandedNode[] {
  if (node.kind === "sequence") return node.items;
  if (node.kind === "empty") return [];
  return [node];
}

/** Packs a marker-free list back into one node. Markers must already be balanced away. */
function toNode(items: readonly ExpandedNode[]): RegexNode {
  const flat: ExpandedNode[] = [];
  for (const item of items) flat.push(...asItems(item));
  if (flat.length === 0) return { kind: "empty" };
  if (flat.length === 1) return flat[0] as RegexNode;
  return { kind: "sequence", items: flat as RegexNode[] };
}

/**
 * Turns `open(g) … close(g)` markers into group nodes. When the `close` sits inside the branches
 * of the final alternation (the continuation was distributed there), the part from `open(g)` on is
 * moved into every branch, which duplicates the group once per branch.
 */
export function balanceMarkers(items: readonly ExpandedNode[]): ExpandedNode[] {
  const out: ExpandedNode[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (item.kind === "open") {
      const j = findClose(items, i);
      if (j >= 0) {
        const body = toNode(balanceMarkers(items.slice(i + 1, j)));
        out.push({ kind: "group", index: item.index, name: item.name, body });
        i = j;
        continue;
      }
      const last = items[items.length - 1]!;
      if (last.kind !== "alternation") throw new Error("internal error: unbalanced group markers");
      const prefix = items.slice(i, items.length - 1);
      out.push({
        kind: "alternation",
        branches: last.branches.map((b) => toNode(balanceMarkers([...prefix, ...asItems(b)]))),
      });
      return out;
    }
    if (item.kind === "close") throw new Error("internal error: unbalanced group markers");
    if (item.kind === "alternation") {
      out.push({
        kind: "alternation",
        branches: item.branches.map((b) => toNode(balanceMarkers(asItems(b)))),
      });
    } else if (item.kind === "sequence") {
      out.push(...balanceMarkers(item.items));
    } else {
      out.push(item);
    }
  }
  return out;
}

function findClose(items: readonly ExpandedNode[], openAt: number): number {
  let depth = 0;
  for (let j = openAt + 1; j < items.length; j++) {
    const item = items[j]!;
    if (item.kind === "open") depth++;
    else if (item.kind === "close") {
      if (depth === 0) return j;
      depth--;
    }
  }
  return -1;
}
