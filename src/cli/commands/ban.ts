import { parseArgs } from "node:util";
import { ExitCode } from "../../core/errors/rampart-error.js";
import type { CliIo } from "../cli-io.js";
import { askGuard } from "./guard-control.js";

/** `rampart ban JAIL IP`: bans through the running guard (store, kernel, actions, log). */
export async function banCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { config: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length !== 2) {
    (values.help ? io.stdout : io.stderr).write("Usage: rampart ban JAIL IP [--config FILE]\n");
    return values.help ? ExitCode.ok : ExitCode.usage;
  }
  const [jail, address] = positionals as [string, string];
  const result = (await askGuard(values.config, { op: "ban", jail, address })) as {
    banned: { jail: string; target: string; bantime: number }[];
  };
  for (const b of result.banned) io.stdout.write(`Banned ${b.target} in jail "${b.jail}"\n`);
  return ExitCode.ok;
}
