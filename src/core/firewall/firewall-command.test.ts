import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type FirewallCommand,
  mergeRanges,
  parseFirewallCommand,
  type RuleExtras,
} from "./firewall-command.js";
import type { FirewallRule } from "./firewall-rule.js";
import { parseServices } from "./services-file.js";

const services = parseServices(`
ssh		22/tcp				# SSH Remote Login Protocol
domain		53/tcp
domain		53/udp
http		80/tcp		www
https		443/tcp
https		443/udp
bootps		67/udp
`);
const context = { services, servicesFile: "/etc/services", knownSets: ["cloudflare", "office"] };

function parse(line: string, extras: RuleExtras = {}): FirewallCommand {
  const result = parseFirewallCommand(line.split(" "), extras, context);
  if (!result.ok) assert.fail(`${line}: ${result.problems.map((p) => p.message).join("; ")}`);
  return result.value;
}

function rule(line: string, extras: RuleExtras = {}): FirewallRule {
  const command = parse(line, extras);
  assert.equal(command.kind, "add");
  return (command as { rule: FirewallRule }).rule;
}

function errors(line: string, extras: RuleExtras = {}): string {
  const result = parseFirewallCommand(line.split(" "), extras, context);
  assert.equal(result.ok, false, `${line} should fail`);
  return result.ok ? "" : result.problems.map((p) => p.message).join("\n");
}

