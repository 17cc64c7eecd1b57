import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toPcre2Pattern } from "./pcre2-pattern.js";

/** The rewritten pattern (asserting it is accepted). */
function pcre(source: string, flags = "u"): string {
  const r = toPcre2Pattern(source, flags);
  if (!r.ok) assert.fail(`${source} /${flags} refused: ${r.reason}`);
  return r.pattern;
}

/** The ASCII variant (asserting the pattern is accepted with one). */
function ascii(source: string, flags = "u"): string {
  const r = toPcre2Pattern(source, flags);
  if (!r.ok || r.asciiPattern === undefined) assert.fail(`${source} /${flags}: no ASCII variant`);
  return r.asciiPattern;
}

function refused(source: string, flags = "u"): string {
  const r = toPcre2Pattern(source, flags);
  if (r.ok) assert.fail(`${source} /${flags} accepted as ${r.pattern}`);
  return r.reason;
}

// Engine-level equality is pcre2-differential.test.ts's job; these pin the rewrites themselves.
describe("toPcre2Pattern", () => {
  it("keeps plain patterns, escaping every literal", () => {
    assert.equal(pcre("abc_ 09"), "abc_ 09");
    assert.equal(pcre("a\\.b\\/c-d#é"), "a\\.b\\/c\\-d\\#\\u{e9}");
    assert.equal(pcre("[a-z\\-\\]\\\\]"), "[a-z\\-\\]\\\\]");
    assert.equal(pcre("\\u{1F600}\\uD83D\\uDE00\\x41\\u0042\\0\\cJ"), "\\u{1f600}\\u{1f600}AB\\u{0}\\u{a}");
    assert.equal(pcre("\\t\\v[\\b]"), "\\u{9}\\u{b}[\\u{8}]");
  });

  it("passes only the i flag on as an option; m and s are written into the pattern", () => {
    assert.deepEqual(toPcre2Pattern("a", "giu"), { ok: true, pattern: "a", options: "i", asciiPattern: "a" });
    assert.deepEqual(toPcre2Pattern("^a$", "mu"), {
      ok: true,
      pattern: "(?<![^\\n\\r\\u{2028}\\u{2029}])a(?![^\\n\\r\\u{2028}\\u{2029}])",
      options: "",
      asciiPattern: "(?<![^\\u{a}\\u{d}])a(?![^\\u{a}\\u{d}])",
    });
    assert.equal(pcre(".", "su"), "[\\s\\S]");
    assert.equal(pcre("."), "[^\\n\\r\\u{2028}\\u{2029}]");
    assert.equal(pcre("^a$"), "^a\\z");
    assert.match(refused("a", "uy"), /flag y/);
    assert.match(refused("a", "v"), /flag v/);
    assert.match(refused("a", ""), /no u flag/);
  });

  it("rewrites JS-only sets and JS's Unicode \\s", () => {
    assert.equal(pcre("a[]b[^]"), "a[^\\s\\S]b[\\s\\S]");
    const space =
      "\\u{9}-\\u{d} \\u{a0}\\u{1680}\\u{2000}-\\u{200a}\\u{2028}-\\u{2029}\\u{202f}\\u{205f}\\u{3000}\\u{feff}";
    assert.equal(pcre("\\s"), `[${space}]`);
    assert.equal(pcre("\\S"), `[^${space}]`);
    assert.equal(pcre("[^\\s]"), `[^${space}]`);
    assert.equal(pcre("[\\s\\d]"), `[${space}0-9]`);
    assert.equal(pcre("\\d\\w\\W\\D[\\D\\W]\\b\\B"), "[0-9][0-9A-Z_a-z][^0-9A-Z_a-z][^0-9][\\D\\W]\\b\\B");
    assert.match(refused("[^\\S\\n]"), /\\S combined/);
    assert.equal(pcre("\\p{L}\\P{Nd}[^\\p{L}\\p{N}_]"), "\\p{L}\\P{Nd}[^\\p{L}\\p{N}_]");
    assert.match(refused("\\p{Lu}"), /property/);
    assert.match(refused("\\p{Script=Greek}"), /property/);
  });

  it("makes a backreference to an unset group match empty, as in JS", () => {
    assert.equal(pcre("(a)|b\\1"), "(a)|b(?(1)\\g{1})");
    assert.equal(pcre("(?<sep>[-/])x\\k<sep>"), "(?<sep>[\\-\\/])x(?(1)\\g{1})");
    assert.match(refused("(?<=(a)\\1)x"), /lookbehind/);
  });

  it("keeps group names PCRE2 accepts and refuses the others", () => {
    assert.equal(pcre("(?<user>a)(b)(?<_sep>c)"), "(?<user>a)(b)(?<_sep>c)");
    assert.match(refused("(?<é>a)"), /group name/);
    assert.match(refused(`(?<${"n".repeat(33)}>a)`), /group name/);
  });

  it("reproduces JS's refusal of empty iterations", () => {
    // a body that always matches empty never iterates past the minimum
    assert.equal(pcre("(?<square>(?<=^\\[))?\\d"), "(?:(?!)(?<square>(?<=^\\[))|)[0-9]");
    assert.equal(pcre("(?:\\b){2,3}a"), "(?:\\b){2}a");
    // a body that may match empty: only its non-empty matches iterate
    assert.equal(pcre("^(?:[^a]{0,2})?x"), "^(?:[^a]{1,2})?x");
    assert.equal(pcre("(a*)*b"), "(a+)*b");
    assert.equal(pcre("(?:|a)*?b"), "(?:[^\\s\\S]|a)*?b");
    assert.equal(pcre("(?:(?!x)a?)*b"), "(?:(?!x)a)*b");
    assert.match(refused("(?:a?)+"), /minimum whose body may match empty/);
    assert.match(refused("(?:a?b?)*"), /may match empty/);
    assert.match(refused("(?:(a)|\\1)*"), /may match empty/);
  });

  it("refuses groups JS would clear in a repetition, unless the last iteration can be split off", () => {
    assert.equal(pcre("(?:(a)b)+"), "(?:(a)b)+");
    assert.equal(pcre("(a|b)*c"), "(a|b)*c");
    assert.equal(pcre("(?:(?!(x))a)*b"), "(?:(?!(x))a)*b");
    // every iteration ends at one place: X* = (?:X'*X)? with X' = X without captures
    assert.equal(pcre("(?:(a)|b)*c"), "(?:(?:(?:a)|b)*(?:(a)|b))?c");
    assert.equal(pcre("(?:(a)|b)+?"), "(?:(?:a)|b)*?(?:(a)|b)");
    assert.equal(
      pcre("(?:(?:u=([^,]*)|\\w+=[^,]*), ){0,3}z"),
      "(?:(?:(?:u\\=(?:[^\\,]*)|[0-9A-Z_a-z]+\\=[^\\,]*)\\, ){0,2}(?:(?:u\\=([^\\,]*)|[0-9A-Z_a-z]+\\=[^\\,]*)\\, ))?z",
    );
    assert.match(refused("(?:x(a)|x(b))*"), /not set by every iteration/);
    assert.match(refused("(?:(a)|b\\1)*"), /not set by every iteration/);
    assert.match(refused("(?:\\1(a))+"), /may not have set yet/);
    assert.equal(pcre("(?:(?=(a+))\\1b)+"), "(?:(?=(a+))(?(1)\\g{1})b)+");
    assert.match(refused("(?<=(\\d){2})x"), /repeated group inside a lookbehind/);
  });

  it("accepts only lookbehinds PCRE2 10.42 can compile", () => {
    assert.equal(pcre("(?<=ab|c)x"), "(?<=ab|c)x");
    assert.equal(pcre("(?<=(a)(?:b|c){2}\\b)x"), "(?<=(a)(?:b|c){2}\\b)x");
    assert.match(refused("(?<=a+)b"), /fixed length/);
    assert.match(refused("(?<=a(?:b|cd))x"), /fixed length/);
  });

  it("closes \\p, \\w and \\b over case the way V8 does under i", () => {
    assert.equal(
      pcre("\\p{L}[^\\p{L}\\p{N}_]\\P{L}\\p{Nd}", "iu"),
      "[\\p{L}\\u{345}][^\\p{L}\\u{345}\\p{N}_][\\P{L}\\u{399}\\u{3b9}\\u{1fbe}]\\p{Nd}",
    );
    assert.equal(pcre("\\w\\W[\\w.]", "iu"), "[0-9A-Z_a-z][^0-9A-Z_a-z][0-9A-Z_a-z\\.]");
    assert.equal(
      pcre("\\bk", "iu"),
      "(?:(?<=[0-9A-Z_a-z])(?![0-9A-Z_a-z])|(?<![0-9A-Z_a-z])(?=[0-9A-Z_a-z]))k",
    );
    assert.match(refused("[\\W.]", "iu"), /\\W combined/);
  });

  it("refuses what V8 and PCRE2 fold differently under i", () => {
    assert.match(refused("\\u0390", "iu"), /U\+390/);
    assert.match(refused("[\\u1fd0-\\u1fd3]", "iu"), /U\+1FD3/);
    assert.equal(pcre("[\\u0390\\u1fd3]", "iu"), "[\\u{390}\\u{1fd3}]");
    assert.equal(pcre("\\u0390"), "\\u{390}");
    assert.match(refused("(.)\\1", "iu"), /case-drift/);
    assert.equal(pcre("([-/])\\1", "iu"), "([\\-\\/])(?(1)\\g{1})");
  });

  it("writes the ASCII variant: each one-character atom as the ASCII characters V8 matches", () => {
    // literals and sets: a literal, a class, or the complement when shorter
    assert.equal(ascii("a-b\\t"), "a\\-b\\u{9}");
    assert.equal(ascii("[a-z\\-\\]\\^é]"), "[\\-\\]-\\^a-z]");
    assert.equal(ascii("\\s\\S\\d\\w\\W"), "[\\u{9}-\\u{d} ][^\\u{9}-\\u{d} ][0-9][0-9A-Z_a-z][^0-9A-Z_a-z]");
    assert.equal(ascii("\\p{L}\\P{L}[^\\p{L}\\p{N}_]", "iu"), "[A-Za-z][^A-Za-z][^0-9A-Z_a-z]");
    // case folding from outside ASCII, and atoms with no ASCII member
    assert.equal(ascii("\\u212a\\u017f[^k]", "iu"), "ks[^Kk]");
    assert.equal(ascii("\\u212a[é]"), "[^\\s\\S][^\\s\\S]");
    assert.equal(ascii("[kK]"), "[Kk]");
    // '.', line anchors, \b (the same word characters on ASCII), backreferences, lookbehind
    assert.equal(ascii(".[^]"), "[^\\u{a}\\u{d}][\\s\\S]");
    assert.equal(ascii(".", "su"), "[\\s\\S]");
    assert.equal(ascii("\\bk\\B", "iu"), "\\bk\\B");
    assert.equal(
      ascii("(?<n>[a-z])(?<=\\d.)\\k<n>", "iu"),
      "(?<n>[A-Za-z])(?<=[0-9][^\\u{a}\\u{d}])(?(1)\\g{1})",
    );
    // the rewrites of the UTF pattern are kept
    assert.equal(ascii("(?:|\\u00e9)*?b"), "(?:[^\\s\\S]|[^\\s\\S])*?b");
    assert.equal(ascii("(?:(a)|b)*c"), "(?:(?:(?:a)|b)*(?:(a)|b))?c");
    assert.equal(ascii("(?:\\s\\w)+"), "(?:[\\u{9}-\\u{d} ][0-9A-Z_a-z])+");
  });

  it("refuses what PCRE2 cannot hold", () => {
    assert.match(refused("\\uD83D"), /surrogate/);
    assert.match(refused("[\\uDC00-\\uDFFF]"), /surrogate/);
    assert.match(refused("a{70000}"), /65535/);
    assert.match(refused("(a"), /V8 rejects/);
    assert.match(refused("(?i:a)"), /V8 rejects|group syntax/);
  });
});

