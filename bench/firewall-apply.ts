import { createNftRunner } from "../src/adapters/nft/nft-runner.js";
import { type FirewallRule, type FirewallState, INITIAL_STATE } from "../src/core/firewall/firewall-rule.js";
import { renderFirewallScript } from "../src/core/firewall/nft-script.js";
import { type AddressSet, makeAddressSet } from "../src/core/firewall/set-file.js";
import { parseCidr } from "../src/core/ip/ip-address.js";
import { createLab } from "../test/support/netns.js";

// Issue 4, acceptance 2: applying 10k rules, or a set of 100k addresses, takes < 1 s. Everything
// runs inside a private network namespace; the host's nftables are never touched.
// Run: npx tsc -p tsconfig.json && node dist/bench/firewall-apply.js

function rulesOf(count: number): FirewallRule[] {
  return Array.from({ length: count }, (_, i) => ({
    action: "allow",
    direction: "in",
    proto: "tcp",
    from: { kind: "cidr", family: 4, cidr: `10.${(i >> 8) & 255}.${i & 255}.1` },
    to: { kind: "any" },
    toPorts: [{ from: 1000 + (i % 5000), to: 1000 + (i % 5000) }],
  }));
}

function setOf(name: string, count: number, prefix: number): AddressSet {
  const networks = Array.from({ length: count }, (_, i) => {
    const a =
      prefix === 32
        ? `11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
        : `${12 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
    return parseCidr(a)!;
  });
  return makeAddressSet(name, networks, "generated");
}

const denyFrom = (name: string): FirewallRule => ({
  action: "deny",
  direction: "in",
  proto: "any",
  from: { kind: "set", name },
  to: { kind: "any" },
});

export async function benchFirewallApply(): Promise<void> {
  const lab = createLab("rfwb", ["box"]);
  try {
    const nft = createNftRunner({ netns: lab.ns.box! });
    const hosts = setOf("hosts", 100_000, 32);
    const nets = setOf("nets", 100_000, 24);
    const cases: { name: string; state: FirewallState; sets: Map<string, AddressSet> }[] = [
      {
        name: "10k rules",
        state: { ...INITIAL_STATE, enabled: true, rules: rulesOf(10_000) },
        sets: new Map(),
      },
      {
        name: "100k-address set",
        state: { ...INITIAL_STATE, enabled: true, rules: [denyFrom("hosts")] },
        sets: new Map([["hosts", hosts]]),
      },
      {
        name: "100k-CIDR interval set",
        state: { ...INITIAL_STATE, enabled: true, rules: [denyFrom("nets")] },
        sets: new Map([["nets", nets]]),
      },
      {
        name: "10k rules + 100k-address set",
        state: { ...INITIAL_STATE, enabled: true, rules: [...rulesOf(10_000), denyFrom("hosts")] },
        sets: new Map([["hosts", hosts]]),
      },
    ];
    console.log("firewall apply (nft -f in a network namespace, one transaction; best of 3)");
    for (const c of cases) {
      const r0 = performance.now();
      const script = renderFirewallScript(c.state, c.sets, { table: "bench_fw" });
      const renderMs = performance.now() - r0;
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) {
        // The first run creates the table, later ones replace it (what `reload` does).
        const t0 = performance.now();
        await nft.apply(script);
        runs.push(performance.now() - t0);
      }
      const best = Math.min(...runs);
      console.log(
        `  ${c.name.padEnd(30)} render ${renderMs.toFixed(0).padStart(5)} ms   apply ${best.toFixed(0).padStart(5)} ms (runs: ${runs
          .map((r) => r.toFixed(0))
          .join(
            ", ",
          )})   ${(script.length / 1024).toFixed(0)} KiB   ${best < 1000 ? "OK < 1 s" : "SLOWER than 1 s"}`,
      );
      await nft.apply("table inet bench_fw {}\ndelete table inet bench_fw\n");
    }
  } finally {
    lab.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchFirewallApply();
