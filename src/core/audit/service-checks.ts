import { missingFact } from "./audit-types.js";
import type { CheckDefinition } from "./host-facts.js";

const DAY = 86_400_000;

export const serviceChecks: readonly CheckDefinition[] = [
  {
    id: "ftp.port",
    title: "No plain FTP on the default port",
    area: "services",
    severity: "medium",
    run: (facts) => {
      if (!facts.ftpServers.ok) return missingFact(facts.ftpServers);
      const servers = facts.ftpServers.value;
      const listening21 = facts.listening.ok
        ? facts.listening.value.filter((s) => s.port === 21 && !s.address.startsWith("127."))
        : [];
      const evidence = [
        ...servers.map((s) => `${s.evidence}: ${s.name} port ${s.port}, TLS ${s.tls ? "on" : "off"}`),
        ...listening21.map((s) => `listening tcp ${s.address}:21${s.process ? ` (${s.process})` : ""}`),
      ];
      if (servers.length === 0 && listening21.length === 0)
        return {
          status: "pass",
          summary: "No FTP server installed",
          evidence: ["no proftpd/vsftpd/pure-ftpd configuration"],
        };
      const plain = servers.filter((s) => !s.tls);
      const on21 = servers.filter((s) => s.port === 21);
      if (plain.length)
        return {
          status: "fail",
          summary: `Plain FTP (passwords in clear text): ${plain.map((s) => s.name).join(", ")}`,
          evidence,
          remediation:
            "Use SFTP (part of SSH) instead, or enable TLS (proftpd: TLSEngine on; vsftpd: ssl_enable=YES)",
        };
      if (on21.length || listening21.length)
        return {
          status: "warn",
          summary: "FTP listens on the default port 21",
          evidence,
          remediation: "rampart harden --ftp-port 2121 --apply",
        };
      return { status: "pass", summary: "FTP uses TLS on a non-default port", evidence };
    },
  },
  {
    id: "backup.configured",
    title: "Backups run on a schedule",
    area: "services",
    severity: "medium",
    run: (facts) => {
      if (!facts.backups.ok) return missingFact(facts.backups);
      const jobs = facts.backups.value;
      const fix = "Schedule a backup job, e.g. a systemd timer running: restic backup /etc /home /var/www";
      if (jobs.length === 0)
        return {
          status: "fail",
          summary: "No backup job (restic, borg, rsync, duplicity, rclone…) in cron or systemd timers",
          evidence: ["crontabs, /etc/cron.*, systemd timers: none found"],
          remediation: fix,
        };
      const evidence = jobs.map(
        (j) =>
          `${j.evidence}: ${j.tool}${j.lastRun !== undefined ? `, last run ${((facts.now - j.lastRun) / DAY).toFixed(1)} day(s) ago` : ""}`,
      );
      const known = jobs.filter((j) => j.lastRun !== undefined);
      if (known.length && known.every((j) => facts.now - (j.lastRun ?? 0) > 2 * DAY)) {
        return {
          status: "warn",
          summary: "Backup jobs exist but none ran in the last 2 days",
          evidence,
          remediation: "Check the job's log: journalctl -u NAME.service",
        };
      }
      return {
        status: "pass",
        summary: `Backup job(s): ${[...new Set(jobs.map((j) => j.tool))].join(", ")}`,
        evidence,
      };
    },
  },
];
