import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { canCreateNamespaces } from "../../support/netns.js";
import { FirewallLab, hostTables } from "./firewall-lab.js";

// Acceptance 1 of issue 4: each recipe of the guides, with real nftables and real listeners in
// network namespaces. The host's tables are compared before and after.
describe("rampart firewall recipes (netns lab)", {
  skip: !canCreateNamespaces() && "needs root for network namespaces",
}, () => {
  let lab: FirewallLab;
  let hostBefore = "";
  let alice4 = "";
  let bob4 = "";
  let server4 = "";
  let server6 = "";
  let alice6 = "";

  before(async () => {
    hostBefore = hostTables();
    lab = new FirewallLab("rfw");
    await lab.start();
    server4 = lab.lab.ip4.server!;
    server6 = lab.lab.ip6.server!;
    alice4 = lab.lab.ip4.alice!;
    bob4 = lab.lab.ip4.bob!;
    alice6 = lab.lab.ip6.alice!;
    // bob's link is the lab's second one: the server answers there at 10.X.2.1 / fd00:X:2::1.
  });
  after(() => {
    lab?.destroy();
    assert.equal(hostTables(), hostBefore, "the host's nftables must not change");
  });

  /** Every case starts from a fresh state dir with our table removed from the server. */
  async function fresh(extra = "", files: Record<string, string> = {}): Promise<void> {
    lab.fresh(extra, files);
    await lab.ok(["disable"]);
  }

  const serverFor = (role: "alice" | "bob", family: 4 | 6) => {
    const own = family === 4 ? lab.lab.ip4[role]! : lab.lab.ip6[role]!;
    return family === 4 ? own.replace(/\.2$/, ".1") : own.replace(/::2$/, "::1");
  };

  it("limit 22/tcp: the 6th quick connection from one source is refused, another source gets in (IPv4, IPv6)", async () => {
    await fresh();
    await lab.ok(["limit", "22/tcp"]);
    await lab.ok(["enable"]);
    assert.deepEqual(lab.probe("alice", server4, 22, 7), [
      "ok",
      "ok",
      "ok",
      "ok",
      "ok",
      "refused",
      "refused",
    ]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 4), 22, 2), ["ok", "ok"]);
    assert.deepEqual(lab.probe("alice", server6, 22, 6), ["ok", "ok", "ok", "ok", "ok", "refused"]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 6), 22, 1), ["ok"]);
  });

  it("--connlimit 2: the third concurrent connection from one source fails, other sources are fine", async () => {
    await fresh();
    await lab.ok(["allow", "22/tcp"]);
    await lab.ok(["allow", "8080/tcp", "--connlimit", "2"]);
    await lab.ok(["enable"]);
    assert.deepEqual(lab.probe("alice", server4, 8080, 3, "hold"), ["ok", "ok", "refused"]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 4), 8080, 2, "hold"), ["ok", "ok"]);
    assert.deepEqual(lab.probe("alice", server6, 8080, 3, "hold"), ["ok", "ok", "refused"]);
    // Closed connections free the slots again.
    assert.deepEqual(lab.probe("alice", server4, 8080, 2, "hold"), ["ok", "ok"]);
  });

  it("--rate 2/second: a third connection in the same second is refused, the next second admits again", async () => {
    await fresh();
    await lab.ok(["allow", "22/tcp"]);
    await lab.ok(["allow", "3000/tcp", "--rate", "2/second"]);
    await lab.ok(["enable"]);
    assert.deepEqual(lab.probe("alice", server4, 3000, 3), ["ok", "ok", "refused"]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 4), 3000, 2), ["ok", "ok"]);
    await sleep(1100);
    assert.equal(lab.probe("alice", server4, 3000, 1)[0], "ok");
    assert.deepEqual(lab.probe("alice", server6, 3000, 3), ["ok", "ok", "refused"]);
  });

  it("Cloudflare-only 80/443 with a test set: inside reaches 80/443, outside does not, both reach 22 (IPv4, IPv6)", async () => {
    const subnet4 = alice4.replace(/\.\d+$/, ".0/24");
    const subnet6 = alice6.replace(/::2$/, "::/64");
    await fresh("  sets:\n    cloudflare: cf-test.txt\n", {
      "cf-test.txt": `# stands in for Cloudflare's list\n${subnet4}\n${subnet6}\n203.0.113.0/24\n`,
    });
    await lab.ok(["allow", "22/tcp"]);
    await lab.ok(["allow", "from", "cloudflare", "to", "any", "port", "80,443", "proto", "tcp"]);
    await lab.ok(["enable"]);
    assert.deepEqual(lab.probe("alice", server4, 80, 1), ["ok"]);
    assert.deepEqual(lab.probe("alice", server4, 443, 1), ["ok"]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 4), 80, 1, "seq", 400), ["timeout"]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 4), 22, 1), ["ok"]);
    assert.deepEqual(lab.probe("alice", server4, 22, 1), ["ok"]);
    assert.deepEqual(lab.probe("alice", server6, 443, 1), ["ok"]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 6), 443, 1, "seq", 400), ["timeout"]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 6), 22, 1), ["ok"]);
  });

  it("default deny incoming blocks an unlisted port; deny and reject work; status numbered and delete N", async () => {
    await fresh();
    await lab.ok(["allow", "22/tcp"]);
    await lab.ok(["allow", "80/tcp"]);
    await lab.ok(["enable"]);
    assert.deepEqual(lab.probe("alice", server4, 2222, 1, "seq", 400), ["timeout"]);
    assert.deepEqual(lab.probe("alice", server6, 2222, 1, "seq", 400), ["timeout"]);
    assert.deepEqual(lab.probe("alice", server4, 80, 1), ["ok"]);
    await lab.ok(["insert", "1", "deny", "from", bob4]);
    await lab.ok([
      "insert",
      "1",
      "reject",
      "from",
      lab.lab.ip6.bob!,
      "to",
      "any",
      "port",
      "22",
      "proto",
      "tcp",
    ]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 4), 22, 1, "seq", 400), ["timeout"]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 6), 22, 1), ["refused"]);
    assert.deepEqual(lab.probe("alice", server4, 22, 1), ["ok"]);
    const status = await lab.ok(["status", "numbered"]);
    assert.match(status.stdout, /^Status: active$/m);
    assert.match(status.stdout, /^\[ 1\] 22\/tcp +REJECT IN +fd00:/m);
    assert.match(status.stdout, /^\[ 2\] Anywhere +DENY IN +10\./m);
    assert.match(status.stdout, /^\[ 4\] 80\/tcp +ALLOW IN +Anywhere$/m);
    await lab.ok(["delete", "4"]);
    assert.deepEqual(lab.probe("alice", server4, 80, 1, "seq", 400), ["timeout"]);
    await lab.ok(["delete", "deny", "from", bob4]);
    assert.deepEqual(lab.probe("bob", serverFor("bob", 4), 22, 1), ["ok"]);
    const after = await lab.ok(["status", "numbered"]);
    assert.doesNotMatch(after.stdout, /80\/tcp/);
  });

  it("--dry-run prints a script nft -c -f accepts and changes nothing", async () => {
    await fresh();
    await lab.ok(["allow", "22/tcp"]);
    await lab.ok(["enable"]);
    const rulesBefore = readFileSync(`${lab.stateDir}/firewall/rules.json`, "utf8");
    const kernelBefore = lab.serverNft(["list", "ruleset"]);
    const dry = await lab.ok(["limit", "80,443/tcp", "--dry-run"]);
    assert.match(dry.stdout, /^table inet rfw_test \{\}$/m);
    assert.match(dry.stdout, /limit rate over 10\/minute burst 5 packets/);
    lab.serverNft(["-c", "-f", "-"], dry.stdout);
    for (const words of [["default", "reject", "incoming"], ["delete", "1"], ["disable"], ["reset"]]) {
      const r = await lab.fw([...words, "--dry-run", "--force"]);
      assert.equal(r.code, 0, r.stderr);
      lab.serverNft(["-c", "-f", "-"], r.stdout);
    }
    assert.equal(lab.serverNft(["list", "ruleset"]), kernelBefore);
    assert.equal(readFileSync(`${lab.stateDir}/firewall/rules.json`, "utf8"), rulesBefore);
  });

  it("refuses to lock out the SSH session (SSH_CONNECTION whose port would be closed), --force overrides", async () => {
    await fresh();
    await lab.ok(["allow", "22/tcp"]);
    const session = { SSH_CONNECTION: `${alice4} 50123 ${server4} 2222` };
    const refused = await lab.fw(["enable"], session);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /lock you out/);
    assert.match(refused.stderr, /from 10\.\d+\.1\.2 to port 2222\/tcp/);
    assert.doesNotMatch(lab.tables(), /rfw_test/, "nothing loaded");
    // Allowing the session's port makes enable pass; deleting it again is refused.
    await lab.ok(["allow", "2222/tcp"], session);
    await lab.ok(["enable"], session);
    const rulesBefore = readFileSync(`${lab.stateDir}/firewall/rules.json`, "utf8");
    const del = await lab.fw(["delete", "allow", "2222/tcp"], session);
    assert.equal(del.code, 1);
    const deny = await lab.fw(["insert", "1", "deny", "from", alice4], session);
    assert.equal(deny.code, 1);
    assert.match(deny.stderr, /rule 1 "deny from 10\.\d+\.1\.2 to any" would drop it/);
    const reset = await lab.fw(["reset"], session);
    assert.equal(reset.code, 1);
    assert.equal(readFileSync(`${lab.stateDir}/firewall/rules.json`, "utf8"), rulesBefore);
    assert.deepEqual(lab.probe("alice", server4, 2222, 1), ["ok"]);
    // sshd's own port is protected even without a session.
    const sshd = await lab.fw(["delete", "allow", "22/tcp"]);
    assert.equal(sshd.code, 1);
    assert.match(sshd.stderr, /sshd's port 22\/tcp/);
    await lab.ok(["delete", "allow", "22/tcp", "--force"]);
    assert.deepEqual(lab.probe("alice", server4, 22, 1, "seq", 400), ["timeout"]);
  });
});
