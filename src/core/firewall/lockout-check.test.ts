import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCidr, parseIp } from "../ip/ip-address.js";
import { parseFirewallCommand } from "./firewall-command.js";
import { type FirewallRule, type FirewallState, INITIAL_STATE } from "./firewall-rule.js";
import { checkLockout, parseSshConnection, parseSshdPorts } from "./lockout-check.js";
import { evaluatePacket } from "./packet-evaluator.js";
import { parseServices } from "./services-file.js";
import { makeAddressSet } from "./set-file.js";

const sets = new Map([
  [
    "office",
    makeAddressSet("office", [parseCidr("192.0.2.0/24")!, parseCidr("2001:db8:1::/48")!], "office.txt"),
  ],
]);

function rules(...lines: string[]): FirewallRule[] {
  return lines.map((line) => {
    const r = parseFirewallCommand(
      line.split(" "),
      {},
      { services: parseServices("ssh 22/tcp\n"), servicesFile: "s", knownSets: ["office"] },
    );
    if (!r.ok || r.value.kind !== "add") throw new Error(line);
    return r.value.rule;
  });
}

function state(lines: string[], extra: Partial<FirewallState> = {}): FirewallState {
  return { ...INITIAL_STATE, enabled: true, rules: rules(...lines), ...extra };
}

const session = parseSshConnection("192.0.2.10 51234 203.0.113.1 22")!;

describe("packet evaluator", () => {
  const packet = (saddr: string, dport: number, proto: "tcp" | "udp" = "tcp") => ({
    direction: "in" as const,
    saddr: parseIp(saddr)!,
    daddr: parseIp(saddr.includes(":") ? "2001:db8::1" : "203.0.113.1")!,
    proto,
    sport: 40000,
    dport,
  });

  it("takes the first matching rule, then the default policy", () => {
    const s = state(["deny from 192.0.2.66", "allow 22/tcp", "reject 25"]);
    assert.deepEqual(evaluatePacket(s, sets, packet("192.0.2.66", 22)), { verdict: "drop", decidedBy: 1 });
    assert.deepEqual(evaluatePacket(s, sets, packet("192.0.2.67", 22)), { verdict: "accept", decidedBy: 2 });
    assert.deepEqual(evaluatePacket(s, sets, packet("192.0.2.67", 25, "udp")), {
      verdict: "reject",
      decidedBy: 3,
    });
    assert.deepEqual(evaluatePacket(s, sets, packet("192.0.2.67", 80)), {
      verdict: "drop",
      decidedBy: "default",
    });
    assert.deepEqual(evaluatePacket(s, sets, packet("192.0.2.67", 22, "udp")), {
      verdict: "drop",
      decidedBy: "default",
    });
  });

  it("matches sets per family, IPv6 CIDRs, limit as accepting, and a disabled firewall as open", () => {
    const s = state(["allow from office to any port 80", "limit 2222/tcp"]);
    assert.equal(evaluatePacket(s, sets, packet("2001:db8:1:5::9", 80)).verdict, "accept");
    assert.equal(evaluatePacket(s, sets, packet("2001:db8:2::9", 80)).verdict, "drop");
    assert.equal(evaluatePacket(s, sets, packet("198.51.100.1", 2222)).verdict, "accept");
    assert.deepEqual(evaluatePacket({ ...s, enabled: false }, sets, packet("198.51.100.1", 1)), {
      verdict: "accept",
      decidedBy: "disabled",
    });
  });

  it("treats interface-bound rules pessimistically when the interface is unknown", () => {
    const s = state(["allow in on eth0 to any port 22", "deny in on eth1 from any", "allow 22/tcp"]);
    const p = packet("198.51.100.1", 22);
    assert.equal(evaluatePacket(s, sets, p, { unknownIface: "pessimistic" }).decidedBy, 2);
    assert.equal(evaluatePacket(s, sets, { ...p, iface: "eth0" }).decidedBy, 1);
    assert.equal(evaluatePacket(s, sets, { ...p, iface: "eth2" }).decidedBy, 3);
  });
});

describe("lockout check", () => {
  it("admits a ruleset that lets the session in", () => {
    assert.deepEqual(checkLockout(state(["allow 22/tcp"]), sets, session, [22]), []);
    assert.deepEqual(
      checkLockout(state(["allow from office to any port 22 proto tcp"]), sets, session, [22]),
      [],
    );
    assert.deepEqual(checkLockout(state([], { enabled: false }), sets, session, [22]), []);
    assert.deepEqual(
      checkLockout(
        state([], { defaults: { ...INITIAL_STATE.defaults, incoming: "allow" } }),
        sets,
        session,
        [22],
      ),
      [],
    );
  });

  it("refuses a ruleset that would not admit the session, naming the deciding rule", () => {
    const [p] = checkLockout(state(["deny from office", "allow 22/tcp"]), sets, session, []);
    assert.match(
      p?.message ?? "",
      /from 192\.0\.2\.10 to port 22\/tcp would not be admitted \(rule 1 "deny from office to any" would drop it\)/,
    );
    const [d] = checkLockout(state(["allow 80/tcp"]), sets, session, []);
    assert.match(d?.message ?? "", /default incoming policy "deny" would drop it/);
  });

  it("checks sshd's ports from any source a rule admits, even without a session", () => {
    assert.deepEqual(checkLockout(state(["allow 22/tcp"]), sets, undefined, [22]), []);
    assert.deepEqual(checkLockout(state(["allow from office to any port 22"]), sets, undefined, [22]), []);
    assert.deepEqual(
      checkLockout(state(["allow from 2001:db8:1::/48 to any port 2200"]), sets, undefined, [2200]),
      [],
    );
    const problems = checkLockout(state(["allow 22/tcp"]), sets, undefined, [22, 2222]);
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? "", /sshd's port 2222\/tcp/);
    // An allow shadowed by an earlier deny does not count.
    assert.equal(checkLockout(state(["deny 22/tcp", "allow 22/tcp"]), sets, undefined, [22]).length, 1);
  });

  it("reads SSH_CONNECTION and sshd -T strictly", () => {
    assert.equal(parseSshConnection("::ffff:192.0.2.1 5 2001:db8::1 22")?.client.text, "192.0.2.1");
    assert.equal(parseSshConnection("bogus"), undefined);
    assert.equal(parseSshConnection("192.0.2.1 5 192.0.2.2 70000"), undefined);
    assert.equal(parseSshConnection(undefined), undefined);
    assert.deepEqual(
      parseSshdPorts("port 2222\naddressfamily any\nport 22\nlistenaddress 0.0.0.0:22\n"),
      [22, 2222],
    );
  });
});
