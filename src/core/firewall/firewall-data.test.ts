import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseCidr } from "../ip/ip-address.js";
import { applyCommand } from "./apply-command.js";
import { parseCloudflareRanges } from "./cloudflare-ranges.js";
import { detectDockerPublishedPorts } from "./docker-detect.js";
import { type FirewallRule, INITIAL_STATE } from "./firewall-rule.js";
import { parseFirewallState, serializeFirewallState } from "./firewall-state.js";
import { GOLDEN_CASES } from "./golden-cases.js";
import { parseServices } from "./services-file.js";
import { makeAddressSet, parseSetFile } from "./set-file.js";
import { formatStatus } from "./status-report.js";
import { renderFirewallUnit } from "./systemd-unit.js";

const FIXTURES = new URL("../../../../test/fixtures/firewall/", import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), "utf8");
const DATA = new URL("../../../../data/", import.meta.url);

describe("set files", () => {
  it("parses CIDRs and addresses with comments, splits families, drops contained duplicates", () => {
    const r = parseSetFile(
      "# office\n192.0.2.0/24\n192.0.2.7  # inside the /24\n\n2001:db8::/32\n10.0.0.1\n",
      "office.txt",
      "office",
    );
    assert.ok(r.ok);
    assert.deepEqual(
      r.value.v4.map((n) => n.text),
      ["10.0.0.1", "192.0.2.0/24"],
    );
    assert.deepEqual(
      r.value.v6.map((n) => n.text),
      ["2001:db8::/32"],
    );
  });

  it("reports every garbage line as file:line:col", () => {
    const r = parseSetFile(
      "192.0.2.0/24\n  not-an-ip\n10.0.0.0/33\n1.2.3.4 5.6.7.8\n",
      "/etc/rampart/office.txt",
      "office",
    );
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(
      r.problems.map((p) => `${p.at?.file}:${p.at?.line}:${p.at?.col}`),
      ["/etc/rampart/office.txt:2:3", "/etc/rampart/office.txt:3:1", "/etc/rampart/office.txt:4:1"],
    );
    assert.match(r.problems[0]!.message, /Invalid address or CIDR "not-an-ip" in set "office"/);
  });

  it("the shipped Cloudflare lists are valid and complete", () => {
    const v4 = parseSetFile(readFileSync(new URL("cloudflare-ips-v4.txt", DATA), "utf8"), "v4", "cloudflare");
    const v6 = parseSetFile(readFileSync(new URL("cloudflare-ips-v6.txt", DATA), "utf8"), "v6", "cloudflare");
    assert.ok(v4.ok && v6.ok);
    assert.equal(v4.value.v4.length, 15);
    assert.equal(v4.value.v6.length, 0);
    assert.equal(v6.value.v6.length, 7);
  });
});

describe("services file", () => {
  it("maps names and aliases to ports and protocols, skipping junk", () => {
    const s = parseServices(
      "http\t80/tcp www # web\nhttps 443/tcp\nhttps 443/udp\nbroken line\nbad 99999/tcp\n",
    );
    assert.deepEqual(s.get("www"), [{ port: 80, proto: "tcp" }]);
    assert.deepEqual(s.get("https"), [
      { port: 443, proto: "tcp" },
      { port: 443, proto: "udp" },
    ]);
    assert.equal(s.get("bad"), undefined);
    assert.equal(s.get("broken"), undefined);
  });
});

