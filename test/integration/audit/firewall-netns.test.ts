import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCommand } from "../../../src/adapters/process/run-command.js";
import { gatherHostFacts } from "../../../src/adapters/system/gather-host-facts.js";
import { RootedFs } from "../../../src/adapters/system/rooted-fs.js";
import { factOk } from "../../../src/core/audit/audit-types.js";
import { CHECKS } from "../../../src/core/audit/check-catalog.js";
import { evaluatePort } from "../../../src/core/audit/firewall-model.js";
import type { HostFacts } from "../../../src/core/audit/host-facts.js";
import { runAudit } from "../../../src/core/audit/run-audit.js";
import { sshSettingsFrom } from "../../../src/core/audit/ssh-settings.js";
import { readSshdConfig } from "../../../src/core/sshd/read-sshd-config.js";
import { canCreateNamespaces, createLab } from "../../support/netns.js";
import { AUDIT_FIXTURES } from "./fixture-paths.js";

const PORTS = [2222, 80, 8080];

/**
 * The firewall checks read a real kernel ruleset (`nft -j list ruleset` inside a lab namespace),
 * and their port verdicts are compared with what the kernel really does to a client's connection.
 */
describe("firewall checks against real nftables in a namespace", {
  skip: canCreateNamespaces() ? false : "needs root and ip netns",
}, () => {
  const lab = createLab("raud", ["server", "client"]);
  const listeners: ChildProcess[] = [];
  after(() => {
    for (const l of listeners) l.kill("SIGKILL");
    lab.destroy();
  });
  before(async () => {
    for (const port of PORTS)
      listeners.push(lab.spawn("server", "nc", ["-lk", String(port)], { stdio: "ignore" }));
    // Wait until all three listen (poll, no fixed sleep).
    for (let i = 0; i < 100; i++) {
      const ss = lab.exec("server", "ss", ["-Htln"]);
      if (PORTS.every((p) => ss.includes(`:${p} `))) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error("listeners did not start");
  });

  const fixture = join(AUDIT_FIXTURES, "hardened");
  const fs = new RootedFs(fixture);
  const ssh = sshSettingsFrom(
    readSshdConfig({ readFile: (p) => fs.readText(p), listDir: (p) => fs.listDir(p) }),
    undefined,
  );

  async function audit(
    ruleset: string,
    behindCloudflare = false,
  ): Promise<{ facts: HostFacts; status: (id: string) => string; summary: (id: string) => string }> {
    lab.exec("server", "nft", ["flush", "ruleset"]);
    if (ruleset !== "") lab.exec("server", "nft", ["-f", "-"], ruleset);
    const gathered = await gatherHostFacts({
      settings: { behindCloudflare },
      run: (file, args, options) =>
        runCommand("ip", ["netns", "exec", lab.ns.server!, file, ...args], options ?? {}),
      netnsPid: listeners[0]!.pid!,
      binaries: { sshd: "/nonexistent/sshd", aptCache: "/nonexistent/apt-cache" },
    });
    // SSH listens on 2222 per the hardened fixture; the firewall is what is under test here.
    const facts: HostFacts = { ...gathered, ssh: factOk(ssh, "fixture") };
    const report = runAudit(CHECKS, facts, { skip: new Set(), waivers: [], host: "lab" });
    const find = (id: string) => report.findings.find((f) => f.id === id)!;
    return {
      facts,
      status: (id) => find(id).status,
      summary: (id) => `${find(id).summary} | ${find(id).evidence.join(" | ")}`,
    };
  }

  /** Does a client's TCP connection get through? A dropped SYN never answers, so probes run in parallel. */
  function kernelLetsIn(port: number): Promise<boolean> {
    // 1.5 s leaves room for process start-up when the machine is busy (Chromium tests run alongside).
    const child = spawn(
      "ip",
      ["netns", "exec", lab.ns.client!, "timeout", "1.5", "nc", "-z", lab.ip4.server!, String(port)],
      { stdio: "ignore" },
    );
    return new Promise((resolve) => child.on("close", (code) => resolve(code === 0)));
  }

  async function assertModelMatchesKernel(facts: HostFacts): Promise<void> {
    assert.ok(facts.ruleset.ok);
    if (!facts.ruleset.ok) return;
    const rs = facts.ruleset.value;
    const kernel = await Promise.all(PORTS.map((port) => kernelLetsIn(port)));
    PORTS.forEach((port, i) => {
      const v = evaluatePort(rs, port, 4);
      assert.equal(
        v.verdict !== "drop",
        kernel[i],
        `port ${port}: model says ${v.verdict} (${v.evidence.join("; ")})`,
      );
    });
  }

  it("no ruleset: firewall.active fails and every listener is exposed", async () => {
    const a = await audit("");
    assert.equal(a.status("firewall.active"), "fail", a.summary("firewall.active"));
    assert.equal(a.status("firewall.exposed"), "fail");
    assert.match(a.summary("firewall.exposed"), /:8080/);
    assert.match(a.summary("firewall.exposed"), /nc\[/, "names the owning process");
    assert.equal(a.status("firewall.ssh-allowed"), "skip");
    await assertModelMatchesKernel(a.facts);
  });

  it("default deny with a rate-limited SSH port and an intended web port: all pass", async () => {
    const a = await audit(`
table inet rampart_fw {
  chain input {
    type filter hook input priority 0; policy drop;
    iif lo accept
    ct state established,related accept
    tcp dport 2222 ct state new limit rate 6/minute accept
    tcp dport 80 accept
  }
}`);
    for (const id of [
      "firewall.active",
      "firewall.ssh-allowed",
      "firewall.ssh-ratelimit",
      "firewall.exposed",
      "firewall.docker-bypass",
    ]) {
      assert.equal(a.status(id), "pass", `${id}: ${a.summary(id)}`);
    }
    await assertModelMatchesKernel(a.facts);
  });

  it("default deny that forgets the SSH port: ssh-allowed fails (lockout)", async () => {
    const a = await audit(`
table inet rampart_fw {
  chain input { type filter hook input priority 0; policy drop; ct state established,related accept; tcp dport 80 accept; }
}`);
    assert.equal(a.status("firewall.ssh-allowed"), "fail", a.summary("firewall.ssh-allowed"));
    assert.equal(a.status("firewall.ssh-ratelimit"), "fail");
    await assertModelMatchesKernel(a.facts);
  });

  it("only the ip family filtered: IPv6 is reported wide open", async () => {
    const a = await audit(`
table ip v4only {
  chain input { type filter hook input priority 0; policy drop; tcp dport 2222 accept; }
}`);
    assert.equal(a.status("firewall.active"), "fail");
    assert.match(a.summary("firewall.active"), /IPv6 is wide open/);
    await assertModelMatchesKernel(a.facts);
  });

  it("jumps into user chains (UFW-style layout) are followed", async () => {
    const a = await audit(`
table inet rampart_fw {
  chain user-input { tcp dport 2222 limit rate 6/minute accept; tcp dport 8080 accept; }
  chain input { type filter hook input priority 0; policy drop; ct state established,related accept; jump user-input; }
}`);
    assert.equal(a.status("firewall.ssh-allowed"), "pass", a.summary("firewall.ssh-allowed"));
    assert.equal(a.status("firewall.ssh-ratelimit"), "pass", a.summary("firewall.ssh-ratelimit"));
    await assertModelMatchesKernel(a.facts);
  });

  it("Docker-style DNAT without DOCKER-USER filtering: docker-bypass fails, then passes once filtered", async () => {
    const docker = `
table ip nat {
  chain DOCKER {
    iifname != "docker0" tcp dport 8081 dnat to 172.17.0.2:80
  }
  chain PREROUTING {
    type nat hook prerouting priority -100; policy accept;
    fib daddr type local jump DOCKER
  }
}
table ip filter {
  chain DOCKER-USER {
  }
}`;
    const a = await audit(docker);
    assert.equal(a.status("firewall.docker-bypass"), "fail", a.summary("firewall.docker-bypass"));
    assert.match(a.summary("firewall.docker-bypass"), /8081/);
    const b = await audit(`${docker}\nadd rule ip filter DOCKER-USER iifname "eth0" drop`);
    assert.equal(b.status("firewall.docker-bypass"), "pass", b.summary("firewall.docker-bypass"));
  });

  it("Cloudflare-only web ports: a set of Cloudflare ranges passes, an extra source fails", async () => {
    const base = `
table inet rampart_fw {
  set cloudflare4 { type ipv4_addr; flags interval; elements = { 173.245.48.0/20, 104.16.0.0/13 } }
  chain input {
    type filter hook input priority 0; policy drop;
    ct state established,related accept
    tcp dport 2222 limit rate 6/minute accept
    tcp dport { 80, 443 } ip saddr @cloudflare4 accept
  }
}`;
    const a = await audit(base, true);
    assert.equal(a.status("web.cloudflare-only"), "pass", a.summary("web.cloudflare-only"));
    assert.equal(await kernelLetsIn(80), false, "the lab client is not Cloudflare");
    const b = await audit(
      `${base}\nadd rule inet rampart_fw input ip saddr 10.0.0.0/8 tcp dport 80 accept`,
      true,
    );
    assert.equal(b.status("web.cloudflare-only"), "fail", b.summary("web.cloudflare-only"));
    assert.match(b.summary("web.cloudflare-only"), /10\.0\.0\.0\/8/);
    assert.equal(await kernelLetsIn(80), true);
    const c = await audit("", false);
    assert.equal(c.status("web.cloudflare-only"), "skip");
  });
});
