import type { Readable, Writable } from "node:stream";

/** Everything a command may touch of its process; injected so tests run commands in-process. */
export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

/** A command returns its exit status; only the entry points set `process.exitCode`. */
export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;