describe("Cloudflare ranges", () => {
  const v4 = readFileSync(new URL("cloudflare-ips-v4.txt", DATA), "utf8")
    .split("\n")
    .filter((l) => /^\d/.test(l));
  const v6 = readFileSync(new URL("cloudflare-ips-v6.txt", DATA), "utf8")
    .split("\n")
    .filter((l) => /^[0-9a-f]+:/.test(l));
  const body = (a: unknown[], b: unknown[], success = true) =>
    JSON.stringify({ result: { ipv4_cidrs: a, ipv6_cidrs: b }, success });
  const lastGood = { v4: v4.map((t) => parseCidr(t)!), v6: v6.map((t) => parseCidr(t)!) };

  it("accepts the API's format", () => {
    const r = parseCloudflareRanges(fixture("cloudflare-api.json"), lastGood);
    assert.ok(r.ok);
    assert.equal(r.value.v4.length, 15);
    assert.equal(r.value.v6.length, 7);
  });

  it("refuses bad answers with a reason", () => {
    const reason = (text: string, force = false) => {
      const r = parseCloudflareRanges(text, lastGood, { force });
      return r.ok ? "accepted" : r.problems.map((p) => p.message).join("; ");
    };
    assert.match(reason("nope"), /not JSON/);
    assert.match(reason(body(v4, v6, false)), /"success": true/);
    assert.match(reason(body([...v4, "2400:cb00::/32"], v6)), /Invalid IPv4 CIDR "2400:cb00::\/32"/);
    assert.match(reason(body([...v4, 17], v6)), /Invalid IPv4 CIDR 17/);
    assert.match(reason(body(v4.slice(0, 3), v6)), /only 3 IPv4/);
    assert.match(reason(body(v4.slice(0, 11), v6)), /drops 4 of 15 known IPv4 ranges/);
    assert.equal(reason(body(v4.slice(0, 11), v6), true), "accepted");
  });
});

describe("Docker detection", () => {
  it("finds DNATed published ports in iptables-nft's DOCKER chain", () => {
    const findings = detectDockerPublishedPorts(JSON.parse(fixture("docker-ruleset.json")));
    assert.equal(findings.present, true);
    assert.deepEqual(findings.published, [
      { family: "ip", proto: "tcp", port: "8080", target: "172.17.0.2:80" },
      { family: "ip", proto: "tcp", port: "5432", target: "172.17.0.3:5432" },
    ]);
  });

  it("is quiet without Docker", () => {
    assert.deepEqual(
      detectDockerPublishedPorts({ nftables: [{ table: { family: "inet", name: "rampart_fw" } }] }),
      {
        present: false,
        published: [],
      },
    );
    assert.deepEqual(detectDockerPublishedPorts(null), { present: false, published: [] });
  });
});

