import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { createLab } from "./netns.js";

describe("network-namespace lab", () => {
  const lab = createLab("rlab", ["server", "alice", "bob"]);
  after(() => lab.destroy());

  it("connects every host to the server over IPv4 and IPv6, and cleans up", () => {
    assert.match(lab.exec("alice", "ping", ["-c1", "-W2", lab.ip4.server!]), /1 received/);
    assert.match(
      lab.exec("bob", "ping", ["-c1", "-W2", "10." + lab.ip4.bob!.split(".")[1] + ".2.1"]),
      /1 received/,
    );
    assert.match(lab.exec("alice", "ping", ["-6", "-c1", "-W2", lab.ip6.server!]), /1 received/);
    const names = Object.values(lab.ns);
    lab.destroy();
    const left = execFileSync("ip", ["netns", "list"]).toString();
    for (const n of names) assert.ok(!left.includes(n), `${n} removed`);
  });
});
