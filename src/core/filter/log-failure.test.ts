import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { failureJsonLine, type LogFailure } from "./log-failure.js";

describe("failureJsonLine", () => {
  it("is exactly JSON.stringify of {ip, time, line, user}, whatever the text holds", () => {
    const users = [null, "root", 'quo"te', "back\\slash", "nl\nx", "\u0000\u001f", "ünï", "\ud800 lone", ""];
    const ids = ["192.0.2.1", "2001:db8::1", "host.example", 'a"b'];
    const times = [1700000000, 1700000000.123456, 0, -1];
    for (const user of users)
      for (const id of ids)
        for (const time of times) {
          const failure: LogFailure = { id, ip: null, time, line: 42, user, matches: [] };
          assert.equal(failureJsonLine(failure), `${JSON.stringify({ ip: id, time, line: 42, user })}\n`);
        }
  });
});