describe("state transitions", () => {
  const allow22: FirewallRule = {
    action: "allow",
    direction: "in",
    proto: "tcp",
    from: { kind: "any" },
    to: { kind: "any" },
    toPorts: [{ from: 22, to: 22 }],
  };
  const deny: FirewallRule = { ...allow22, action: "deny", toPorts: [{ from: 23, to: 23 }] };

  it("adds, skips duplicates (comment ignored), inserts, deletes by number and by rule", () => {
    const s1 = applyCommand(INITIAL_STATE, { kind: "add", rule: allow22 });
    assert.ok(s1.ok);
    const dup = applyCommand(s1.value.state, { kind: "add", rule: { ...allow22, comment: "again" } });
    assert.ok(dup.ok && !dup.value.changed);
    const s2 = applyCommand(s1.value.state, { kind: "add", rule: deny, position: 1 });
    assert.ok(s2.ok && s2.value.lockoutSensitive);
    assert.deepEqual(s2.value.state.rules, [deny, allow22]);
    const s3 = applyCommand(s2.value.state, { kind: "delete-number", number: 2 });
    assert.ok(s3.ok);
    assert.deepEqual(s3.value.state.rules, [deny]);
    const s4 = applyCommand(s2.value.state, { kind: "delete-rule", rule: deny });
    assert.ok(s4.ok);
    assert.deepEqual(s4.value.state.rules, [allow22]);
  });

  it("rejects out-of-range positions and unknown rules", () => {
    const r1 = applyCommand(INITIAL_STATE, { kind: "delete-number", number: 1 });
    assert.ok(!r1.ok && /there are 0 rules/.test(r1.problems[0]!.message));
    const r2 = applyCommand(INITIAL_STATE, { kind: "add", rule: allow22, position: 2 });
    assert.ok(!r2.ok && /Invalid position "2"/.test(r2.problems[0]!.message));
    const r3 = applyCommand(INITIAL_STATE, { kind: "delete-rule", rule: allow22 });
    assert.ok(!r3.ok && /non-existent rule "allow 22\/tcp"/.test(r3.problems[0]!.message));
  });

  it("reset keeps the on/off switch; default deny incoming is lockout-sensitive", () => {
    const on = { ...INITIAL_STATE, enabled: true, rules: [allow22] };
    const reset = applyCommand(on, { kind: "reset" });
    assert.ok(reset.ok);
    assert.deepEqual(reset.value.state, { ...INITIAL_STATE, enabled: true });
    const d = applyCommand(on, { kind: "default", policy: "deny", direction: "incoming" });
    assert.ok(d.ok && d.value.lockoutSensitive);
    const o = applyCommand(on, { kind: "default", policy: "deny", direction: "outgoing" });
    assert.ok(o.ok && !o.value.lockoutSensitive);
  });

  it("round-trips the stored JSON and refuses a damaged file", () => {
    for (const c of GOLDEN_CASES) {
      const back = parseFirewallState(serializeFirewallState(c.state), "rules.json");
      assert.ok(back.ok);
      assert.deepEqual(back.value, c.state);
    }
    const broken = parseFirewallState(
      '{"version":1,"enabled":true,"defaults":{"incoming":"deny","outgoing":"allow","routed":"disabled"},"rules":[{"action":"allow"}]}',
      "rules.json",
    );
    assert.ok(!broken.ok && /Invalid rule 1 in rules\.json/.test(broken.problems[0]!.message));
    const json = parseFirewallState("{", "rules.json");
    assert.ok(!json.ok && /Invalid JSON in rules\.json/.test(json.problems[0]!.message));
  });
});

describe("status and boot unit", () => {
  it("formats ufw-style numbered and verbose status with Docker warnings", () => {
    const c = GOLDEN_CASES.find((g) => g.name === "cloudflare-web")!;
    const docker = detectDockerPublishedPorts(JSON.parse(fixture("docker-ruleset.json")));
    const facts = { state: c.state, loaded: true, table: "rampart_fw", sets: c.sets, docker };
    assert.equal(formatStatus(facts, "numbered"), fixture("status-numbered.txt"));
    const verbose = formatStatus({ ...facts, loaded: false }, "verbose");
    assert.match(verbose, /^Status: inactive \(enabled, but table inet rampart_fw is not loaded/m);
    assert.match(verbose, /^Default: reject \(incoming\), deny \(outgoing\), deny \(routed\)$/m);
    assert.match(verbose, /^Set cloudflare: 2 IPv4, 2 IPv6 \(cloudflare\.txt\)$/m);
  });

  it("renders the systemd unit that reloads at boot", () => {
    const unit = renderFirewallUnit({
      rampart: ["/usr/bin/node", "/opt/rampart/bin/rampart"],
      configPath: "/etc/rampart/rampart.yaml",
      table: "rampart_fw",
    });
    assert.equal(unit, fixture("rampart-firewall.service"));
    const quoted = renderFirewallUnit({
      rampart: ["/opt/my rampart/bin/rampart"],
      configPath: "/etc/r%.yaml",
      table: "t",
    });
    assert.match(
      quoted,
      /^ExecStart="\/opt\/my rampart\/bin\/rampart" firewall reload --config \/etc\/r%%\.yaml$/m,
    );
  });

  it("makeAddressSet keeps one copy of nested networks", () => {
    const s = makeAddressSet(
      "x",
      ["10.0.0.0/8", "10.1.0.0/16", "10.1.2.3", "11.0.0.1"].map((t) => parseCidr(t)!),
      "x",
    );
    assert.deepEqual(
      s.v4.map((n) => n.text),
      ["10.0.0.0/8", "11.0.0.1"],
    );
  });
});
