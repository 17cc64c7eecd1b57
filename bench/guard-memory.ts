import { pathToFileURL } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import type { JailConfig } from "../src/core/config/guard-section.js";
import { Detector } from "../src/core/guard/detector.js";

// Issue 3, acceptance 3: RSS while the detector tracks 1M distinct failing addresses (target
// ≤ 150 MB). Each address keeps only its last `maxretry` failure times in shared typed arrays.
// Run: npx tsc -p tsconfig.json && node dist/bench/guard-memory.js

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

export async function benchGuardMemory(count = 1_000_000, failuresEach = 1): Promise<void> {
  const jail: JailConfig = {
    name: "sshd",
    enabled: true,
    filter: "sshd",
    backend: "file",
    logpath: [],
    journalmatch: [],
    journalfiles: [],
    journalpath: undefined,
    maxretry: 5,
    findtime: 86_400,
    bantime: 3600,
    increment: undefined,
    ipv6Prefix: 64,
    ignoreip: [],
    actions: [],
  };
  gc();
  const before = process.memoryUsage().rss;
  const detector = new Detector([jail], [], { previousBans: () => 0 });
  const now = Date.now() / 1000;
  const v6 = Math.floor(count / 10);
  const start = performance.now();
  for (let round = 0; round < failuresEach; round++) {
    for (let i = 0; i < count; i++) {
      const ip =
        i < count - v6
          ? `${1 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.9`
          : `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::9`;
      detector.observe(
        "sshd",
        { id: ip, ip, time: now - 100 + round, line: i, user: null, matches: [] },
        now,
      );
    }
  }
  const ms = performance.now() - start;
  gc();
  const after = process.memoryUsage();
  const status = detector.status("sshd");
  console.log(
    `guard detector tracking ${status?.currentlyFailed} distinct failing addresses (${count - v6} IPv4, ${v6} IPv6 /64), ` +
      `${failuresEach} failure(s) each, maxretry 5:`,
  );
  console.log(
    `  RSS ${mb(after.rss)} (process baseline ${mb(before)}, heap ${mb(after.heapUsed)}, typed arrays ${mb(after.arrayBuffers)}); target ≤ 150 MB`,
  );
  console.log(
    `  ${((count * failuresEach) / (ms / 1000) / 1e6).toFixed(2)} M failures/s through the detector`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await benchGuardMemory(
    Number(process.env.RAMPART_BENCH_ADDRESSES ?? 1_000_000),
    Number(process.env.RAMPART_BENCH_FAILURES ?? 1),
  );
}
