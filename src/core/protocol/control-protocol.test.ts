import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseControlRequest } from "./control-protocol.js";

describe("parseControlRequest", () => {
  it("accepts the known requests", () => {
    assert.deepEqual(parseControlRequest('{"op":"status"}'), { op: "status" });
    assert.deepEqual(parseControlRequest('{"op":"status","jail":"sshd"}'), { op: "status", jail: "sshd" });
    assert.deepEqual(parseControlRequest('{"op":"ban","jail":"sshd","address":"192.0.2.1"}'), {
      op: "ban",
      jail: "sshd",
      address: "192.0.2.1",
    });
    assert.deepEqual(parseControlRequest('{"op":"unban","address":"192.0.2.1"}'), {
      op: "unban",
      address: "192.0.2.1",
    });
    assert.deepEqual(parseControlRequest('{"op":"reload","extra":1}'), { op: "reload" });
  });

  it("refuses anything else with a message", () => {
    for (const bad of [
      "",
      "nope",
      "[]",
      "null",
      '{"op":"rm -rf"}',
      '{"op":"ban","jail":"sshd"}',
      '{"op":"status","jail":5}',
    ]) {
      assert.equal(typeof parseControlRequest(bad), "string", bad);
    }
    assert.equal(parseControlRequest("x".repeat(2 << 20)), "Request too large");
  });
});
