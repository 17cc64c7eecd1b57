import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "../process/run-command.js";

// bin/rampart, from dist/src/adapters/harden/rollback-timer.js.
export const RAMPART_BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../bin/rampart");

export interface ArmedTimer {
  readonly kind: "systemd" | "process";
  readonly unit?: string;
  readonly pid?: number;
}

export interface TimerOptions {
  readonly id: string;
  readonly stateDir: string;
  readonly seconds: number;
  /** systemd is PID 1 (sd_booted(3)): use a transient timer, which outlives everything we own. */
  readonly systemd: boolean;
  /** Passed on to the rollback (e.g. --config FILE, so it reloads the same firewall). */
  readonly extraArgs?: readonly string[];
}

/**
 * Arms "rollback unless confirmed": the rollback must happen even when this process, its SSH
 * session and the session's cgroup are gone. With systemd a transient timer (systemd-run
 * --on-active) belongs to PID 1; without it a child in its own session (setsid via detached:
 * true) ignores the SSH session's SIGHUP and is reparented to init when we exit.
 */
export async function armRollbackTimer(options: TimerOptions): Promise<ArmedTimer> {
  const rollback = [
    "harden",
    "rollback",
    "--transaction",
    options.id,
    "--state-dir",
    options.stateDir,
    "--if-armed",
    ...(options.extraArgs ?? []),
  ];
  if (options.systemd) {
    const unit = `rampart-harden-rollback-${options.id.toLowerCase()}`;
    const r = await runCommand(
      "systemd-run",
      [
        `--unit=${unit}`,
        `--on-active=${options.seconds}s`,
        "--timer-property=AccuracySec=1s",
        "--description=rampart harden: roll back unless confirmed",
        process.execPath,
        RAMPART_BIN,
        ...rollback,
      ],
      { timeoutMs: 30_000 },
    );
    if (r.code !== 0) throw new Error(`systemd-run failed: ${r.stderr.trim()}`);
    return { kind: "systemd", unit };
  }
  if (!existsSync(RAMPART_BIN)) throw new Error(`Cannot arm the rollback: ${RAMPART_BIN} is missing`);
  const child = spawn(process.execPath, [RAMPART_BIN, ...rollback, "--after", String(options.seconds)], {
    detached: true,
    stdio: "ignore",
  });
  child.unref();
  if (child.pid === undefined) throw new Error("Cannot arm the rollback: the timer process did not start");
  return { kind: "process", pid: child.pid };
}

/** Stops an armed timer after confirm or rollback; the timer re-checks the record anyway. */
export async function disarmRollbackTimer(timer: ArmedTimer | undefined, id: string): Promise<void> {
  if (!timer) return;
  if (timer.kind === "systemd" && timer.unit) {
    await runCommand("systemctl", ["stop", `${timer.unit}.timer`], { timeoutMs: 30_000 }).catch(
      () => undefined,
    );
    return;
  }
  if (timer.pid !== undefined && timer.pid !== process.pid) {
    // Only our sleeper: a recycled pid belongs to somebody else.
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${timer.pid}/cmdline`, "utf8");
    } catch {
      return;
    }
    if (!cmdline.includes(id)) return;
    try {
      process.kill(timer.pid, "SIGTERM");
    } catch {}
  }
}
