import { spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type GuardEnforcer, NftGuardEnforcer } from "../src/adapters/nft/guard-enforcer.js";
import type { BanTarget } from "../src/core/guard/ban-target.js";
import type { GuardTableOptions, KernelBan } from "../src/core/guard/guard-nft-script.js";
import { GuardDaemon } from "../src/daemon/guard-daemon.js";
import { GuardLogger } from "../src/daemon/guard-logger.js";
import { loadGuardConfig } from "../src/daemon/load-guard-config.js";
import { createLab } from "../test/support/netns.js";

// Issue 3, acceptance 3: a failure line appended to the log → the address in the kernel set
// (median ≤ 10 ms, p99 ≤ 50 ms). The daemon runs in this process with its real file source,
// filter engine, store and `nft -f -` inside a private network namespace; "in the kernel" is the
// moment the nft transaction that adds the element has exited successfully.
// Run: npx tsc -p tsconfig.json && node dist/bench/guard-latency.js

const filter = fileURLToPath(new URL("../../test/fixtures/guard/filter.d/guard-test.conf", import.meta.url));

/** Records when each target's element was committed. */
class TimingEnforcer implements GuardEnforcer {
  readonly committed = new Map<string, number>();
  readonly started = new Map<string, number>();
  constructor(private readonly inner: GuardEnforcer) {}
  install(o: GuardTableOptions, bans: readonly KernelBan[], now: number) {
    return this.inner.install(o, bans, now);
  }
  async apply(
    set: readonly KernelBan[],
    remove: readonly BanTarget[],
    now: number,
    fresh: readonly KernelBan[] = [],
  ) {
    const s = performance.now();
    for (const b of [...set, ...fresh]) this.started.set(b.target.text, s);
    await this.inner.apply(set, remove, now, fresh);
    const t = performance.now();
    for (const b of [...set, ...fresh]) this.committed.set(b.target.text, t);
  }
  updateAllow(a4: readonly string[], a6: readonly string[]) {
    return this.inner.updateAllow(a4, a6);
  }
  exists() {
    return this.inner.exists();
  }
  remove() {
    return this.inner.remove();
  }
  close() {
    this.inner.close?.();
  }
}

/** Runs the measurement in a fresh namespace, in a child process inside it (nft spawned directly). */
export async function benchGuardLatency(samples = 200, fail2banSamples = 30): Promise<void> {
  const lab = createLab("rbgl", ["server"]);
  try {
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync(
      "ip",
      ["netns", "exec", lab.ns.server!, process.execPath, self, "--in-netns", String(samples)],
      {
        stdio: ["ignore", "inherit", "inherit"],
        timeout: 120_000,
      },
    );
    if (r.status !== 0) throw new Error(`latency bench failed (${r.status ?? r.signal})`);
    if (fail2banSamples > 0) await measureFail2ban(lab.ns.server!, fail2banSamples);
  } finally {
    lab.destroy();
  }
}

const quantiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return `median ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${q(1).toFixed(1)} ms`;
};

/**
 * Fail2Ban 1.0.2 in the same kind of namespace: its own config dir (a copy of /etc/fail2ban with
 * Debian's jail.d removed), the same filter regex, backend pyinotify, action nftables-allports.
 * The kernel is polled with `nft get element` (each poll costs a few ms, so this is an upper
 * bound by that much).
 */
