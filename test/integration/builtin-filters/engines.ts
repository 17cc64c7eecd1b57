// The engines the built-in filters are checked with. Each one reads log files with a filter (a
// `.conf` path, optionally with `[key=value, …]` options) and reports failures with the 1-based
// line that produced them, so corpus expectations can be compared line by line.
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "../../../src/adapters/process/run-command.js";
import { runCli } from "../../support/run-cli.js";

export interface EngineFailure {
  readonly line: number;
  readonly ip: string;
  readonly time: number;
  readonly user: string | null;
}

export interface EngineJob {
  readonly logPath: string;
  readonly filterSpec: string;
}

export interface FilterEngine {
  readonly name: string;
  /** Undefined when usable, else the reason the engine cannot run here (the test skips). */
  unavailable(): Promise<string | undefined>;
  /** Runs every job; result i holds the failures of job i in log order, or why it failed. */
  runAll(jobs: readonly EngineJob[], env: NodeJS.ProcessEnv): Promise<(EngineFailure[] | Error)[]>;
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

const SEP = "\x02";
const parallelism = Math.max(1, Math.min(4, cpus().length));

function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((item, i) => {
    out[i % n]?.push(item);
  });
  return out.filter((c) => c.length > 0);
}

/**
 * fail2ban-regex 1.0.2, run through a thin wrapper (f2b-regex-lines.py) that batches the jobs in
 * one Python process per CPU and tags each printed failure with the number of the log line
 * being processed; options, filter loading and matching are fail2ban-regex's own.
 */
export const fail2banRegexEngine: FilterEngine = {
  name: "fail2ban-regex",
  async unavailable() {
    return existsSync("/usr/bin/fail2ban-regex") ? undefined : "fail2ban-regex is not installed";
  },
  async runAll(jobs, env) {
    const wrapper = join(repoRoot, "test", "integration", "builtin-filters", "f2b-regex-lines.py");
    const format = `<ip>${SEP}<time>${SEP}<F-USER>`;
    const indexed = jobs.map((job, index) => ({ job, index }));
    const results: (EngineFailure[] | Error)[] = jobs.map(
      () => new Error("fail2ban-regex did not run this job"),
    );
    await Promise.all(
      chunks(indexed, parallelism).map(async (chunk) => {
        const argv = chunk.map(({ job }) => ["-o", format, job.logPath, job.filterSpec]);
        const res = await runCommand("/usr/bin/python3", [wrapper, JSON.stringify(argv)], {
          env,
          timeoutMs: 120_000,
        });
        if (res.code !== 0) throw new Error(`fail2ban-regex wrapper failed (${res.code}): ${res.stderr}`);
        let current: { index: number; found: EngineFailure[]; out: string[] } | null = null;
        for (const line of res.stdout.split("\n")) {
          const mark = /^\x01(JOB|END) (\d+)(?: (\d+))?$/.exec(line);
          if (mark) {
            const entry = chunk[Number(mark[2])];
            if (!entry) throw new Error(`Unexpected job number in "${line}"`);
            if (mark[1] === "JOB") current = { index: entry.index, found: [], out: [] };
            else if (current) {
              results[current.index] =
                mark[3] === "0"
                  ? current.found
                  : new Error(
                      `fail2ban-regex failed (${mark[3]}) on ${entry.job.filterSpec}: ${current.out.join("\n")}`,
                    );
              current = null;
            }
            continue;
          }
          if (!current || !line.includes(SEP)) continue;
          const [lineNo = "", ip = "", time = "", user = ""] = line.split(SEP);
          if (time === "" || Number.isNaN(Number(time))) {
            current.out.push(line);
            continue;
          }
          current.found.push({
            line: Number(lineNo),
            ip,
            time: Number(time),
            user: user === "<F-USER>" ? null : user,
          });
        }
      }),
    );
    return results;
  },
};

/** Rampart's own engine: `rampart filter test LOG FILTER --json` (issue 2). */
export const rampartEngine: FilterEngine = {
  name: "rampart",
  async unavailable() {
    const probe = await runCommand(process.execPath, [join(repoRoot, "bin", "rampart"), "filter", "--help"], {
      timeoutMs: 20_000,
    });
    if (/is not implemented yet/.test(probe.stderr)) return "`rampart filter test` is not implemented yet";
    return undefined;
  },
  async runAll(jobs, env) {
    const results: (EngineFailure[] | Error)[] = jobs.map(() => []);
    const queue = jobs.map((job, index) => ({ job, index }));
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const { job, index } = next;
        // In-process: the same CLI code as the binary, without a Node start per job.
        const res = await runCli(["filter", "test", job.logPath, job.filterSpec, "--json"], { env });
        if (res.code !== 0) {
          results[index] = new Error(
            `rampart filter test failed (${res.code}) on ${job.filterSpec}: ${res.stderr}`,
          );
          continue;
        }
        results[index] = res.stdout
          .split("\n")
          .filter((l) => l.trim() !== "")
          .map((l) => {
            const o = JSON.parse(l) as { ip: string; time: number; line: number; user?: string | null };
            return { line: o.line, ip: o.ip, time: o.time, user: o.user ?? null };
          });
      }
    };
    await Promise.all(Array.from({ length: parallelism }, worker));
    return results;
  },
};
