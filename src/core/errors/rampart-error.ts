import type { Problem } from "./problem.js";

/** Exit statuses shared by every command (documented in the README). */
export const ExitCode = {
  ok: 0,
  /** A check failed (audit), a refusal (lockout), or the daemon is not running. */
  failure: 1,
  /** Usage error or invalid input (config, filter, rule). */
  usage: 2,
} as const;

/**
 * The one error type for operational failures (I/O, processes, kernel). Expected input problems
 * travel as `Problem[]` inside it so the CLI can print all of them.
 */
export class RampartError extends Error {
  readonly code: string;
  readonly problems: readonly Problem[];
  readonly exitCode: number;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; problems?: readonly Problem[]; exitCode?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RampartError";
    this.code = code;
    this.problems = options.problems ?? [];
    this.exitCode = options.exitCode ?? ExitCode.failure;
  }
}
