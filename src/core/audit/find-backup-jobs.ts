import type { BackupJob } from "./host-facts.js";

const TOOLS =
  /\b(restic|borgmatic|borg|rsnapshot|rdiff-backup|duplicity|duplicati|rclone|rsync|kopia|tarsnap|bacula-fd|burp|vzdump|automysqlbackup|backup-manager|bup)\b/;

/** Backup tools named in a crontab, a cron script or a systemd unit, with file:line. */
export function findBackupJobs(file: string, text: string, options: { crontab: boolean }): BackupJob[] {
  const out: BackupJob[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === "" || line.startsWith("#")) continue;
    if (options.crontab && /^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(line)) continue;
    const m = TOOLS.exec(line);
    if (m) out.push({ tool: m[1] as string, evidence: `${file}:${i + 1}` });
  }
  return out;
}
