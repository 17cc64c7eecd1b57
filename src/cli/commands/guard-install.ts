import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../adapters/fs/atomic-write.js";
import { runCommand } from "../../adapters/process/run-command.js";
import { formatProblem } from "../../core/errors/problem.js";
import { ExitCode } from "../../core/errors/rampart-error.js";
import { renderGuardUnit } from "../../core/guard/guard-unit.js";
import { DEFAULT_CONFIG_PATH, loadGuardConfig } from "../../daemon/load-guard-config.js";
import type { CliIo } from "../cli-io.js";

export const UNIT_NAME = "rampart-guard.service";

const USAGE = `Usage: rampart guard install [--config FILE] [--unit-dir DIR] [--no-enable] [--print]

Writes the hardened systemd unit ${UNIT_NAME} (default into /etc/systemd/system), checks it with
systemd-analyze verify, then runs systemctl daemon-reload and enable --now.
  --unit-dir DIR   Where to write the unit (default /etc/systemd/system)
  --no-enable      Only write the unit; do not touch systemd
  --print          Print the unit to stdout and write nothing
`;

// bin/rampart, from dist/src/cli/commands/guard-install.js.
const RAMPART_BIN = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../bin/rampart");

/** `rampart guard install`. */
export async function guardInstall(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      config: { type: "string" },
      "unit-dir": { type: "string" },
      "no-enable": { type: "boolean" },
      print: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return ExitCode.ok;
  }
  if (positionals.length > 0) {
    io.stderr.write(`rampart guard install: unexpected argument "${positionals[0]}"\n${USAGE}`);
    return ExitCode.usage;
  }
  const configPath = resolve(io.cwd, values.config ?? DEFAULT_CONFIG_PATH);
  // The unit must name the config the daemon will read; refuse one that would not start.
  const loaded = loadGuardConfig(values.config === undefined ? undefined : configPath);
  if (!loaded.ok) {
    io.stderr.write(`rampart: Cannot install the guard: the config "${configPath}" is invalid\n`);
    for (const p of loaded.problems) io.stderr.write(`  ${formatProblem(p)}\n`);
    return ExitCode.usage;
  }
  const { config } = loaded;
  const writable = [dirname(config.database), dirname(config.socket)];
  if (config.logfile !== undefined) writable.push(dirname(config.logfile));
  const unit = renderGuardUnit({
    node: process.execPath,
    rampart: RAMPART_BIN,
    config: configPath,
    writablePaths: writable,
  });
  if (values.print) {
    io.stdout.write(unit);
    return ExitCode.ok;
  }

  const verdict = await verifyUnit(unit);
  if (verdict.ok === false) {
    io.stderr.write(
      `rampart: Cannot install the guard: systemd-analyze rejects the unit:\n${verdict.message}\n`,
    );
    return ExitCode.failure;
  }
  const unitDir = resolve(io.cwd, values["unit-dir"] ?? "/etc/systemd/system");
  const unitPath = join(unitDir, UNIT_NAME);
  writeFileAtomic(unitPath, unit, { mode: 0o644 });
  io.stdout.write(
    `Wrote ${unitPath}${verdict.ok === true ? " (checked with systemd-analyze verify)" : ""}\n`,
  );
  if (verdict.ok === "skipped") io.stdout.write(`  Not verified: ${verdict.message}\n`);

  if (values["no-enable"]) {
    io.stdout.write(
      `Not enabled (--no-enable). To start it: systemctl daemon-reload && systemctl enable --now ${UNIT_NAME}\n`,
    );
    return ExitCode.ok;
  }
  // sd_booted(3): systemd is the init system iff /run/systemd/system exists.
  if (!existsSync("/run/systemd/system")) {
    io.stderr.write(
      `rampart: Cannot enable ${UNIT_NAME}: systemd is not running as PID 1 on this host (no /run/systemd/system). ` +
        "The unit is written; start `rampart guard` by other means, or use --no-enable.\n",
    );
    return ExitCode.failure;
  }
  for (const args of [["daemon-reload"], ["enable", "--now", UNIT_NAME]]) {
    const result = await runCommand("systemctl", args, { timeoutMs: 60_000 });
    if (result.code !== 0) {
      io.stderr.write(
        `rampart: "systemctl ${args.join(" ")}" failed: ${result.stderr.trim() || `exit status ${result.code}`}\n`,
      );
      return ExitCode.failure;
    }
  }
  io.stdout.write(`Enabled and started ${UNIT_NAME}. Check it with: systemctl status ${UNIT_NAME}\n`);
  return ExitCode.ok;
}

/** The name the `guard` dispatcher loads. */
export const guardInstallCommand = guardInstall;

type Verdict = { ok: true } | { ok: false; message: string } | { ok: "skipped"; message: string };

/**
 * `systemd-analyze verify` on a copy in a private temp dir (the unit must keep its name there):
 * catches unknown settings and bad values before anything is installed.
 */
async function verifyUnit(unit: string): Promise<Verdict> {
  const dir = mkdtempSync(join(tmpdir(), "rampart-unit-"));
  try {
    const file = join(dir, UNIT_NAME);
    writeFileSync(file, unit, { mode: 0o644 });
    let result: Awaited<ReturnType<typeof runCommand>>;
    try {
      result = await runCommand("systemd-analyze", ["verify", "--man=no", file], {
        timeoutMs: 30_000,
        env: { ...process.env, SYSTEMD_LOG_COLOR: "0" },
      });
    } catch (error) {
      return { ok: "skipped", message: `systemd-analyze is not available (${(error as Error).message})` };
    }
    // Without systemd as PID 1, verify still loads the unit; lines about the missing manager or
    // other units on this host are not about our file, so only lines naming it count.
    const ours = result.stderr
      .split("\n")
      .filter((l) => l.includes(UNIT_NAME) || l.includes(file))
      .join("\n");
    if (ours.trim() !== "") return { ok: false, message: ours };
    return { ok: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
