import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CompiledFilter, instantiateFilter } from "./compiled-filter.js";

const base: CompiledFilter = {
  name: "t",
  file: "/filters/t.conf",
  prefRegex: undefined,
  failRegexes: [],
  ignoreRegexes: [],
  maxLines: 1,
  datepattern: undefined,
  logTimeZone: undefined,
  useDns: "warn",
  hostsFile: undefined,
};

describe("instantiateFilter", () => {
  it("builds a filter that finds failures", () => {
    const built = instantiateFilter({
      ...base,
      failRegexes: [
        {
          source: "^fail from <ADDR>$",
          pattern: "^fail from ((?:\\d{1,3}\\.){3}\\d{1,3})(?=\\n?$)",
          flags: "",
          captureNames: [undefined, "ip4"],
          startChars: undefined,
        },
      ],
    });
    assert.ok(built.ok);
    const found = built.value.processLine("fail from 192.0.2.7", 1, Date.parse("2026-11-22") / 1000);
    assert.deepEqual(
      found.map((f) => f.ip),
      ["192.0.2.7"],
    );
  });

  it("reports a pattern V8 rejects at the regex's own file:line:col, and returns no filter", () => {
    const built = instantiateFilter({
      ...base,
      failRegexes: [
        {
          source: "^broken <ADDR>",
          pattern: "^broken (",
          flags: "",
          captureNames: [],
          startChars: undefined,
          at: { file: "/filters/t.conf", line: 4, col: 13 },
        },
      ],
    });
    assert.ok(!built.ok);
    assert.equal(built.problems.length, 1);
    assert.equal(built.problems[0]?.code, "regex.unsupported");
    assert.deepEqual(built.problems[0]?.at, { file: "/filters/t.conf", line: 4, col: 13 });
  });
});
