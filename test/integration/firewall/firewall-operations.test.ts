import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GOLDEN_CASES } from "../../../src/core/firewall/golden-cases.js";
import { canCreateNamespaces } from "../../support/netns.js";
import { BIN, FirewallLab, hostTables } from "./firewall-lab.js";

const SHIPPED_V4 = readFileSync(new URL("../../../../data/cloudflare-ips-v4.txt", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => l !== "" && !l.startsWith("#"));
const SHIPPED_V6 = readFileSync(new URL("../../../../data/cloudflare-ips-v6.txt", import.meta.url), "utf8")
  .split("\n")
  .filter((l) => l !== "" && !l.startsWith("#"));

// Acceptance 3 (bad input leaves the running firewall unchanged), update-sets against a local
// stand-in for Cloudflare's API, other tables (Docker's) untouched, the real binary end to end.
describe("rampart firewall operations (netns lab)", {
  skip: !canCreateNamespaces() && "needs root for network namespaces",
}, () => {
  let lab: FirewallLab;
  let hostBefore = "";
  let http: Server;
  let answer: { status: number; body: string } = { status: 200, body: "" };
  let url = "";

  before(async () => {
    hostBefore = hostTables();
    lab = new FirewallLab("rfwo");
    await lab.start();
    // Cloudflare's API stand-in on the host's loopback only (the lab cannot reach the internet).
    http = createServer((_req, res) => {
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/client/v4/ips`;
  });
  after(() => {
    http?.close();
    lab?.destroy();
    assert.equal(hostTables(), hostBefore, "the host's nftables must not change");
  });

  const server4 = () => lab.lab.ip4.server!;

  it("bad input: unknown service, port 70000, malformed CIDR, garbage set file → exit 2, firewall unchanged", async () => {
    const dir = lab.fresh("  sets:\n    office: office.txt\n", { "office.txt": "192.0.2.0/24\n" });
    await lab.ok(["disable"]);
    await lab.ok(["allow", "22/tcp"]);
    await lab.ok(["allow", "from", "office", "to", "any", "port", "80"]);
    await lab.ok(["enable"]);
    const rulesPath = join(lab.stateDir, "firewall", "rules.json");
    const rules = readFileSync(rulesPath, "utf8");
    const kernel = lab.serverNft(["list", "ruleset"]);
    const cases: [string[], RegExp][] = [
      [["allow", "sshh"], /Unknown service "sshh" \(not in \/etc\/services\)/],
      [["allow", "70000/tcp"], /Invalid port "70000": ports are 1 to 65535/],
      [["allow", "80,70000/tcp"], /Invalid port "70000" in "80,70000"/],
      [["deny", "from", "10.1.2.300/24"], /Invalid address "10\.1\.2\.300\/24"/],
      [["deny", "from", "10.1.2.0/33"], /Invalid address "10\.1\.2\.0\/33"/],
      [["allow", "from", "offfice"], /Unknown address or set "offfice" \(.*office/],
      [["allow", "22/icmp"], /Unsupported protocol "icmp"/],
      [["allow", "22/tcp", "--rate", "fast"], /Invalid rate "fast"/],
      [["frobnicate"], /Unknown command "frobnicate"/],
    ];
    for (const [words, message] of cases) {
      const r = await lab.fw(words);
      assert.equal(r.code, 2, `${words.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    // A garbage line in a set file names file:line:col, and nothing is loaded.
    writeFileSync(join(dir, "office.txt"), "# office\n192.0.2.0/24\nnot-an-address\n2001:db8::/129\n");
    const r = await lab.fw(["reload"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /office\.txt:3:1: Invalid address or CIDR "not-an-address" in set "office"/);
    assert.match(r.stderr, /office\.txt:4:1: Invalid address or CIDR "2001:db8::\/129"/);
    // A config error names config:line:col.
    writeFileSync(lab.configPath, `${readFileSync(lab.configPath, "utf8")}  tabel: x\n`);
    const c = await lab.fw(["status"]);
    assert.equal(c.code, 2);
    assert.match(c.stderr, /rampart\.yaml:\d+:3: Unknown key "tabel"/);
    assert.equal(readFileSync(rulesPath, "utf8"), rules);
    assert.equal(lab.serverNft(["list", "ruleset"]), kernel);
  });

  it("update-sets: validates Cloudflare's answer, swaps the set atomically, keeps the last good list, fails cleanly offline", async () => {
    lab.fresh(`  cloudflare_url: ${url}\n`);
    await lab.ok(["disable"]);
    await lab.ok(["allow", "22/tcp"]);
    await lab.ok(["allow", "from", "cloudflare", "to", "any", "port", "80", "proto", "tcp"]);
    await lab.ok(["enable"]);
    assert.deepEqual(
      lab.probe("alice", server4(), 80, 1, "seq", 400),
      ["timeout"],
      "alice is not Cloudflare yet",
    );
    const alice = lab.lab.ip4.alice!;
    answer = {
      status: 200,
      body: JSON.stringify({
        result: { ipv4_cidrs: [...SHIPPED_V4, `${alice}/32`], ipv6_cidrs: SHIPPED_V6, etag: "x" },
        success: true,
      }),
    };
    const updated = await lab.ok(["update-sets"]);
    assert.match(updated.stdout, /updated: 16 IPv4, 7 IPv6/);
    assert.deepEqual(lab.probe("alice", server4(), 80, 1), ["ok"]);
    const lastGood = join(lab.stateDir, "firewall", "sets", "cloudflare-v4.txt");
    const good = readFileSync(lastGood, "utf8");
    assert.match(good, new RegExp(`^${alice.replace(/\./g, "\\.")}$`, "m"));
    const kernel = lab.serverNft(["list", "ruleset"]);
    const refusals: [{ status: number; body: string }, RegExp][] = [
      [
        {
          status: 200,
          body: JSON.stringify({
            result: { ipv4_cidrs: SHIPPED_V4.slice(0, 11), ipv6_cidrs: SHIPPED_V6 },
            success: true,
          }),
        },
        /drops 5 of 16 known IPv4 ranges/,
      ],
      [
        {
          status: 200,
          body: JSON.stringify({
            result: { ipv4_cidrs: [...SHIPPED_V4, "300.1.1.0/24"], ipv6_cidrs: SHIPPED_V6 },
            success: true,
          }),
        },
        /Invalid IPv4 CIDR "300\.1\.1\.0\/24"/,
      ],
      [
        {
          status: 200,
          body: JSON.stringify({
            result: { ipv4_cidrs: SHIPPED_V4, ipv6_cidrs: SHIPPED_V6 },
            success: false,
          }),
        },
        /"success": true/,
      ],
      [{ status: 200, body: "<html>captive portal</html>" }, /not JSON/],
      [{ status: 503, body: "" }, /HTTP 503; keeping the current list \(16 IPv4, 7 IPv6/],
    ];
    for (const [reply, message] of refusals) {
      answer = reply;
      const r = await lab.fw(["update-sets"]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(readFileSync(lastGood, "utf8"), good);
    }
    // Offline: nothing listens at the URL (a port just freed on loopback).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    lab.fresh(`  cloudflare_url: http://127.0.0.1:${closedPort}/client/v4/ips\n`);
    const offline = await lab.fw(["update-sets"]);
    assert.equal(offline.code, 1);
    assert.match(
      offline.stderr,
      /Cannot fetch Cloudflare's ranges from http:\/\/127\.0\.0\.1:\d+\/client\/v4\/ips: ECONNREFUSED; keeping the current list \(15 IPv4, 7 IPv6/,
    );
    assert.equal(existsSync(join(lab.stateDir, "firewall", "sets", "cloudflare-v4.txt")), false);
    assert.equal(lab.serverNft(["list", "ruleset"]), kernel);
    assert.deepEqual(lab.probe("alice", server4(), 80, 1), ["ok"]);
  });

  it("leaves other tables alone and reports Docker's published ports in status", async () => {
    lab.fresh();
    await lab.ok(["disable"]);
    // What iptables-nft makes of Docker's `-p 8081:80`: a DNAT in chain DOCKER of table ip nat.
    lab.serverNft(
      ["-f", "-"],
      `table ip nat {\n chain DOCKER {\n  iifname != "docker0" meta l4proto tcp tcp dport 8081 counter dnat to 172.17.0.2:80\n }\n}\ntable inet guard_test {\n set banned { type ipv4_addr; elements = { 192.0.2.66 } }\n}\n`,
    );
    await lab.ok(["allow", "22/tcp"]);
    await lab.ok(["enable"]);
    await lab.ok(["reload"]);
    // reset would close sshd's port: refused without --force (lockout protection).
    assert.equal((await lab.fw(["reset"])).code, 1);
    await lab.ok(["reset", "--force"]);
    const tables = lab.tables();
    assert.match(tables, /table ip nat/);
    assert.match(tables, /table inet guard_test/);
    assert.match(tables, /table inet rfwo_test/);
    const status = await lab.ok(["status"]);
    assert.match(status.stdout, /Docker is active here.*8081\/tcp -> 172\.17\.0\.2:80/s);
    await lab.ok(["disable"]);
    assert.doesNotMatch(lab.tables(), /rfwo_test/);
    assert.match(lab.tables(), /table inet guard_test/);
    lab.serverNft(["delete", "table", "ip", "nat"]);
    lab.serverNft(["delete", "table", "inet", "guard_test"]);
  });

  it("serialises concurrent changes with a lock file and takes over a stale one", async () => {
    lab.fresh();
    await lab.ok(["disable"]);
    const lock = join(lab.stateDir, "firewall", ".lock");
    writeFileSync(lock, "1\n"); // pid 1 is alive
    const busy = await lab.fw(["allow", "22/tcp"]);
    assert.equal(busy.code, 1);
    assert.match(busy.stderr, /Another "rampart firewall" command is changing the rules \(pid 1\)/);
    writeFileSync(lock, "2147483646\n"); // no such process
    await lab.ok(["allow", "22/tcp"]);
    assert.equal(existsSync(lock), false);
  });

  it("every golden script (test/fixtures/firewall/*.nft) is accepted by nft -c", () => {
    for (const c of GOLDEN_CASES) {
      const golden = readFileSync(
        new URL(`../../../../test/fixtures/firewall/${c.name}.nft`, import.meta.url),
        "utf8",
      );
      lab.serverNft(["-c", "-f", "-"], golden);
    }
  });

  it("the real binary: --config after the words, reload restores the kernel from the stored rules, install writes the unit", async () => {
    const dir = lab.fresh(`  unit_path: unit/rampart-firewall.service\n`);
    const run = (...words: string[]) =>
      execFileSync(
        "ip",
        [
          "netns",
          "exec",
          lab.lab.ns.server!,
          process.execPath,
          BIN,
          "firewall",
          ...words,
          "--config",
          lab.configPath,
        ],
        {
          env: { ...process.env, SSH_CONNECTION: "" },
        },
      ).toString();
    run("disable");
    // --config may also come first, before the rule words.
    execFileSync("ip", [
      "netns",
      "exec",
      lab.lab.ns.server!,
      process.execPath,
      BIN,
      "firewall",
      "--config",
      lab.configPath,
      "allow",
      "22/tcp",
    ]);
    run("allow", "443/tcp", "comment", "web");
    assert.match(run("enable"), /active/);
    // A reboot forgets the kernel's rules; reload (what the boot unit runs) brings them back.
    lab.serverNft(["delete", "table", "inet", lab.table]);
    assert.match(run("status"), /not loaded/);
    assert.match(run("reload"), /reloaded/);
    assert.deepEqual(lab.probe("alice", server4(), 443, 1), ["ok"]);
    assert.match(run("status", "verbose"), /443\/tcp +ALLOW IN +Anywhere {2}# web/);
    assert.match(run("install"), /Wrote .*unit\/rampart-firewall\.service/);
    const unit = readFileSync(join(dir, "unit", "rampart-firewall.service"), "utf8");
    assert.match(unit, /^ExecStart=\S+ \S+\/bin\/rampart firewall reload --config \S+rampart\.yaml$/m);
    assert.match(unit, /^Before=network-pre\.target/m);
    const applied = readFileSync(join(lab.stateDir, "firewall", "applied.nft"), "utf8");
    lab.serverNft(["-c", "-f", "-"], applied);
    run("disable");
  });
});
