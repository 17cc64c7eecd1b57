import { ExitCode } from "../../core/errors/rampart-error.js";
import type { CliIo } from "../cli-io.js";

// Placeholder until the capability lands; says so honestly instead of pretending.
export async function hardenCommand(_argv: readonly string[], io: CliIo): Promise<number> {
  io.stderr.write("rampart: \"harden\" is not implemented yet\n");
  return ExitCode.usage;
}
