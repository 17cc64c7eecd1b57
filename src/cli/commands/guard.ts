import { parseArgs } from "node:util";
import { formatProblem } from "../../core/errors/problem.js";
import { ExitCode, RampartError } from "../../core/errors/rampart-error.js";
import { GuardDaemon } from "../../daemon/guard-daemon.js";
import { GuardLogger } from "../../daemon/guard-logger.js";
import { loadGuardConfig } from "../../daemon/load-guard-config.js";
import type { CliIo, Command } from "../cli-io.js";
import { askGuard } from "./guard-control.js";

const USAGE = `Usage: rampart guard [--config FILE]          Run the guard daemon in the foreground
       rampart guard reload [--config FILE]   Reload the running daemon's config (a bad one is refused)
       rampart guard install [...]            Install and enable the systemd unit
       rampart guard import-fail2ban [DIR]    Convert a fail2ban setup (default /etc/fail2ban)
`;

// Sub-commands owned by other modules; loaded by name so this file does not depend on them.
const SUBCOMMANDS: Record<string, { file: string; exportName: string }> = {
  install: { file: "./guard-install.js", exportName: "guardInstallCommand" },
  "import-fail2ban": { file: "./guard-import.js", exportName: "guardImportCommand" },
};

export async function guardCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first !== undefined && SUBCOMMANDS[first]) {
    const { file, exportName } = SUBCOMMANDS[first];
    const mod = (await import(file)) as Record<string, unknown>;
    const command = mod[exportName] as Command | undefined;
    if (typeof command !== "function")
      throw new RampartError("cli.missing", `"guard ${first}" is not available`);
    return command(rest, io);
  }
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { config: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return ExitCode.ok;
  }
  if (positionals[0] === "reload" && positionals.length === 1) {
    const result = (await askGuard(values.config, { op: "reload" })) as { jails: string[]; notes: string[] };
    io.stdout.write(`Reloaded: ${result.jails.length} jail(s): ${result.jails.join(", ")}\n`);
    for (const note of result.notes) io.stdout.write(`  ${note}\n`);
    return ExitCode.ok;
  }
  if (positionals.length > 0) {
    io.stderr.write(`rampart guard: unknown argument "${positionals[0]}"\n${USAGE}`);
    return ExitCode.usage;
  }
  return runDaemon(values.config, io);
}

async function runDaemon(configPath: string | undefined, io: CliIo): Promise<number> {
  const loaded = loadGuardConfig(configPath);
  if (!loaded.ok) {
    io.stderr.write(`rampart: Cannot start the guard: the config has problems\n`);
    for (const p of loaded.problems) io.stderr.write(`  ${formatProblem(p)}\n`);
    return ExitCode.usage;
  }
  const logger = new GuardLogger(loaded.config.logfile, (line) => io.stderr.write(`${line}\n`));
  const daemon = new GuardDaemon({
    config: loaded.config,
    logger,
    reloadConfig: () => loadGuardConfig(configPath),
    ...(io.env.RAMPART_FILTER_DIR ? { filterDir: io.env.RAMPART_FILTER_DIR } : {}),
  });
  try {
    await daemon.start();
  } catch (error) {
    await daemon.stop().catch(() => {});
    throw error instanceof RampartError
      ? error
      : new RampartError("guard.start", `Cannot start the guard: ${(error as Error).message}`, {
          cause: error,
        });
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.notice(`Received ${signal}, stopping`);
      daemon.stop().then(
        () => resolve(ExitCode.ok),
        (error: unknown) => {
          logger.notice(`Stop failed: ${(error as Error).message}`);
          resolve(ExitCode.failure);
        },
      );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGHUP", () => {
      void daemon.reload();
    });
  });
}
