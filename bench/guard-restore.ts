import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { NftGuardEnforcer } from "../src/adapters/nft/guard-enforcer.js";
import { GuardStore } from "../src/adapters/store/guard-store.js";
import { banTargetOf } from "../src/core/guard/ban-target.js";
import type { GuardDecision } from "../src/core/guard/guard-decision.js";
import { type GuardTableOptions, renderGuardTable } from "../src/core/guard/guard-nft-script.js";
import { parseIp } from "../src/core/ip/ip-address.js";
import { createLab } from "../test/support/netns.js";

// Issue 3, acceptance 3: restoring 100k bans (start-up after a reboot or `nft flush ruleset`) is one
// `nft -f -` transaction, under a second. Runs in a private network namespace only.
// Run: npx tsc -p tsconfig.json && node dist/bench/guard-restore.js

export async function benchGuardRestore(count = 100_000): Promise<void> {
  const lab = createLab("rbgr", ["server"]);
  const dir = mkdtempSync(join(tmpdir(), "rampart-bench-"));
  try {
    const now = Date.now() / 1000;
    const store = GuardStore.open(join(dir, "rampart.db"));
    const decisions: GuardDecision[] = [];
    const v6 = Math.floor(count / 10);
    for (let i = 0; i < count; i++) {
      const ip =
        i < count - v6
          ? `${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.7`
          : `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`;
      const target = banTargetOf(parseIp(ip)!, 64);
      decisions.push({
        kind: "ban",
        ban: {
          jail: "sshd",
          target,
          since: now,
          until: now + 3600 + (i % 600),
          bantime: 3600,
          banCount: 1,
          failures: 5,
        },
        findtime: 600,
        reason: "failures",
        address: ip,
        matches: [],
      });
    }
    let t = performance.now();
    store.applyDecisions(decisions, now);
    const writeMs = performance.now() - t;

    t = performance.now();
    const active = store.activeBans(now);
    const readMs = performance.now() - t;
    t = performance.now();
    const options: GuardTableOptions = {
      table: "rampart_guard",
      priority: -10,
      blocktype: "drop",
      allow4: ["127.0.0.0/8"],
      allow6: ["::1"],
      ipv6Prefixes: [64],
    };
    const bans = active.map((b) => ({ target: b.target, until: b.until }));
    const script = renderGuardTable(options, bans, now);
    const renderMs = performance.now() - t;
    const enforcer = new NftGuardEnforcer({
      table: "rampart_guard",
      command: ["ip", "netns", "exec", lab.ns.server!, "nft"],
    });
    t = performance.now();
    await enforcer.install(options, bans, now);
    const installMs = performance.now() - t;
    t = performance.now();
    await enforcer.install(options, bans, now);
    const replaceMs = performance.now() - t;
    store.close();
    const total = readMs + renderMs + installMs;
    console.log(
      `guard restore of ${active.length} bans (${count - v6} IPv4, ${v6} IPv6 /64), one nft transaction:`,
    );
    console.log(`  SQLite: write ${writeMs.toFixed(0)} ms (one transaction), read ${readMs.toFixed(0)} ms`);
    console.log(`  render ${renderMs.toFixed(0)} ms (${(script.length / 1e6).toFixed(1)} MB script)`);
    console.log(
      `  nft -f - into an empty ruleset: ${installMs.toFixed(0)} ms; replacing the full table: ${replaceMs.toFixed(0)} ms`,
    );
    console.log(`  database → kernel total: ${total.toFixed(0)} ms (target < 1000 ms)`);
    console.log(
      "  fail2ban 1.0.2 for comparison: one `nft add element` process per ban (≈ 20k bans → hours, #3088)",
    );
  } finally {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await benchGuardRestore();
