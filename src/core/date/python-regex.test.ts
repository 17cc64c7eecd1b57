import assert from "node:assert/strict";
import { test } from "node:test";
import { PythonRegexError, translatePythonRegex } from "./python-regex.js";

function re(py: string): RegExp {
  const t = translatePythonRegex(py);
  return new RegExp(t.source, t.flags);
}

test("\\w \\W \\b \\d are Unicode-aware like Python str patterns", () => {
  assert.ok(re("^\\w+$").test("héllo_1"));
  assert.ok(re("^\\W$").test("-"));
  assert.ok(!re("^\\W$").test("é"));
  assert.ok(!re("9\\b").test("9é"));
  assert.ok(re("^\\d$").test("٣"));
});

test("\\s includes \\x1c-\\x1f and \\x85 but not \\ufeff", () => {
  assert.ok(re("^\\s$").test("\x1c"));
  assert.ok(re("^\\s$").test("\x85"));
  assert.ok(!re("^\\s$").test("\ufeff"));
});

test(". excludes only \\n; $ matches before a final newline", () => {
  assert.ok(re("^a.b$").test("a\rb"));
  assert.ok(!re("^a.b$").test("a\nb"));
  assert.ok(re("^ab$").test("ab\n"));
});

test("named groups, named back-references, literal braces, {,n}", () => {
  const t = translatePythonRegex("(?P<x>a)(?P=x){DATE}b{,2}");
  assert.deepEqual(t.groupNames, ["x"]);
  const r = new RegExp(t.source, t.flags);
  assert.ok(r.test("aa{DATE}bb"));
  assert.ok(!r.test("ab{DATE}"));
});

test("global flags at the start; identity escapes", () => {
  assert.ok(re("(?iu)^jan\\-\\<$").test("JAN-<"));
  assert.equal(translatePythonRegex("(?i)x").flags, "ui");
});

test("unsupported or invalid constructs are errors", () => {
  for (const bad of [
    "(?(1)a|b)",
    "a(?i)b",
    "(?>a)",
    "a++",
    "(a",
    "a)",
    "\\q",
    "(?P=nope)",
    "(?P<x>a)(?P<x>b)",
    "*a",
  ]) {
    assert.throws(() => translatePythonRegex(bad), PythonRegexError, bad);
  }
});

test("ignore-case equates İ and ı with i/I as Python's sre does", () => {
  assert.ok(re("(?i)^fri$").test("frİ"));
  assert.ok(re("(?i)^fri$").test("frı"));
  assert.ok(re("(?i)^[A-Z]{3}$").test("Frİ"));
  assert.ok(!re("(?i)^[^a-z]$").test("ı"));
  assert.ok(re("(?i)^sun$").test("ſun"));
  assert.ok(!re("(?ai)^fri$").test("frİ"));
});
