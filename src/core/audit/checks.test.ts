import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Fact, factOk, factUnavailable } from "./audit-types.js";
import { CHECKS } from "./check-catalog.js";
import { evaluatePort } from "./firewall-model.js";
import type { CheckDefinition, HostFacts } from "./host-facts.js";
import { parseNftJson } from "./nft-ruleset.js";
import { runAudit } from "./run-audit.js";
import { computeScore } from "./score.js";

const none = <T>(): Fact<T> => factUnavailable("not in this test");

function facts(overrides: Partial<HostFacts>): HostFacts {
  return {
    mode: "live",
    root: "/",
    now: Date.parse("2026-11-21T12:00:00Z"),
    settings: { behindCloudflare: false },
    ssh: none(),
    accounts: none(),
    sudoGrants: none(),
    authorizedKeys: none(),
    pamSshd: none(),
    hostKeys: none(),
    upgrades: none(),
    autoUpgrades: none(),
    ruleset: none(),
    listening: none(),
    processes: none(),
    enabledUnits: none(),
    fail2banJails: none(),
    rampartJails: none(),
    ftpServers: none(),
    backups: none(),
    ...overrides,
  };
}

const run = (f: HostFacts) => runAudit(CHECKS, f, { skip: new Set(), waivers: [], host: "t" });
const status = (f: HostFacts, id: string) => run(f).findings.find((x) => x.id === id)?.status;

describe("checks as data", () => {
  it("has unique, stable, dotted ids and a remediation-capable shape", () => {
    const ids = CHECKS.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[a-z]+\.[a-z0-9-]+$/);
    for (const id of [
      "ssh.port",
      "ssh.root-login",
      "ssh.password-auth",
      "ssh.empty-passwords",
      "ssh.max-auth-tries",
      "ssh.crypto",
      "ssh.2fa",
      "accounts.admin-user",
      "accounts.root-password",
      "accounts.empty-passwords",
      "accounts.uid0",
      "updates.pending",
      "updates.security",
      "updates.automatic",
      "firewall.active",
      "firewall.ssh-allowed",
      "firewall.ssh-ratelimit",
      "firewall.exposed",
      "firewall.docker-bypass",
      "ips.active",
      "ips.sshd-jail",
      "ftp.port",
      "web.cloudflare-only",
      "backup.configured",
    ]) {
      assert.ok(ids.includes(id), `issue 5 check ${id}`);
    }
  });

  it("with no facts at all, every check skips or warns; nothing throws", () => {
    const r = run(facts({}));
    for (const f of r.findings) assert.ok(["skip", "warn", "fail", "pass"].includes(f.status));
    assert.equal(r.findings.find((f) => f.id === "ssh.port")?.status, "skip");
  });

  it("a check that throws becomes a warning for that check only", () => {
    const broken: CheckDefinition = {
      id: "x.broken",
      title: "t",
      area: "ssh",
      severity: "low",
      run: () => {
        throw new Error("boom");
      },
    };
    const r = runAudit([broken], facts({}), { skip: new Set(), waivers: [], host: "t" });
    assert.equal(r.findings[0]?.status, "warn");
    assert.match(r.findings[0]?.summary ?? "", /boom/);
  });

  it("waivers apply until their date, and only to failing or warning checks", () => {
    const f = facts({ backups: factOk([], "test") });
    const w = (until: string) =>
      runAudit(CHECKS, f, {
        skip: new Set(),
        waivers: [{ id: "backup.configured", reason: "r", until, at: "w.yaml:2" }],
        host: "t",
      }).findings.find((x) => x.id === "backup.configured");
    assert.equal(w("2026-12-01")?.status, "skip");
    assert.equal(w("2026-11-01")?.status, "fail", "expired waiver");
  });

  it("scores pass full, warn half, fail zero, skip excluded", () => {
    const s = computeScore([
      { id: "a", title: "", area: "ssh", severity: "critical", status: "pass", summary: "", evidence: [] },
      { id: "b", title: "", area: "ssh", severity: "high", status: "warn", summary: "", evidence: [] },
      { id: "c", title: "", area: "accounts", severity: "low", status: "fail", summary: "", evidence: [] },
      { id: "d", title: "", area: "accounts", severity: "high", status: "skip", summary: "", evidence: [] },
    ]);
    assert.deepEqual([s.earned, s.possible, s.score], [13, 17, 76]);
  });

  it("ips.active: a running fail2ban-server passes; enabled but not running fails", () => {
    const procs = factOk(
      [{ pid: 7, name: "fail2ban-server", cmdline: "/usr/bin/python3 /usr/bin/fail2ban-server -xf start" }],
      "/proc",
    );
    assert.equal(
      status(facts({ processes: procs, enabledUnits: factOk(new Set<string>(), "t") }), "ips.active"),
      "pass",
    );
    assert.equal(
      status(
        facts({ processes: factOk([], "/proc"), enabledUnits: factOk(new Set(["fail2ban.service"]), "t") }),
        "ips.active",
      ),
      "fail",
    );
  });

  it("backup.configured warns when the last run is older than two days", () => {
    const now = Date.parse("2026-11-21T12:00:00Z");
    const old = factOk([{ tool: "restic", evidence: "t", lastRun: now - 5 * 86_400_000 }], "t");
    assert.equal(status(facts({ backups: old }), "backup.configured"), "warn");
  });

  it("recognises iptables-nft's xt recent (UFW limit) as a rate limit", () => {
    const rs = parseNftJson(
      JSON.stringify({
        nftables: [
          {
            chain: {
              family: "ip",
              table: "filter",
              name: "INPUT",
              hook: "input",
              type: "filter",
              prio: 0,
              policy: "drop",
            },
          },
          { chain: { family: "ip", table: "filter", name: "ufw-user-input" } },
          {
            rule: {
              family: "ip",
              table: "filter",
              chain: "INPUT",
              handle: 1,
              expr: [{ jump: { target: "ufw-user-input" } }],
            },
          },
          {
            rule: {
              family: "ip",
              table: "filter",
              chain: "ufw-user-input",
              handle: 2,
              expr: [
                { match: { op: "==", left: { payload: { protocol: "tcp", field: "dport" } }, right: 22 } },
                { xt: { type: "match", name: "recent" } },
                { accept: null },
              ],
            },
          },
        ],
      }),
    );
    const v = evaluatePort(rs, 22, 4);
    assert.equal(v.verdict, "accept");
    assert.ok(v.rateLimited);
    assert.equal(evaluatePort(rs, 23, 4).verdict, "drop");
  });
});
