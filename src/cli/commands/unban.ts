import { parseArgs } from "node:util";
import { ExitCode } from "../../core/errors/rampart-error.js";
import type { CliIo } from "../cli-io.js";
import { askGuard } from "./guard-control.js";

/** `rampart unban IP [--jail J]`: lifts the address's bans (its IPv6 prefix too) in one or all jails. */
export async function unbanCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { config: { type: "string" }, jail: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length !== 1) {
    (values.help ? io.stdout : io.stderr).write("Usage: rampart unban IP [--jail JAIL] [--config FILE]\n");
    return values.help ? ExitCode.ok : ExitCode.usage;
  }
  const address = positionals[0] as string;
  const result = (await askGuard(
    values.config,
    values.jail === undefined ? { op: "unban", address } : { op: "unban", address, jail: values.jail },
  )) as { unbanned: { jail: string; target: string }[] };
  for (const u of result.unbanned) io.stdout.write(`Unbanned ${u.target} from jail "${u.jail}"\n`);
  return ExitCode.ok;
}
