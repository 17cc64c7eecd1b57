import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compilePythonRegex,
  type PythonRegexOptions,
  pythonGroupDict,
  translatePythonRegex,
} from "./translate-python-regex.js";

function compile(pattern: string, options?: PythonRegexOptions): RegExp {
  const r = compilePythonRegex(pattern, options);
  if (!r.ok) assert.fail(`${pattern}: ${JSON.stringify(r.problems)}`);
  return r.value.regex;
}

/** Python-style `re.search(pattern, s).group(0)` (or null). */
function search(pattern: string, s: string, options?: PythonRegexOptions): string | null {
  return compile(pattern, options).exec(s)?.[0] ?? null;
}

/** `re.search(...).groupdict()` (or null). */
function groupdict(pattern: string, s: string): Record<string, string | undefined> | null {
  const r = compilePythonRegex(pattern);
  if (!r.ok) assert.fail(JSON.stringify(r.problems));
  const m = r.value.regex.exec(s);
  return m ? pythonGroupDict(m, r.value.groupNames) : null;
}

function problemOf(
  pattern: string,
  options?: PythonRegexOptions,
): { code: string; message: string; col: number } {
  const r = translatePythonRegex(pattern, options);
  assert.equal(r.ok, false, `${pattern} should be rejected`);
  if (r.ok) throw new Error("unreachable");
  const p = r.problems[0]!;
  assert.equal(p.at?.file, "<regex>");
  assert.equal(p.at?.line, 1);
  return { code: p.code, message: p.message, col: p.at!.col };
}