async function measureFail2ban(ns: string, samples: number): Promise<void> {
  if (!existsSync("/usr/bin/fail2ban-client")) {
    console.log("  fail2ban: not installed, skipped");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "rampart-f2b-"));
  const conf = join(dir, "conf");
  const log = join(dir, "auth.log");
  cpSync("/etc/fail2ban", conf, { recursive: true });
  rmSync(join(conf, "jail.d"), { recursive: true, force: true });
  mkdirSync(join(conf, "jail.d"));
  writeFileSync(log, "");
  copyFileSync(filter, join(conf, "filter.d", "rampart-bench.conf"));
  writeFileSync(
    join(conf, "fail2ban.local"),
    `[Definition]\nloglevel = INFO\nlogtarget = ${dir}/f2b.log\nsocket = ${dir}/f2b.sock\npidfile = ${dir}/f2b.pid\ndbfile = ${dir}/f2b.sqlite3\n`,
  );
  writeFileSync(
    join(conf, "jail.local"),
    `[DEFAULT]\nbackend = pyinotify\n\n[bench]\nenabled = true\nfilter = rampart-bench\nlogpath = ${log}\nmaxretry = 1\nfindtime = 600\nbantime = 3600\naction = nftables-allports[name=bench]\n`,
  );
  const base = ["netns", "exec", ns, "fail2ban-client", "-c", conf, "-s", `${dir}/f2b.sock`];
  const client = (...args: string[]) =>
    spawnSync("ip", [...base, ...args], { encoding: "utf8", timeout: 30_000 });
  const server = spawn("ip", [...base, "-x", "-f", "start"], { stdio: "ignore" });
  const inKernel = (ip: string) =>
    spawnSync(
      "ip",
      ["netns", "exec", ns, "nft", "get", "element", "inet", "f2b-table", "addr-set-bench", `{ ${ip} }`],
      {
        stdio: "ignore",
      },
    ).status === 0;
  const line = (ip: string) => `${new Date().toISOString()} test: auth failure from ${ip} user root\n`;
  try {
    const deadline = Date.now() + 20_000;
    while (client("status", "bench").status !== 0) {
      if (Date.now() > deadline) throw new Error("fail2ban did not start");
      await new Promise((r) => setTimeout(r, 100));
    }
    const latencies: number[] = [];
    for (let i = -1; i < samples; i++) {
      // The first ban starts the nftables action (table, chain, set): a warm-up, not counted.
      const ip = `198.19.${(i + 1) >> 8}.${(i + 1) & 255}`;
      const t0 = performance.now();
      appendFileSync(log, line(ip));
      while (!inKernel(ip)) {
        if (performance.now() - t0 > 15_000) throw new Error(`fail2ban did not ban ${ip} within 15 s`);
      }
      if (i >= 0) latencies.push(performance.now() - t0);
    }
    console.log(
      `  fail2ban 1.0.2 beside it (pyinotify, nftables-allports, ${samples} bans): ${quantiles(latencies)}`,
    );
  } finally {
    client("stop");
    server.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measure(samples: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-latency-"));
  try {
    const log = join(dir, "auth.log");
    writeFileSync(log, "");
    const config = join(dir, "rampart.yaml");
    writeFileSync(
      config,
      `guard:\n  database: ${dir}/rampart.db\n  socket: ${dir}/rampart.sock\n  jails:\n    test:\n      filter: ${filter}\n      logpath: ${log}\n      maxretry: 1\n`,
    );
    const loaded = loadGuardConfig(config);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const enforcer = new TimingEnforcer(new NftGuardEnforcer({ table: "rampart_guard" }));
    const daemon = new GuardDaemon({
      config: loaded.config,
      logger: new GuardLogger(undefined, () => {}),
      reloadConfig: () => loadGuardConfig(config),
      enforcer,
      tableCheckSeconds: 0,
    });
    await daemon.start();
    const latencies: number[] = [];
    const detect: number[] = [];
    for (let i = 0; i < samples; i++) {
      const ip = `198.18.${i >> 8}.${i & 255}`;
      const t0 = performance.now();
      appendFileSync(log, `${new Date().toISOString()} test: auth failure from ${ip} user root\n`);
      while (!enforcer.committed.has(ip)) {
        if (performance.now() - t0 > 5000) throw new Error(`no ban of ${ip} within 5 s`);
        await new Promise((r) => setImmediate(r));
      }
      latencies.push((enforcer.committed.get(ip) ?? 0) - t0);
      detect.push((enforcer.started.get(ip) ?? 0) - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
    await daemon.stop();
    latencies.sort((a, b) => a - b);
    detect.sort((a, b) => a - b);
    const q = (p: number, xs = latencies) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
    console.log(
      `guard latency, log line appended → element committed by nft (${samples} bans, one at a time):`,
    );
    console.log(
      `  median ${q(0.5).toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${q(1).toFixed(1)} ms (target median ≤ 10, p99 ≤ 50)`,
    );
    console.log(
      `  of which line → decision (before nft): median ${q(0.5, detect).toFixed(1)} ms, p99 ${q(0.99, detect).toFixed(1)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv[2] === "--in-netns") await measure(Number(process.argv[3] ?? 200));
  else await benchGuardLatency();
}
