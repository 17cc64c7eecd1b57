import { parseArgs } from "node:util";
import { ExitCode } from "../../core/errors/rampart-error.js";
import type { JailStatusMessage } from "../../core/protocol/control-protocol.js";
import type { CliIo } from "../cli-io.js";
import { askGuard } from "./guard-control.js";

/** `rampart status [JAIL] [--json]`: fail2ban-client status, from the running guard. */
export async function statusCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: { config: { type: "string" }, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || positionals.length > 1) {
    (values.help ? io.stdout : io.stderr).write("Usage: rampart status [JAIL] [--json] [--config FILE]\n");
    return values.help ? ExitCode.ok : ExitCode.usage;
  }
  const jail = positionals[0];
  const result = (await askGuard(
    values.config,
    jail === undefined ? { op: "status" } : { op: "status", jail },
  )) as {
    jails: JailStatusMessage[];
  };
  if (values.json) {
    io.stdout.write(`${JSON.stringify(jail === undefined ? result : result.jails[0], null, 2)}\n`);
    return ExitCode.ok;
  }
  if (jail === undefined) {
    io.stdout.write(
      `Status\n|- Number of jail:\t${result.jails.length}\n\`- Jail list:\t${result.jails.map((j) => j.jail).join(", ")}\n`,
    );
    return ExitCode.ok;
  }
  for (const j of result.jails) {
    io.stdout.write(
      [
        `Status for the jail: ${j.jail}`,
        "|- Filter",
        `|  |- Currently failed:\t${j.currentlyFailed}`,
        `|  |- Total failed:\t${j.totalFailed}`,
        `|  \`- ${j.backend === "file" ? "File list" : "Journal matches"}:\t${j.filesWatched.join(" ")}`,
        "`- Actions",
        `   |- Currently banned:\t${j.currentlyBanned}`,
        `   |- Total banned:\t${j.totalBanned}`,
        `   \`- Banned IP list:\t${j.bannedList.join(" ")}`,
        "",
      ].join("\n"),
    );
  }
  return ExitCode.ok;
}
