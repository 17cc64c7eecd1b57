import assert from "node:assert/strict";
import { test } from "node:test";
import { rewriteWordBegin, startsWithWordChar } from "./word-start.js";

test("proves a word-character start only when every branch starts with one", () => {
  assert.equal(startsWithWordChar("((?P<Y>(?:200|201)\\d)-x)(?=\\b|\\W|$)"), true);
  assert.equal(startsWithWordChar("((?:(?P<a>mon|tue) )?(?P<b>jan|feb) )"), true);
  assert.equal(startsWithWordChar("((?P<m>0?[1-9]|1[0-2]))"), true);
  assert.equal(startsWithWordChar("((?P<d>[1-2]\\d|[0 ]?[1-9]))"), false); // may start with " "
  assert.equal(startsWithWordChar("((?:(?P<z>Z|[+-]\\d) )?(?P<b>jan))"), false); // may start with "+"
  assert.equal(startsWithWordChar("((?:x)?)"), false); // may be empty
  assert.equal(startsWithWordChar("([^a-z]x)"), false);
  assert.equal(startsWithWordChar("((?P=x)a)"), false);
});

test("rewrites only the leading word-begin boundary, keeping global flags", () => {
  assert.equal(rewriteWordBegin("(?iu)(?=^|\\b|\\W)((?P<b>jan))"), "(?iu)(?<!\\w)((?P<b>jan))");
  assert.equal(rewriteWordBegin("(?=^|\\b|\\W)( x)"), "(?=^|\\b|\\W)( x)");
  assert.equal(rewriteWordBegin("^(?:\\W{0,2})?(x)"), "^(?:\\W{0,2})?(x)");
});