/** toPcre2Pattern for a reader of `names` (by JS group number, from 1), asserting it is accepted. */
function renumbered(source: string, names: readonly (string | undefined)[], flags = "u") {
  const r = toPcre2Pattern(source, flags, { groupNames: [undefined, ...names] });
  if (!r.ok) assert.fail(`${source} /${flags} refused: ${r.reason}`);
  return r;
}

/** The pattern and groupNumbers (without entry 0) for a reader of `names`. */
function numbered(source: string, names: readonly (string | undefined)[]): [string, readonly number[]] {
  const r = renumbered(source, names);
  return [r.pattern, r.groupNumbers?.slice(1) ?? []];
}

describe("toPcre2Pattern's tail variant", () => {
  it("gates a content that starts with a head by a lookahead over the head and one character", () => {
    const r = toPcre2Pattern("^(\\w+ )((?:Failed|User)[^\\n]+)(?=\\n?$)", "u");
    assert.ok(r.ok && r.tail, "no tail variant");
    assert.equal(r.tail.group, 2);
    assert.ok(r.tail.pattern.endsWith("(?=(?:Failed|User)[^\\u{a}])()"), r.tail.pattern);
  });

  it("is preferred to a prefilter literal, which it would otherwise lose to", () => {
    // "uthentication" is a prefilter literal here (the first alternative needs it).
    const r = toPcre2Pattern("^(\\w+ )((?:[Aa]uthentication|User)[^\\n]+)(?=\\n?$)", "u");
    assert.ok(r.ok && r.tail && r.absent === undefined);
    const noTail = toPcre2Pattern("^(\\w+ )((?:[Aa]uthentication|User) x)", "u");
    assert.ok(noTail.ok && noTail.absent?.literal === "uthentication");
  });

  it("is left out when the head has groups (no captures inside the lookahead)", () => {
    const r = toPcre2Pattern("^(\\w+ )((?:(a)|b)[^\\n]+)(?=\\n?$)", "u");
    assert.ok(r.ok && r.tail === undefined);
  });
});

