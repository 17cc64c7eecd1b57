/**
 * The parsed form of a Python `re` pattern. Every node carries the flags that were in effect where
 * it was written (Python resolves `(?i:…)`/`(?-i:…)` scopes at compile time, per node), so later
 * passes never need to track flag scopes again.
 */

/** `\d \D \w \W \s \S` — Unicode-aware in Python `str` patterns unless the ASCII flag is set. */
export type CategoryName = "digit" | "notDigit" | "word" | "notWord" | "space" | "notSpace";

export type ClassItem =
  | { readonly kind: "range"; readonly lo: number; readonly hi: number }
  | { readonly kind: "category"; readonly category: CategoryName; readonly ascii: boolean };

export type AnchorName =
  /** `^` without MULTILINE, `\A` */
  | "start"
  /** `^` with MULTILINE */
  | "lineStart"
  /** `$` without MULTILINE: at the end or before a final "\n" */
  | "end"
  /** `$` with MULTILINE */
  | "lineEnd"
  /** `\Z` */
  | "textEnd"
  | "wordBoundary"
  | "notWordBoundary";

export type RepeatMode = "greedy" | "lazy" | "possessive";

export type RegexNode =
  | { readonly kind: "empty" }
  /** Never matches; produced by translation (a backreference to a group known not to have matched). */
  | { readonly kind: "fail" }
  | { readonly kind: "literal"; readonly cp: number; readonly ignoreCase: boolean; readonly ascii: boolean }
  | { readonly kind: "any"; readonly dotAll: boolean }
  | {
      readonly kind: "class";
      readonly negated: boolean;
      readonly items: readonly ClassItem[];
      readonly ignoreCase: boolean;
      readonly ascii: boolean;
    }
  | { readonly kind: "anchor"; readonly anchor: AnchorName; readonly ascii: boolean }
  | {
      readonly kind: "group";
      readonly index: number;
      readonly name: string | undefined;
      readonly body: RegexNode;
    }
  | { readonly kind: "look"; readonly behind: boolean; readonly negated: boolean; readonly body: RegexNode }
  | { readonly kind: "atomic"; readonly body: RegexNode }
  | {
      readonly kind: "backref";
      readonly index: number;
      readonly ignoreCase: boolean;
      /** 0-based code-point offset in the pattern, for error reports */
      readonly pos: number;
    }
  | {
      readonly kind: "conditional";
      readonly index: number;
      readonly yes: RegexNode;
      readonly no: RegexNode;
      /** 0-based code-point offset of the `(?(` in the pattern, for error reports */
      readonly pos: number;
    }
  | {
      readonly kind: "repeat";
      readonly min: number;
      /** `Infinity` for an open upper bound */
      readonly max: number;
      readonly mode: RepeatMode;
      readonly body: RegexNode;
    }
  | { readonly kind: "sequence"; readonly items: readonly RegexNode[] }
  | { readonly kind: "alternation"; readonly branches: readonly RegexNode[] };

export interface ParsedRegex {
  readonly root: RegexNode;
  /** Number of capturing groups (Python `pattern.groups`). */
  readonly groupCount: number;
  /** Python group name → group number. */
  readonly groupIndex: ReadonlyMap<string, number>;
}