describe("UFW grammar", () => {
  it("parses the simple form: ports, protocols, lists, ranges, services", () => {
    assert.deepEqual(rule("allow 22/tcp"), {
      action: "allow",
      direction: "in",
      proto: "tcp",
      from: { kind: "any" },
      to: { kind: "any" },
      toPorts: [{ from: 22, to: 22 }],
    });
    assert.equal(rule("allow 53").proto, "any");
    assert.deepEqual(rule("allow 443,80/tcp").toPorts, [
      { from: 80, to: 80 },
      { from: 443, to: 443 },
    ]);
    assert.deepEqual(rule("allow 6000:6007/udp").toPorts, [{ from: 6000, to: 6007 }]);
    assert.deepEqual(rule("allow ssh"), rule("allow 22/tcp"));
    assert.equal(rule("allow www").proto, "tcp");
    assert.equal(rule("allow domain").proto, "any");
    assert.equal(rule("allow https/udp").proto, "udp");
    assert.equal(rule("limit ssh").action, "limit");
    assert.equal(rule("deny out 25/tcp").direction, "out");
    assert.deepEqual(rule("allow 22/tcp comment admin").comment, "admin");
  });

  it("parses the extended form", () => {
    const r = rule("allow in on eth0 proto tcp from 192.0.2.7 port 1024:65535 to 10.0.0.1 port 443");
    assert.equal(r.iface, "eth0");
    assert.deepEqual(r.from, { kind: "cidr", family: 4, cidr: "192.0.2.7" });
    assert.deepEqual(r.fromPorts, [{ from: 1024, to: 65535 }]);
    assert.deepEqual(r.to, { kind: "cidr", family: 4, cidr: "10.0.0.1" });
    assert.deepEqual(rule("allow from cloudflare to any port 80,443 proto tcp").from, {
      kind: "set",
      name: "cloudflare",
    });
    assert.deepEqual(rule("deny from 2001:db8::/32").from, {
      kind: "cidr",
      family: 6,
      cidr: "2001:db8::/32",
    });
    // Host bits are cleared, as nft would require.
    assert.deepEqual(rule("deny from 10.1.2.3/8").from, { kind: "cidr", family: 4, cidr: "10.0.0.0/8" });
    assert.deepEqual(rule("allow in on eth1 to any port 80").toPorts, [{ from: 80, to: 80 }]);
  });

  it("takes --connlimit, --rate and --burst on allow and limit", () => {
    assert.equal(rule("allow 22/tcp", { connlimit: "2" }).connlimit, 2);
    assert.deepEqual(rule("allow 22/tcp", { rate: "2/second" }).rate, { count: 2, unit: "second", burst: 2 });
    assert.deepEqual(rule("allow 22/tcp", { rate: "30/minute", burst: "10" }).rate, {
      count: 30,
      unit: "minute",
      burst: 10,
    });
    assert.equal(rule("limit 22/tcp").rate, undefined);
    assert.match(errors("deny 22/tcp", { connlimit: "2" }), /apply to "allow" and "limit" rules only/);
    assert.match(errors("allow 22/tcp", { rate: "2/fortnight" }), /Invalid rate "2\/fortnight"/);
    assert.match(errors("allow 22/tcp", { connlimit: "0" }), /Invalid --connlimit "0"/);
    assert.match(errors("allow 22/tcp", { burst: "3" }), /--burst needs --rate/);
    assert.match(errors("status", { connlimit: "3" }), /Unknown status option|apply to/);
  });

  it("names the offending token in every error", () => {
    assert.match(errors("allow sshh"), /Unknown service "sshh" \(not in \/etc\/services\)/);
    assert.match(errors("allow 70000"), /Invalid port "70000": ports are 1 to 65535/);
    assert.match(errors("allow 0/tcp"), /Invalid port "0"/);
    assert.match(errors("allow 22,70000/tcp"), /Invalid port "70000" in "22,70000"/);
    assert.match(errors("allow 6007:6000/tcp"), /Invalid port range "6007:6000"/);
    assert.match(errors("deny from 10.0.0.300"), /Invalid address "10\.0\.0\.300"/);
    assert.match(errors("deny from 10.0.0.0/33"), /Invalid address "10\.0\.0\.0\/33"/);
    assert.match(errors("deny from 2001:db8:::1"), /Invalid address "2001:db8:::1"/);
    assert.match(errors("deny from 010.0.0.1"), /Invalid address "010\.0\.0\.1"/);
    assert.match(errors("allow from offfice"), /Unknown address or set "offfice" .*cloudflare, office/);
    assert.match(errors("allow 22/icmp"), /Unsupported protocol "icmp"/);
    assert.match(errors("allow from 10.0.0.1 to 2001:db8::1"), /different IP versions/);
    assert.match(errors("allow 22/tcp from 10.0.0.1"), /cannot follow the short form/);
    assert.match(errors("allow"), /Incomplete rule/);
    assert.match(errors('allow 22/tcp comment a"b'), /Invalid comment/);
    assert.match(errors("allow in on bad/name 22"), /Invalid interface name "bad\/name"/);
    assert.match(errors("allow 22/tcp bogus"), /Unexpected "bogus"/);
    assert.match(errors("frobnicate"), /Unknown command "frobnicate"/);
    assert.match(errors("https/tcp"), /Unknown command/);
    // Several problems at once are all reported.
    const many = errors("allow from 10.0.0.300 to any port 70000");
    assert.match(many, /10\.0\.0\.300/);
    assert.match(many, /70000/);
  });

  it("parses the other commands", () => {
    assert.deepEqual(parse("status"), { kind: "status", mode: "plain" });
    assert.deepEqual(parse("status numbered"), { kind: "status", mode: "numbered" });
    assert.deepEqual(parse("default deny"), { kind: "default", policy: "deny", direction: "incoming" });
    assert.deepEqual(parse("default allow outgoing"), {
      kind: "default",
      policy: "allow",
      direction: "outgoing",
    });
    assert.deepEqual(parse("delete 3"), { kind: "delete-number", number: 3 });
    assert.equal(parse("delete allow 22/tcp").kind, "delete-rule");
    assert.deepEqual(parse("insert 1 deny from 192.0.2.1"), {
      kind: "add",
      position: 1,
      rule: {
        action: "deny",
        direction: "in",
        proto: "any",
        from: { kind: "cidr", family: 4, cidr: "192.0.2.1" },
        to: { kind: "any" },
      },
    });
    for (const verb of ["enable", "disable", "reload", "reset", "update-sets", "install"])
      assert.equal(parse(verb).kind, verb);
    assert.match(errors("default maybe"), /Unknown default policy "maybe"/);
    assert.match(errors("default deny sideways"), /Unknown direction "sideways"/);
    assert.match(errors("insert 0 allow 22"), /Invalid position "0"/);
    assert.match(errors("delete 1 2"), /Invalid rule number/);
    assert.match(errors("enable now"), /takes no arguments/);
  });

  it("merges port ranges", () => {
    assert.deepEqual(
      mergeRanges([
        { from: 80, to: 80 },
        { from: 79, to: 81 },
        { from: 82, to: 90 },
        { from: 443, to: 443 },
      ]),
      [
        { from: 79, to: 90 },
        { from: 443, to: 443 },
      ],
    );
  });
});
