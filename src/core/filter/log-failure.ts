/**
 * The filter engine's contract with everything downstream (the `filter test` CLI, the guard).
 * A filter is stateful (multi-line MLFID merging, date-template caching), so it is an object;
 * it is still pure: the caller passes the clock.
 */
export interface LogFailure {
  /** Fail2Ban's failure id, exactly as fail2ban-regex prints `<ip>`: an address, or a raw id/host. */
  readonly id: string;
  /** The id as a strictly validated, canonical IP address, or null when the id is not one. */
  readonly ip: string | null;
  /** Epoch seconds (fractional when the log has sub-second precision). */
  readonly time: number;
  /** 1-based number of the line that completed the failure. */
  readonly line: number;
  readonly user: string | null;
  /** Log text that made up the failure (several lines for multi-line failures). */
  readonly matches: readonly string[];
}

export interface LineFilter {
  /** Name for messages, e.g. "sshd" or "/etc/fail2ban/filter.d/sshd.conf". */
  readonly name: string;
  /**
   * Feeds one log line (without its newline). Returns the failures it completes, in order.
   * `now` (epoch seconds) drives year inference and lines without a date.
   */
  processLine(text: string, lineNumber: number, now: number): LogFailure[];
  /** For the journald backend: the entry's own timestamp replaces date parsing. */
  processJournalLine?(text: string, time: number, lineNumber: number, now: number): LogFailure[];
}

/**
 * One failure as `rampart filter test --json` prints it: `{"ip","time","line","user"}` and a
 * newline. Written by hand because it runs once per failure on the hot path; the result is
 * exactly `JSON.stringify({ ip, time, line, user })`.
 */
export function failureJsonLine(failure: LogFailure): string {
  const time = Number.isFinite(failure.time) ? String(failure.time) : "null";
  const user = failure.user === null ? "null" : JSON.stringify(failure.user);
  return `{"ip":${JSON.stringify(failure.id)},"time":${time},"line":${failure.line},"user":${user}}\n`;
}