describe("toPcre2Pattern for a reader of group names (groupNames)", () => {
  it("makes the groups no one reads non-capturing", () => {
    assert.deepEqual(numbered("(a)(b)(c)", ["x", undefined, "y"]), ["(a)(?:b)(c)", [1, 0, 2]]);
    assert.deepEqual(numbered("((a)b)", [undefined, "x"]), ["(?:(a)b)", [0, 1]]);
    // every group read: the pattern as without names
    assert.deepEqual(numbered("(a)|(b)", ["x", "y"]), ["(a)|(b)", [1, 2]]);
    // a repeated body whose only group is not read needs no last-iteration split
    assert.deepEqual(numbered("(?:(a)|b)*c", [undefined]), ["(?:(?:a)|b)*c", [0]]);
    assert.equal(pcre("(?:(a)|b)*c"), "(?:(?:(?:a)|b)*(?:(a)|b))?c");
  });

  it("makes alternatives holding the same names a branch-reset group", () => {
    assert.deepEqual(numbered("(?:(a)(b)|(c)(d))e", ["u", "i", "u", "i"]), [
      "(?|(a)(b)|(c)(d))e",
      [1, 2, 1, 2],
    ]);
    // at the top, in a capture, in a lookahead, after dropping unread groups
    assert.deepEqual(numbered("(a)|(b)", ["u", "u"]), ["(?|(a)|(b))", [1, 1]]);
    assert.deepEqual(numbered("x((a)|(b))", ["w", "u", "u"]), ["x((?|(a)|(b)))", [1, 2, 2]]);
    assert.deepEqual(numbered("(?=(a)|(b))x", ["u", "u"]), ["(?=(?|(a)|(b)))x", [1, 1]]);
    assert.deepEqual(numbered("(?:(a)(x)|(b))", ["u", undefined, "u"]), ["(?|(a)(?:x)|(b))", [1, 0, 1]]);
    // one alternative's names a prefix of another's; alternatives without groups
    assert.deepEqual(numbered("(?:(a)|(b)(c)|d)", ["u", "u", "i"]), ["(?|(a)|(b)(c)|d)", [1, 1, 2]]);
  });

  it("keeps alternatives apart when their names differ", () => {
    assert.deepEqual(numbered("(?:(a)|(b))", ["u", "i"]), ["(?:(a)|(b))", [1, 2]]);
    assert.deepEqual(numbered("(?:(a)(b)|(c)(d))", ["u", "i", "i", "u"]), [
      "(?:(a)(b)|(c)(d))",
      [1, 2, 3, 4],
    ]);
    assert.deepEqual(numbered("(?:(a)(b)|(c)(d))", ["u", "i", "u", "j"]), [
      "(?:(a)(b)|(c)(d))",
      [1, 2, 3, 4],
    ]);
    // only one alternative with groups: nothing to share
    assert.deepEqual(numbered("(?:(a)|b)", ["u"]), ["(?:(a)|b)", [1]]);
  });

  it("resets nested alternations inside out", () => {
    // sshd's `Failed …`: (invalid user )? distributed over the rest, each copy with its names
    assert.deepEqual(
      numbered("^(?:(i)(?:(a)(b)|(c)(d))|(e)(f))$", [undefined, "u", "h", "u", "h", "u", "h"]),
      ["^(?|(?:i)(?|(a)(b)|(c)(d))|(e)(f))\\z", [0, 1, 2, 1, 2, 1, 2]],
    );
    // an inner alternation that is not reset counts its groups one after another
    assert.deepEqual(numbered("(?:(a)(?:(p)|(q))|(b)(r)(s))", ["u", "p", "q", "u", "p", "q"]), [
      "(?|(a)(?:(p)|(q))|(b)(r)(s))",
      [1, 2, 3, 1, 2, 3],
    ]);
  });

  it("numbers the groups after a branch-reset group from the highest number in it", () => {
    assert.deepEqual(numbered("(?:(a)|(b))(c)", ["u", "u", "i"]), ["(?|(a)|(b))(c)", [1, 1, 2]]);
    assert.deepEqual(numbered("(?:(a)(x)|(b))(c)", ["u", "v", "u", "i"]), [
      "(?|(a)(x)|(b))(c)",
      [1, 2, 1, 3],
    ]);
    assert.deepEqual(numbered("(?:(b)|(a)(x))(c)", ["u", "u", "v", "i"]), [
      "(?|(b)|(a)(x))(c)",
      [1, 1, 2, 3],
    ]);
    assert.deepEqual(
      numbered("(?:(a)(?:(p)|(q))|(b)(r)(s))(z)", ["u", "p", "q", "u", "p", "q", "t"])[1],
      [1, 2, 3, 1, 2, 3, 4],
    );
  });

  it("renumbers every variant alike, and the tail group", () => {
    const tail = renumbered("^(x)?(?:(a)|(b)) ([^\\n]+)(?=\\n?$)", [undefined, "u", "u", "content"]);
    assert.equal(tail.pattern, "^(?:x)?(?|(a)|(b)) ([^\\u{a}]+)(?=\\u{a}?\\z)");
    assert.deepEqual(tail.groupNumbers, [0, 0, 1, 1, 2]);
    assert.deepEqual(tail.tail, {
      group: 2,
      pattern: "^(?:x)?(?|(a)|(b)) (?=[^\\u{a}])()",
      asciiPattern: "^(?:x)?(?|(a)|(b)) (?=[^\\u{a}])()",
    });
    // the tail group captures even when no one reads it (the scanner sets its end)
    assert.deepEqual(renumbered("^(x) ([^\\n]+)(?=\\n?$)", [undefined, undefined]).tail?.group, 1);
    const absent = renumbered("^(?:(a+) (\\d): |(a+) (\\d)$)", ["u", "n", "u", "n"]);
    assert.equal(absent.pattern, "^(?|(a+) ([0-9])\\: |(a+) ([0-9])\\z)");
    assert.equal(absent.absent?.pattern, "^(?|(?!)(a+) ([0-9])\\: |(a+) ([0-9])\\z)");
    assert.equal(absent.absent?.asciiPattern, absent.absent?.pattern);
    assert.equal(absent.asciiPattern, absent.pattern);
  });

  it("keeps a group a backreference refers to, and never resets around it", () => {
    // unread but referred to: it captures, under its new number
    assert.deepEqual(numbered("(x)(a)\\2", [undefined, undefined]), ["(?:x)(a)(?(1)\\g{1})", [0, 1]]);
    // a reference into the alternation would see another alternative's capture
    assert.deepEqual(numbered("(?:(a)|(b))\\2", ["u", "u"]), ["(?:(a)|(b))(?(2)\\g{2})", [1, 2]]);
    // a reference elsewhere does not stop it
    assert.deepEqual(numbered("(a)(?:(b)|(c))\\1", [undefined, "u", "u"]), [
      "(a)(?|(b)|(c))(?(1)\\g{1})",
      [1, 2, 2],
    ]);
  });

  it("resets no alternation inside a lookbehind, and only the last iteration of a repetition", () => {
    assert.deepEqual(numbered("(?<=(?:(a)|(b)))c", ["u", "u"]), ["(?<=(?:(a)|(b)))c", [1, 2]]);
    assert.deepEqual(numbered("(?:(a)|(b))*c", ["u", "u"]), ["(?:(?:(?:a)|(?:b))*(?|(a)|(b)))?c", [1, 1]]);
  });

  it("leaves patterns without names as they are", () => {
    const r = toPcre2Pattern("(?:(a)|(b))\\1", "u");
    assert.ok(r.ok && r.groupNumbers === undefined);
    assert.equal(r.pattern, "(?:(a)|(b))(?(1)\\g{1})");
    assert.match(
      (toPcre2Pattern("(a)(b)", "u", { groupNames: [undefined, "x"] }) as { reason: string }).reason,
      /1 group names for 2 groups/,
    );
  });
});
