import { appendFileSync } from "node:fs";

/**
 * One line per event on stderr (journald adds the timestamp) and, when configured, the same
 * line with a date in `logfile` — the file the `recidive` jail watches.
 */
export class GuardLogger {
  constructor(
    private logfile: string | undefined,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  setLogfile(path: string | undefined): void {
    this.logfile = path;
  }

  /** A ban/unban line, already shaped by guardLogLine. */
  event(line: string): void {
    this.write(line);
    if (this.logfile) {
      try {
        appendFileSync(this.logfile, `${formatLocalTime(new Date())} ${line}\n`, { mode: 0o640 });
      } catch (error) {
        this.write(
          `rampart[${process.pid}]: Cannot append to logfile "${this.logfile}": ${(error as Error).message}`,
        );
      }
    }
  }

  notice(message: string): void {
    this.write(`rampart[${process.pid}]: ${message}`);
  }
}

/** `2026-11-21 14:02:03,123`: fail2ban.log's own date shape, which its date detector knows. */
function formatLocalTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}
