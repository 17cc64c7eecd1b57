import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseIp } from "../ip/ip-address.js";
import { banTargetOf } from "./ban-target.js";
import { formatDuration } from "./format-duration.js";
import { guardLogLine } from "./guard-log-line.js";

describe("guardLogLine", () => {
  it("has the shape the recidive filter matches", () => {
    const target = banTargetOf(parseIp("192.0.2.7")!, 64);
    const ban = { jail: "sshd", target, since: 0, until: 3600, bantime: 3600, banCount: 1, failures: 5 };
    assert.equal(
      guardLogLine(
        { kind: "ban", ban, findtime: 600, reason: "failures", address: "192.0.2.7", matches: [] },
        812,
      ),
      "rampart[812]: [sshd] Ban 192.0.2.7 for 1h (5 failures in 10m)",
    );
    assert.equal(
      guardLogLine({ kind: "unban", jail: "sshd", target, reason: "expired" }, 812),
      "rampart[812]: [sshd] Unban 192.0.2.7",
    );
  });

  it("formats durations compactly", () => {
    assert.deepEqual([0, 59, 600, 90_061, 5 * 604800, -1].map(formatDuration), [
      "0s",
      "59s",
      "10m",
      "1d1h1m1s",
      "5w",
      "forever",
    ]);
  });
});