describe("translatePythonRegex: groups and references", () => {
  it("turns (?P<n>…) into a JS named group and maps the name back", () => {
    const t = translatePythonRegex("(?P<host>\\S+)");
    assert.ok(t.ok);
    assert.match(t.value.source, /^\(\?<host>/);
    assert.deepEqual([...t.value.groupNames], [["host", "host"]]);
    assert.deepEqual(groupdict("from (?P<host>\\S+)", "x from 1.2.3.4"), { host: "1.2.3.4" });
  });

  it("translates (?P=n) and \\N backreferences", () => {
    assert.equal(search("(?P<q>['\"])x(?P=q)", `say "x" 'x"`), '"x"');
    assert.equal(search("(a)(b)\\2\\1", "abba"), "abba");
    // \10 is group 10 when it exists; the next literal digit must not merge into the number
    assert.equal(search("(a)\\1\\x30", "aa0"), "aa0");
  });

  it("fails a backreference to a group that did not participate, as Python does", () => {
    // JS alone would match "b" (an unset group matches empty); Python does not.
    assert.equal(search("(a)?b\\1", "b"), null);
    assert.equal(search("(a)?b\\1", "aba"), "aba");
  });

  it("keeps unnamed groups numbered and reports their Python numbers", () => {
    const t = translatePythonRegex("(a)(?P<n>b)(?:c)(d)");
    assert.ok(t.ok);
    assert.deepEqual(t.value.groupNumbers, [0, 1, 2, 3]);
  });
});

describe("translatePythonRegex: conditional groups by continuation expansion", () => {
  const sshd = String.raw`^Failed \S+ for (?P<cond_inv>invalid user )?(?P<user>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)) from (?P<ip>\d+\.\d+\.\d+\.\d+)(?: port \d+)?(?: on \S+(?: port \d+)?)?(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)`;

  it("resolves (?(name)yes|no) in every branch and names the copies name, name__2, …", () => {
    const t = translatePythonRegex(sshd);
    assert.ok(t.ok);
    assert.ok(!t.value.source.includes("(?("));
    assert.equal(t.value.groupNames.get("user"), "user");
    assert.equal(t.value.groupNames.get("user__2"), "user");
    assert.equal(new Set(t.value.groupNames.values()).size, 4);
    assert.ok(t.value.source.startsWith("^"), "the ^ anchor stays first so V8 can anchor the search");
  });

  it("reports the real client address for a username crafted to contain ' from 1.2.3.4 port 22'", () => {
    const line = "Failed password for invalid user x from 6.6.6.6 port 22 from 10.0.0.9 port 4242 ssh2\n";
    // Python's answer (checked with python3): the lazy user part may not cross " from ", so the
    // match falls back to the branch without cond_inv; the address is the last one either way.
    assert.deepEqual(groupdict(sshd, line), {
      cond_inv: undefined,
      user: "invalid user x from 6.6.6.6 port 22",
      cond_user: undefined,
      ip: "10.0.0.9",
    });
  });

  it("takes the yes branch when the group matched and the no branch otherwise", () => {
    assert.equal(search("(a)?(?(1)b|c)", "ab"), "ab");
    assert.equal(search("(a)?(?(1)b|c)", "c"), "c");
    assert.equal(search("(a)?(?(1)b|c)", "ac"), "c");
    assert.equal(search("(?(1)a|b)(c)", "bc"), "bc", "a forward reference sees an unset group");
  });

  it("keeps lazy ?? order and handles groups inside *, when each iteration sets the group", () => {
    assert.equal(search("(a)??(?(1)b|a)", "ab"), "a");
    assert.equal(search("(a)*(?(1)x|y)", "aax"), "aax");
    assert.equal(search("(a)*(?(1)x|y)", "y"), "y");
  });

  it("rejects a conditional whose group is decided inside a repetition, with its column", () => {
    assert.deepEqual(problemOf("x(?:(a)|b)*(?(1)c|d)"), {
      code: "regex.unsupported",
      message:
        "conditional on group 1 cannot be translated: whether that group matched is decided inside a repetition or lookaround",
      col: 12,
    });
  });

  it("gives up with a Problem, not a hang, when expansion would explode", () => {
    const n = 22;
    const pattern = "(a)?".repeat(n) + Array.from({ length: n }, (_, i) => `(?(${i + 1})x|y)`).join("");
    const started = Date.now();
    assert.equal(problemOf(pattern).code, "regex.unsupported");
    assert.ok(Date.now() - started < 5000);
  });
});

describe("translatePythonRegex: repetitions", () => {
  it("keeps a group's value from an earlier iteration, as Python does (fail2ban courier-auth)", () => {
    const courier = String.raw`LOGIN FAILED, (?:(?!ip=)(?:user=(?P<user>[^,]*)|\w+=[^,]*), )*ip=\[(?P<ip>[^\]]+)\]`;
    assert.deepEqual(groupdict(courier, "LOGIN FAILED, user=bob, method=PLAIN, ip=[1.2.3.4]"), {
      user: "bob",
      ip: "1.2.3.4",
    });
    assert.deepEqual(groupdict("(?:(?P<a>a)|b)+", "abb"), { a: "a" });
  });

  it("refuses a backreference whose group may or may not have matched inside a repetition", () => {
    assert.deepEqual(problemOf("(?:(a)|b)*\\1"), {
      code: "regex.unsupported",
      message:
        "backreference to group 1 cannot be translated: whether that group matched is decided inside a repetition or lookaround",
      col: 11,
    });
  });

  it("takes an empty match for ? like Python instead of backtracking for a longer one", () => {
    assert.equal(search("(?:x*?)?", "x"), "");
    assert.deepEqual(compile("(a|)?b").exec("b")?.[1], "");
  });
});

describe("translatePythonRegex: anchors, dot and line ends", () => {
  it("lets $ match before a final newline, never the m flag", () => {
    assert.equal(search("a$", "a\n"), "a");
    assert.equal(search("a$", "a\n\n"), null);
    assert.equal(search("a$", "a\r\n"), null);
    assert.equal(search("a\\Z", "a\n"), null);
    const t = translatePythonRegex("^a$", { multiline: true });
    assert.ok(t.ok);
    assert.equal(t.value.flags.includes("m"), false);
  });

  it("treats only \\n as a line end in multiline mode", () => {
    assert.equal(search("^b$", "a\nb\nc", { multiline: true }), "b");
    assert.equal(search("^b$", "a\rb\rc", { multiline: true }), null);
    assert.equal(search("^b$", "a\u2028b", { multiline: true }), null);
    assert.equal(search("(?m)^b", "a\nb"), "b");
  });

  it("lets . match \\r and U+2028 but not \\n, unless DOTALL", () => {
    assert.equal(search("a.c", "a\rc"), "a\rc");
    assert.equal(search("a.c", "a\u2028c"), "a\u2028c");
    assert.equal(search("a.c", "a\nc"), null);
    assert.equal(search("a.c", "a\nc", { dotAll: true }), "a\nc");
    assert.equal(search("(?s)a.c", "a\nc"), "a\nc");
    assert.equal(search("^.$", "😀"), "😀", "one code point, as in Python");
  });

  it("implements \\A, \\b and \\B with Python's Unicode word characters", () => {
    assert.equal(search("\\Ab", "b"), "b");
    assert.equal(search("\\Ab", "a\nb", { multiline: true }), null);
    assert.equal(search("\\bwörld\\b", "hello wörld"), "wörld");
    assert.equal(search("ö\\b", "öx ö"), "ö");
    assert.equal(search("\\B", ""), null, "CPython 3.11: \\B never matches an empty string");
  });
});

describe("translatePythonRegex: flags", () => {
  it("expands scoped (?i:…) into case classes (Node 20 has no RegExp modifiers)", () => {
    const t = translatePythonRegex("a(?i:k)b");
    assert.ok(t.ok);
    assert.equal(t.value.flags, "u");
    assert.equal(search("a(?i:k)b", "aKb"), "aKb");
    assert.equal(search("a(?i:k)b", "a\u212ab"), "a\u212ab", "Kelvin sign folds to k in Python");
    assert.equal(search("a(?i:k)b", "AKB"), null);
  });

  it("honours (?-i:…) inside a case-insensitive pattern", () => {
    assert.equal(search("(?-i:a)B", "ab", { ignoreCase: true }), "ab");
    assert.equal(search("(?-i:a)B", "Ab", { ignoreCase: true }), null);
    assert.equal(search("(?i)[^k]", "\u212a"), null);
  });

  it("uses the JS i flag only for case-insensitive backreferences", () => {
    const t = translatePythonRegex("(?i)(a)\\1");
    assert.ok(t.ok);
    assert.equal(t.value.flags, "iu");
    assert.equal(search("(?i)(a)\\1", "aA"), "aA");
    assert.equal(problemOf("(?i:(a)\\1)b").code, "regex.unsupported");
  });

  it("strips whitespace and comments in verbose mode, keeping them in classes and escapes", () => {
    assert.equal(search("(?x) a b # comment\n c [ ]d \\ e", "abc d e"), "abc d e");
    assert.equal(search("a b(?x: c d )e f", "a bcde f"), "a bcde f");
  });

  it("makes \\d, \\w, \\s Unicode-aware, and ASCII under (?a)", () => {
    assert.equal(search("\\d+", "x١٢٣"), "١٢٣");
    assert.equal(search("\\w+", "日本語"), "日本語");
    assert.equal(search("\\s", "\u001c"), "\u001c");
    assert.equal(search("\\s", "\ufeff"), null, "U+FEFF is \\s in JS but not in Python");
    assert.equal(search("(?a)\\d", "١"), null);
  });
});

describe("translatePythonRegex: escapes, classes, quantifiers", () => {
  it("accepts identity escapes that the u flag would reject", () => {
    assert.equal(search(String.raw`\"\:\-\<\ \'\,\;\=`, `x":-< ',;=`), `":-< ',;=`);
    assert.equal(search(String.raw`\x41\u0042\U00000043\101\0`, "ABCA\0"), "ABCA\0");
  });

  it("parses Python's class corner cases", () => {
    assert.equal(search("[]a]+", "x]a]"), "]a]");
    assert.equal(search("[^]a]+", "]xy]"), "xy");
    assert.equal(search("[a-]+", "a-a"), "a-a");
    assert.equal(search("[[a]+", "[a["), "[a[");
    assert.equal(search("[\\b]", "\b"), "\b");
    assert.equal(search("[^\\W\\d]+", "12ab_é3"), "ab_é");
  });

  it("treats a { that does not form a quantifier as a literal", () => {
    assert.equal(search("a{", "a{"), "a{");
    assert.equal(search("a{x}", "a{x}"), "a{x}");
    assert.equal(search("a{1", "a{1"), "a{1");
    assert.equal(search("x{}", "x{}"), "x{}");
    assert.equal(search("a{,2}b", "aaab"), "aab");
    assert.equal(search("a{2,}b", "aaab"), "aaab");
  });

  it("emulates atomic groups and possessive quantifiers", () => {
    assert.equal(search("(?>a+)b", "aab"), "aab");
    assert.equal(search("a*+a", "aaa"), null);
    assert.equal(search("(?>ab|a)b", "ab"), null);
  });

  it("keeps lookbehind, comments and lazy quantifiers", () => {
    assert.equal(search("(?<=a)b(?<!cb)", "cbab"), "b");
    assert.equal(search("x(?#comment)y", "xy"), "xy");
    assert.equal(search("a+?", "aaa"), "a");
  });

  it("never throws at match time on lone surrogates or NUL bytes", () => {
    const re = compile("^(?P<u>\\S+) from (?P<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)$");
    assert.equal(re.exec("\ud800\udc00\udfff\u0000 from 1.2.3.4")?.groups?.ip, "1.2.3.4");
    assert.equal(re.exec("\ud800 from 1.2.3.4\n")?.groups?.u, "\ud800");
  });
});

describe("translatePythonRegex: errors carry Python's message and column", () => {
  const cases: [string, string, number][] = [
    ["(a", "missing ), unterminated subpattern", 1],
    ["ab)", "unbalanced parenthesis", 3],
    ["x\\q", "bad escape \\q", 2],
    ["ab\\", "bad escape (end of pattern)", 3],
    ["(?P=x)", "unknown group name 'x'", 5],
    ["(?P<a>x)(?(b)y)", "unknown group name 'b'", 12],
    ["(?(3)a|b)(c)", "invalid group reference 3", 4],
    ["[a", "unterminated character set", 1],
    ["a**", "multiple repeat", 3],
    ["*a", "nothing to repeat", 1],
    ["(?P<1a>x)", "bad character in group name '1a'", 5],
    ["(?P<a>x)(?P<a>y)", "redefinition of group name 'a' as group 2; was group 1", 13],
    ["a(?i)", "global flags not at the start of the expression", 2],
    ["[z-a]", "bad character range z-a", 2],
    ["\\8", "invalid group reference 8", 2],
    ["a{3,2}", "min repeat greater than max repeat", 3],
  ];
  for (const [pattern, message, col] of cases) {
    it(`${JSON.stringify(pattern)} → ${message}`, () => {
      assert.deepEqual(problemOf(pattern), { code: "regex.syntax", message, col });
    });
  }

  it("rejects variable-width lookbehind like Python's compiler", () => {
    assert.equal(problemOf("x(?<=a+)b").message, "look-behind requires fixed-width pattern");
  });

  it("reports \\N{…} as unsupported rather than guessing", () => {
    assert.deepEqual(problemOf("a\\N{EM DASH}"), {
      code: "regex.unsupported",
      message: "named Unicode escapes (\\N{...}) are not supported; write the character or \\uXXXX instead",
      col: 2,
    });
  });
});
