import { accessSync, constants, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { delimiter, join } from "node:path";
import { type CommandResult, runCommand } from "../process/run-command.js";

export type Runner = (
  file: string,
  args: readonly string[],
  options?: { timeoutMs?: number },
) => Promise<CommandResult>;

export const defaultRunner: Runner = (file, args, options) => runCommand(file, args, options ?? {});

/** Runs a program; a missing binary or a timeout comes back as a reason instead of an exception. */
export async function tryRun(
  run: Runner,
  file: string,
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<{ ok: true; result: CommandResult } | { ok: false; reason: string }> {
  // Looked up first: spawn() of a missing file leaves its timeout timer armed (Node 20), which
  // would hold the process open for timeoutMs after the audit is done.
  if (run === defaultRunner && !findExecutable(file)) return { ok: false, reason: `"${file}" not found` };
  try {
    const result = await run(file, args, { timeoutMs });
    if (result.signal)
      return { ok: false, reason: `"${file}" was killed by ${result.signal} (timeout ${timeoutMs} ms?)` };
    return { ok: true, result };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { ok: false, reason: `"${file}" not found` };
    return { ok: false, reason: `Cannot run "${file}": ${(error as Error).message}` };
  }
}

export interface ProcEntry {
  pid: number;
  name: string;
  cmdline: string;
  socketInodes: string[];
}

/** Processes from /proc with their socket inodes (to name the owner of a listening port). */
export function readProcesses(): ProcEntry[] {
  const out: ProcEntry[] = [];
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      const name = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      const socketInodes: string[] = [];
      try {
        for (const fd of readdirSync(`/proc/${pid}/fd`)) {
          try {
            const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
            if (m) socketInodes.push(m[1] as string);
          } catch {}
        }
      } catch {}
      out.push({ pid: Number(pid), name, cmdline, socketInodes });
    } catch {}
  }
  return out;
}

/** The program's path if it exists and is executable (PATH searched for bare names, like execvp). */
export function findExecutable(file: string): string | undefined {
  const candidates = file.includes("/")
    ? [file]
    : (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(delimiter).map((d) => join(d, file));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {}
  }
  return undefined;
}
