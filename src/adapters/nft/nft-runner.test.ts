import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { canCreateNamespaces, createLab, type Lab } from "../../../test/support/netns.js";
import { RampartError } from "../../core/errors/rampart-error.js";
import { createNftRunner, hasTable, type NftRunner } from "./nft-runner.js";

// The NftRunner contract, against real nft in a private network namespace (never the host's).
describe("NftRunner (nft in a network namespace)", {
  skip: !canCreateNamespaces() && "needs root for network namespaces",
}, () => {
  let lab: Lab;
  let nft: NftRunner;
  before(() => {
    lab = createLab("rnft", ["box"]);
    nft = createNftRunner({ netns: lab.ns.box! });
  });
  after(() => lab?.destroy());

  const table = (name: string, extra = "") =>
    `table inet ${name} {}\ndelete table inet ${name}\ntable inet ${name} {\n chain input { type filter hook input priority 0; policy accept;\n ${extra}\n }\n}\n`;

  it("apply loads a script from stdin and listJson shows it", async () => {
    await nft.apply(table("contract_a"));
    const ruleset = await nft.listJson();
    assert.equal(hasTable(ruleset, "inet", "contract_a"), true);
    assert.equal(hasTable(ruleset, "inet", "nope"), false);
  });

  it("apply is all-or-nothing: a script failing half-way changes nothing and names the line", async () => {
    const before = await nft.listJson();
    const script = `${table("contract_b")}add rule inet contract_a input tcp dport 70000 accept\n`;
    await assert.rejects(nft.apply(script), (error: unknown) => {
      assert.ok(error instanceof RampartError);
      assert.equal(error.code, "nft.apply");
      assert.match(error.message, /stdin:\d+:\d+/);
      return true;
    });
    assert.deepEqual(await nft.listJson(), before);
  });

  it("check validates without committing", async () => {
    await nft.check(table("contract_c"));
    assert.equal(hasTable(await nft.listJson(), "inet", "contract_c"), false);
    await assert.rejects(
      nft.check("table inet x { chain c { bogus } }\n"),
      (e: unknown) => e instanceof RampartError && e.code === "nft.check",
    );
  });

  it("replacing a table is one transaction that keeps other tables", async () => {
    await nft.apply(table("contract_other"));
    await nft.apply(table("contract_a", "tcp dport 22 accept"));
    const ruleset = await nft.listJson();
    assert.equal(hasTable(ruleset, "inet", "contract_other"), true);
    assert.equal(hasTable(ruleset, "inet", "contract_a"), true);
  });

  it("a missing nft binary is a RampartError, not a crash", async () => {
    const broken = createNftRunner({ binary: "/nonexistent/nft", timeoutMs: 2000 });
    await assert.rejects(
      broken.listJson(),
      (e: unknown) =>
        e instanceof RampartError && /Cannot run "\/nonexistent\/nft": not found/.test(e.message),
    );
  });
});
