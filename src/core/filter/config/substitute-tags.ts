import { concatTracked, sliceTracked, type TrackedText } from "./tracked-text.js";

// helpers.py MAX_TAG_REPLACE_COUNT and TAG_CRE
const MAX_TAG_REPLACE_COUNT = 25;
const TAG_RE = /<([^ <>]+)>/g;
// Not in fail2ban (which would run out of memory instead): a hostile filter doubling a value at
// every level could otherwise make 2^25 copies.
const MAX_VALUE_LENGTH = 1024 * 1024;

export interface TagProblem {
  readonly tag: string;
  readonly message: string;
  readonly origin: number;
  readonly code: string;
}

/**
 * A port of fail2ban's `substituteRecursiveTags` (helpers.py): replaces `<tag>` by the value of
 * option `tag` (or what `lookup` finds: `<__prefix_line>`, `<lt_file/__prefix_line>`,
 * `<known/x>`), repeating while values still contain tags; unknown tags (`<HOST>`) stay literal;
 * a tag referring to itself or replaced more than 25 times is an error. fail2ban stops at the
 * first error; here the faulty option is left unresolved and the others go on, so that every
 * problem is reported.
 */
export function substituteTags(
  input: ReadonlyMap<string, TrackedText | null>,
  ignore: ReadonlySet<string>,
  lookup: (tag: string) => TrackedText | undefined,
  problems: TagProblem[],
): Map<string, TrackedText | null> {
  const tags = new Map(input);
  const done = new Set<string>();
  const repCounts = new Map<string, Map<string, number>>();
  const search = (text: string, from: number) => {
    TAG_RE.lastIndex = from;
    return TAG_RE.exec(text);
  };
  for (;;) {
    let repFlag = false;
    for (const tag of [...tags.keys()]) {
      if (ignore.has(tag) || done.has(tag)) continue;
      const current = tags.get(tag);
      // Python turns None into the string "None": nothing to substitute.
      if (current === null || current === undefined) {
        done.add(tag);
        continue;
      }
      let value = current;
      let m = search(value.text, 0);
      const rplc = repCounts.get(tag) ?? new Map<string, number>();
      let failed = false;
      while (m) {
        const rtag = m[1]!;
        if (ignore.has(rtag)) {
          m = search(value.text, m.index + m[0].length);
          continue;
        }
        if (rtag === tag || (rplc.get(rtag) ?? 1) > MAX_TAG_REPLACE_COUNT) {
          problems.push({
            tag,
            code: "filter.recursive-tag",
            origin: value.origins[m.index] ?? -1,
            message:
              rtag === tag
                ? `Option "${tag}" refers to itself through "<${rtag}>"`
                : `Tag "<${rtag}>" in option "${tag}" is replaced more than ${MAX_TAG_REPLACE_COUNT} times (recursive tag definitions)`,
          });
          failed = true;
          break;
        }
        const repl = tags.get(rtag) ?? lookup(rtag);
        if (repl === undefined || repl === null) {
          m = search(value.text, m.index + m[0].length);
          continue;
        }
        const replaced = replaceAll(value, m[0], repl);
        if (replaced === undefined) {
          problems.push({
            tag,
            code: "filter.tag-too-large",
            origin: -1,
            message: `Option "${tag}" grows beyond ${MAX_VALUE_LENGTH} characters while tags are substituted`,
          });
          failed = true;
          break;
        }
        value = replaced;
        rplc.set(rtag, (rplc.get(rtag) ?? 0) + 1);
        m = search(value.text, m.index);
      }
      if (failed) {
        done.add(tag);
        continue;
      }
      if (value.text !== current.text) {
        if (search(value.text, 0)) {
          repCounts.set(tag, rplc);
          repFlag = true;
        }
        tags.set(tag, value);
      }
      if (!value.text.includes("<")) done.add(tag);
    }
    if (!repFlag) break;
  }
  return tags;
}

/**
 * Python `str.replace(needle, repl)`: every non-overlapping occurrence, left to right; undefined
 * when the result would exceed MAX_VALUE_LENGTH.
 */
function replaceAll(value: TrackedText, needle: string, repl: TrackedText): TrackedText | undefined {
  const at: number[] = [];
  for (let i = value.text.indexOf(needle); i >= 0; i = value.text.indexOf(needle, i + needle.length))
    at.push(i);
  // Checked before building, so that a doubling chain cannot exhaust memory first.
  if (value.text.length + at.length * (repl.text.length - needle.length) > MAX_VALUE_LENGTH) return undefined;
  const parts: TrackedText[] = [];
  let from = 0;
  for (const i of at) {
    parts.push(sliceTracked(value, from, i), repl);
    from = i + needle.length;
  }
  parts.push(sliceTracked(value, from));
  return concatTracked(parts);
}
