import { PassThrough, Readable } from "node:stream";
import type { CliIo } from "../../../src/cli/cli-io.js";
import { hardenCommand } from "../../../src/cli/commands/harden.js";

export interface HardenRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `rampart harden ARGV` in this process, with captured output and a chosen environment. */
export async function runHarden(
  argv: readonly string[],
  options: { stdin?: string; env?: Record<string, string | undefined> } = {},
): Promise<HardenRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = "";
  let e = "";
  stdout.on("data", (d) => {
    o += d.toString();
  });
  stderr.on("data", (d) => {
    e += d.toString();
  });
  const io: CliIo = {
    stdout,
    stderr,
    stdin: Readable.from([options.stdin ?? ""]),
    env: options.env ?? {},
    cwd: process.cwd(),
  };
  const code = await hardenCommand(argv, io);
  await new Promise((r) => setImmediate(r));
  return { code, stdout: o, stderr: e };
}
