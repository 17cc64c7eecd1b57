import { Readable, Writable } from "node:stream";
import { main } from "../../src/cli/main.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `rampart ARGV` in this process (the same `main` the binary calls) with captured output —
 * for tests that run the CLI hundreds of times, where a process start each would dominate.
 */
export async function runCli(
  argv: readonly string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  // The time zone is process-wide (and shared with the matcher's worker threads): a TZ asked for
  // in `env` must become this process's, as it would for a child process.
  const tz = options.env?.TZ;
  if (tz !== undefined && process.env.TZ !== tz) process.env.TZ = tz;
  let stdout = "";
  let stderr = "";
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await main(argv, {
    stdout: sink((s) => {
      stdout += s;
    }),
    stderr: sink((s) => {
      stderr += s;
    }),
    stdin: Readable.from([options.stdin ?? ""]),
    env: options.env ?? process.env,
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}
