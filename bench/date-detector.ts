// Micro-benchmark of the date detector (not a test): lines/s for typical log dates.
// Run: npx tsc -p tsconfig.json && node dist/bench/date-detector.js
import { createDateDetector } from "../src/core/date/date-detector.js";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const N = 200_000;
const now = Date.UTC(2026, 10, 21, 12) / 1000;

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

function syslogLines(): string[] {
  const out: string[] = [];
  let t = Date.UTC(2026, 9, 1) / 1000;
  for (let i = 0; i < N; i += 1) {
    t += i % 3 === 0 ? 1 : 0;
    const d = new Date(t * 1000);
    const day = String(d.getUTCDate()).padStart(2, " ");
    const ip = `${(i * 7) % 223}.${(i * 13) % 256}.${(i * 17) % 256}.${(i % 250) + 1}`;
    out.push(
      `${MONTHS[d.getUTCMonth()]} ${day} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} srv sshd[${1000 + (i % 5000)}]: Failed password for invalid user admin${i % 97} from ${ip} port ${1024 + (i % 60000)} ssh2`,
    );
  }
  return out;
}

function isoLines(): string[] {
  const out: string[] = [];
  let t = Date.UTC(2026, 9, 1) / 1000;
  for (let i = 0; i < N; i += 1) {
    t += i % 3 === 0 ? 1 : 0;
    const d = new Date(t * 1000);
    out.push(
      `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(i % 1000, 3)}+01:00 srv sshd[1]: Failed password for root from 10.0.${i % 256}.1 port 22 ssh2`,
    );
  }
  return out;
}

function bench(label: string, datepattern: string | undefined, lines: readonly string[]): void {
  const r = createDateDetector({ datepattern });
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const dd = r.value;
  let sink = 0;
  for (let i = 0; i < 20_000; i += 1) sink += dd.match(lines[i % lines.length]!, now)?.end ?? 0; // warm-up
  // Wall time and this process's CPU time: on a busy shared machine the CPU figure is the stable one.
  let best = 0;
  let bestCpu = 0;
  for (let round = 0; round < 5; round += 1) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const line of lines) {
      const m = dd.match(line, now);
      if (m !== null) sink += m.time ?? 0;
    }
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    best = Math.max(best, lines.length / secs);
    bestCpu = Math.max(bestCpu, lines.length / ((c.user + c.system) / 1e6));
  }
  const wall = (best / 1e6).toFixed(2).padStart(6);
  const cpu = (bestCpu / 1e6).toFixed(2).padStart(6);
  console.log(
    `${label.padEnd(38)} ${wall} M lines/s wall, ${cpu} M lines/CPU-s (best of 5 x ${lines.length})`,
  );
  if (sink === 0) throw new Error("nothing matched");
}

const syslog = syslogLines();
const iso = isoLines();
bench("sshd syslog, datepattern {^LN-BEG}", "{^LN-BEG}", syslog);
bench("sshd syslog, default templates", undefined, syslog);
bench("ISO 8601 + offset, {^LN-BEG}", "{^LN-BEG}", iso);
bench("custom %Y-%m-%dT%H:%M:%S", "{^LN-BEG}%Y-%m-%dT%H:%M:%S", iso);
