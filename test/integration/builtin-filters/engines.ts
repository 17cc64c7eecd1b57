// The engines the built-in filters are checked with. Each one reads a log file with a filter
// (a `.conf` path, optionally with `[key=value, …]` options) and reports failures with the
// 1-based line that produced them, so corpus expectations can be compared line by line.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "../../../src/adapters/process/run-command.js";

export interface EngineFailure {
  readonly line: number;
  readonly ip: string;
  readonly time: number;
  readonly user: string | null;
}

export interface FilterEngine {
  readonly name: string;
  /** Undefined when usable, else the reason the engine cannot run here (the test skips). */
  unavailable(): Promise<string | undefined>;
  run(logPath: string, filterSpec: string, env: NodeJS.ProcessEnv): Promise<EngineFailure[]>;
}

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

// Control characters frame each record, so log text (which never contains them in the corpus)
// cannot be confused with the frame.
const REC = "\x01";
const SEP = "\x02";
const END = "\x03";

/**
 * fail2ban-regex 1.0.2: prints, per failure, the address, time, user and the matched lines. The
 * last matched line is the one that triggered the failure; failures come out in log order, so a
 * forward scan over the log maps each failure to its line number.
 */
export const fail2banRegexEngine: FilterEngine = {
  name: "fail2ban-regex",
  async unavailable() {
    return existsSync("/usr/bin/fail2ban-regex") ? undefined : "fail2ban-regex is not installed";
  },
  async run(logPath, filterSpec, env) {
    const format = `${REC}<ip>${SEP}<time>${SEP}<F-USER>${SEP}<matches>${END}`;
    const res = await runCommand("fail2ban-regex", ["-o", format, logPath, filterSpec], {
      env,
      timeoutMs: 60_000,
    });
    if (res.code !== 0) throw new Error(`fail2ban-regex failed (${res.code}) on ${filterSpec}: ${res.stderr}`);
    const lines = readFileSync(logPath, "utf8").split("\n");
    const out: EngineFailure[] = [];
    let cursor = 0;
    for (const rec of res.stdout.split(REC).slice(1)) {
      const body = rec.slice(0, rec.lastIndexOf(END));
      const [ip = "", time = "", user = "", matches = ""] = body.split(SEP);
      const last = matches.split("\n").at(-1) ?? "";
      let at = cursor;
      while (at < lines.length && lines[at] !== last) at++;
      if (at >= lines.length) throw new Error(`Cannot map fail2ban-regex output back to a line: ${last}`);
      cursor = at;
      out.push({ line: at + 1, ip, time: Number(time), user: user === "<F-USER>" ? null : user });
    }
    return out;
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
  async run(logPath, filterSpec, env) {
    const res = await runCommand(
      process.execPath,
      [join(repoRoot, "bin", "rampart"), "filter", "test", logPath, filterSpec, "--json"],
      { env, timeoutMs: 60_000 },
    );
    if (res.code !== 0) throw new Error(`rampart filter test failed (${res.code}) on ${filterSpec}: ${res.stderr}`);
    return res.stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => {
        const o = JSON.parse(l) as { ip: string; time: number; line: number; user: string | null };
        return { line: o.line, ip: o.ip, time: o.time, user: o.user ?? null };
      });
  },
};
