import { formatProblem } from "../core/errors/problem.js";
import { ExitCode, RampartError } from "../core/errors/rampart-error.js";
import { type CliIo, type Command, processIo } from "./cli-io.js";

const USAGE = `Usage: rampart <command> [options]

Secure a Linux server and keep it secure.

Commands:
  audit      Check this host (or --root DIR) against the hosting guides (read-only)
  harden     Apply the guides without locking the admin out (plan, --apply, confirm, rollback)
  firewall   UFW's commands on native nftables (allow, deny, limit, status, ...)
  guard      The intrusion-prevention daemon (run, install, reload, import-fail2ban)
  status     Show the guard's jails, or one jail (like fail2ban-client status)
  ban        Ban an address in a jail:   rampart ban JAIL IP
  unban      Lift a ban:                 rampart unban IP [--jail JAIL]
  banned     List banned addresses
  filter     Test and list log filters:  rampart filter test LOG FILTER | rampart filter list

Every command takes --config FILE (default /etc/rampart/rampart.yaml) and --help.
Exit status: 0 success, 1 failure or finding, 2 usage or invalid input.
`;

type CommandLoader = () => Promise<Command>;

// Commands load lazily so `rampart filter test` does not pay for SQLite or nft code at start-up.
const COMMANDS: Record<string, CommandLoader> = {
  audit: async () => (await import("./commands/audit.js")).auditCommand,
  harden: async () => (await import("./commands/harden.js")).hardenCommand,
  firewall: async () => (await import("./commands/firewall.js")).firewallCommand,
  guard: async () => (await import("./commands/guard.js")).guardCommand,
  status: async () => (await import("./commands/status.js")).statusCommand,
  ban: async () => (await import("./commands/ban.js")).banCommand,
  unban: async () => (await import("./commands/unban.js")).unbanCommand,
  banned: async () => (await import("./commands/banned.js")).bannedCommand,
  filter: async () => (await import("./commands/filter.js")).filterCommand,
};

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb === undefined || verb === "--help" || verb === "-h" || verb === "help") {
    (verb === undefined ? io.stderr : io.stdout).write(USAGE);
    return verb === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (verb === "--version") {
    io.stdout.write("rampart 0.1.0\n");
    return ExitCode.ok;
  }
  const load = COMMANDS[verb];
  if (load === undefined) {
    io.stderr.write(`rampart: unknown command "${verb}"\n\n${USAGE}`);
    return ExitCode.usage;
  }
  try {
    const command = await load();
    return await command(rest, io);
  } catch (error) {
    return reportError(error, io);
  }
}

/** The last line of defence: an error no command handled becomes one readable message. */
export function reportError(error: unknown, io: CliIo): number {
  if (error instanceof RampartError) {
    io.stderr.write(`rampart: ${error.message}\n`);
    for (const p of error.problems) io.stderr.write(`  ${formatProblem(p)}\n`);
    if (io.env.RAMPART_DEBUG && error.cause) io.stderr.write(`${String(error.cause)}\n`);
    return error.exitCode;
  }
  io.stderr.write(
    `rampart: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return ExitCode.failure;
}
