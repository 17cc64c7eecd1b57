import { parseArgs } from "node:util";
import { ExitCode } from "../../core/errors/rampart-error.js";
import { formatDuration } from "../../core/guard/format-duration.js";
import type { BanMessage } from "../../core/protocol/control-protocol.js";
import type { CliIo } from "../cli-io.js";
import { askGuard } from "./guard-control.js";

/** `rampart banned [--json]`: every active ban, all jails. */
export async function bannedCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { config: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length > 0) {
    (values.help ? io.stdout : io.stderr).write("Usage: rampart banned [--json] [--config FILE]\n");
    return values.help ? ExitCode.ok : ExitCode.usage;
  }
  const { bans } = (await askGuard(values.config, { op: "banned" })) as { bans: BanMessage[] };
  if (values.json) {
    io.stdout.write(`${JSON.stringify(bans, null, 2)}\n`);
    return ExitCode.ok;
  }
  const now = Date.now() / 1000;
  for (const b of bans) {
    const left = b.until === null ? "permanent" : `${formatDuration(Math.max(0, b.until - now))} left`;
    io.stdout.write(`${b.jail}\t${b.target}\t${left}\t(ban #${b.banCount})\n`);
  }
  if (bans.length === 0) io.stdout.write("No active bans\n");
  return ExitCode.ok;
}
