import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseCidr } from "../ip/ip-address.js";
import { INITIAL_STATE } from "./firewall-rule.js";
import { GOLDEN_CASES } from "./golden-cases.js";
import { formatRuleWords, renderFirewallScript } from "./nft-script.js";
import { makeAddressSet } from "./set-file.js";

const FIXTURES = new URL("../../../../test/fixtures/firewall/", import.meta.url);

describe("nft script renderer", () => {
  for (const c of GOLDEN_CASES) {
    it(`renders "${c.name}" exactly as its golden file`, () => {
      const script = renderFirewallScript(c.state, c.sets, { table: "rampart_fw" });
      const golden = new URL(`${c.name}.nft`, FIXTURES);
      // RAMPART_UPDATE_GOLDEN=1 rewrites the files; review the diff before committing.
      if (process.env.RAMPART_UPDATE_GOLDEN) writeFileSync(golden, script);
      assert.equal(script, readFileSync(golden, "utf8"));
    });
  }

  it("touches only its own table, never the whole ruleset", () => {
    for (const c of GOLDEN_CASES) {
      const script = renderFirewallScript(c.state, c.sets, { table: "t1" });
      assert.doesNotMatch(script, /flush ruleset/);
      const tables = [...script.matchAll(/^(?:delete )?table (\S+ \S+)/gm)].map((m) => m[1]);
      assert.ok(
        tables.every((t) => t === "inet t1"),
        tables.join(),
      );
    }
  });

  it("puts the baseline before any user rule, so user rules cannot break it", () => {
    const c = GOLDEN_CASES.find((g) => g.name === "cloudflare-web")!;
    const script = renderFirewallScript(c.state, c.sets, { table: "t" });
    const input = script.slice(script.indexOf("chain input {"));
    const order = [
      'iif "lo" accept',
      "ct state established,related accept",
      "ct state invalid drop",
      "nd-neighbor-solicit",
      "jump user_input",
    ];
    const positions = order.map((s) => input.indexOf(s));
    assert.ok(
      positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)),
      String(positions),
    );
  });

  it("renders a rule's words back so `delete RULE` and comments read like the command", () => {
    const c = GOLDEN_CASES.find((g) => g.name === "cloudflare-web")!;
    assert.deepEqual(
      c.state.rules.map((r) => formatRuleWords(r).join(" ")),
      [
        "allow 22/tcp",
        "allow proto tcp from cloudflare to any port 80,443",
        "deny from office to any",
        "allow in on eth0 proto udp from 203.0.113.0/24 port 53 to 192.0.2.1 port 1024:65535",
        "allow 8080/tcp --connlimit 2 --rate 2/second --burst 2",
        "allow from 2001:db8::/32 to any port 9000 --rate 30/minute --burst 10",
        "reject out 25/tcp",
        "allow out 53",
        "deny out from any to 2001:db8:bad::/48",
      ],
    );
  });

  it("renders 10k rules and a 100k-address set quickly (pure part of the benchmark)", () => {
    const rules = Array.from({ length: 10_000 }, (_, i) => ({
      action: "allow" as const,
      direction: "in" as const,
      proto: "tcp" as const,
      from: { kind: "cidr" as const, family: 4 as const, cidr: `10.${(i >> 8) & 255}.${i & 255}.1` },
      to: { kind: "any" as const },
      toPorts: [{ from: 1000 + (i % 5000), to: 1000 + (i % 5000) }],
    }));
    const big = makeAddressSet(
      "big",
      Array.from(
        { length: 100_000 },
        (_, i) => parseCidr(`11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)!,
      ),
      "generated",
    );
    const withSet = [...rules, { ...rules[0]!, from: { kind: "set" as const, name: "big" } }];
    const started = performance.now();
    const script = renderFirewallScript(
      { ...INITIAL_STATE, enabled: true, rules: withSet },
      new Map([["big", big]]),
      { table: "t" },
    );
    assert.ok(performance.now() - started < 3000);
    assert.equal(script.match(/ accept comment "rule \d+"/g)?.length, 10_001);
    assert.match(script, /set set_big_v4 \{\n\t\ttype ipv4_addr\n\t\telements = \{ 11\.0\.0\.0, /);
  });
});

describe("IPv6 per-source prefix", () => {
  it("builds nft masks for any prefix", async () => {
    const { ipv6PrefixMask } = await import("./nft-script.js");
    assert.equal(ipv6PrefixMask(64), "ffff:ffff:ffff:ffff::");
    assert.equal(ipv6PrefixMask(56), "ffff:ffff:ffff:ff00::");
    assert.equal(ipv6PrefixMask(48), "ffff:ffff:ffff::");
    assert.equal(ipv6PrefixMask(1), "8000::");
  });
});
