import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseIniFile } from "./ini-file.js";
import { OriginTable } from "./tracked-text.js";

function parse(text: string) {
  const table = new OriginTable();
  const ini = parseIniFile(text, "f.conf", table);
  const value = (section: string, key: string) =>
    (section === "DEFAULT" ? ini.defaults : ini.sections.get(section))?.get(key);
  return { ini, table, value };
}

describe("parseIniFile (Python configparser rules)", () => {
  it("reads CRLF and lone CR line ends like Python's universal newlines", () => {
    const { value } = parse("[Definition]\r\nfailregex = a\r  b\r\nx = 1\r\n");
    assert.equal(value("Definition", "failregex")?.text, "a\nb");
    assert.equal(value("Definition", "x")?.text, "1");
  });

  it("treats a byte order mark as text, so the first header is not one (as Python's utf-8 codec does)", () => {
    const { ini } = parse("\ufeff[Definition]\nx = 1\n");
    assert.deepEqual(
      ini.problems.map((p) => p.code),
      ["filter.outside-section", "filter.outside-section"],
    );
  });

  it("keeps empty lines inside a value, strips trailing ones, skips comment lines", () => {
    const { value } = parse("[D]\nv = a\n\n  # c\n  b\n\n\nw = 2\n");
    assert.equal(value("D", "v")?.text, "a\n\nb");
  });

  it("takes the first = or : as delimiter and lower-cases keys", () => {
    const { value } = parse("[D]\nA:B = c\nKey = x = y\n");
    assert.equal(value("D", "a")?.text, "B = c");
    assert.equal(value("D", "key")?.text, "x = y");
  });

  it("strips ; comments only at line start or after whitespace; # only as a whole line", () => {
    const { value } = parse("[D]\na = x;y ; z\nb = p # q\n");
    assert.equal(value("D", "a")?.text, "x;y");
    assert.equal(value("D", "b")?.text, "p # q");
  });

  it("records the position of every value line", () => {
    // Continuation needs more indentation (counted in characters) than the option line.
    const { value, table } = parse("[D]\n  a =   hello\n\t\t\tworld\n");
    const v = value("D", "a")!;
    assert.equal(v.text, "hello\nworld");
    assert.deepEqual(table.resolve(v.origins[0]!), { file: "f.conf", line: 2, col: 9 });
    assert.deepEqual(table.resolve(v.origins[6]!), { file: "f.conf", line: 3, col: 4 });
  });

  it("collects duplicate sections and options, nameless options and junk lines", () => {
    // (" = 3" indented would continue the value of a, as in Python)
    const { ini } = parse("[D]\na = 1\na = 2\n= 3\njunk\n[D]\n");
    assert.deepEqual(
      ini.problems.map((p) => `${p.code}@${p.at?.line}`),
      ["filter.duplicate-option@3", "filter.syntax@4", "filter.syntax@5", "filter.duplicate-section@6"],
    );
  });

  it("uses Python's whitespace (U+001C…U+001F, U+0085) when stripping", () => {
    const { value } = parse("[D]\na = x\u0085\u001f\n");
    assert.equal(value("D", "a")?.text, "x");
  });
});
