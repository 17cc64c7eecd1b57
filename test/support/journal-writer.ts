import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const JOURNAL_REMOTE = "/lib/systemd/systemd-journal-remote";

export function canWriteJournal(): boolean {
  return existsSync(JOURNAL_REMOTE);
}

const BOOT_ID = "0123456789abcdef0123456789abcdef";
let monotonic = 1_000_000;

/**
 * Appends entries to a real journal file (FILE must end in .journal) through
 * systemd-journal-remote reading the export format (systemd.io/JOURNAL_EXPORT_FORMATS) on stdin.
 * Trusted fields (_COMM, _SYSTEMD_UNIT, ...) are set here as journald would set them, which is
 * exactly what makes a forged `logger` entry distinguishable in the test.
 */
export function appendJournal(file: string, entries: readonly Record<string, string>[]): void {
  const text = entries
    .map((fields) => {
      monotonic += 1000;
      const head = {
        __REALTIME_TIMESTAMP: String(Date.now() * 1000),
        __MONOTONIC_TIMESTAMP: String(monotonic),
        _BOOT_ID: BOOT_ID,
        _HOSTNAME: "srv",
      };
      const all = { ...head, ...fields };
      for (const v of Object.values(all))
        if (v.includes("\n")) throw new Error("binary export fields not needed here");
      return `${Object.entries(all)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")}\n\n`;
    })
    .join("");
  execFileSync(JOURNAL_REMOTE, [`--output=${file}`, "-"], { input: text, stdio: ["pipe", "ignore", "pipe"] });
}

/** An sshd entry as journald records it for the ssh.service unit. */
export function sshdEntry(message: string, pid = 4242): Record<string, string> {
  return {
    _COMM: "sshd",
    _PID: String(pid),
    _SYSTEMD_UNIT: "ssh.service",
    SYSLOG_IDENTIFIER: "sshd",
    SYSLOG_PID: String(pid),
    MESSAGE: message,
  };
}
