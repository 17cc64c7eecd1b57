// `npm run bench`: every benchmark, each printing Rampart beside its peers where there are
// peers. RAMPART_BENCH=name runs one of them. Benchmarks print; tests assert behaviour.
const only = process.env.RAMPART_BENCH;
const benches: Record<string, () => Promise<void>> = {
  "filter-engine": async () =>
    (await import("./filter-engine.js")).benchFilterEngine(
      Number(process.env.RAMPART_BENCH_LINES ?? 200_000),
    ),
  "guard-latency": async () => {
    await (await import("./guard-latency-vs-fail2ban.js")).benchGuardLatencyVsFail2ban();
  },
  "guard-restore": async () => (await import("./guard-restore.js")).benchGuardRestore(),
  "guard-memory": async () => (await import("./guard-memory.js")).benchGuardMemory(),
  "firewall-apply": async () => (await import("./firewall-apply.js")).benchFirewallApply(),
  "audit-live": async () => {
    const r = await (await import("./audit-live.js")).benchAuditLive();
    console.log(
      `\n== Audit (live) ==\n${r.checks} checks, ${r.runs} runs: first ${r.firstMs.toFixed(0)} ms, median ${r.medianMs.toFixed(0)} ms, max ${r.maxMs.toFixed(0)} ms (target < 2000 ms; Lynis 3.0.8 takes ~60 s here)`,
    );
  },
};
for (const [name, run] of Object.entries(benches)) {
  if (only && only !== name) continue;
  try {
    await run();
  } catch (error) {
    console.log(`\n== ${name}: failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
