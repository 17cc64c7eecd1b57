import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { appendJournal, canWriteJournal, sshdEntry } from "../../support/journal-writer.js";
import { createLab, nsNft, startLabDaemon, waitFor } from "./guard-lab.js";

const skip = canWriteJournal() ? false : "systemd-journal-remote is not installed";

/**
 * The daemon with the journald backend: a real journal file (written by systemd-journal-remote)
 * followed with `journalctl --file`, the built-in sshd filter, bans in a namespace's nftables.
 */
describe("guard daemon with the journald backend", { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-guard-journal-"));
  const lab = createLab("rgdj", ["server"]);
  after(() => {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("bans from journal entries matched on trusted fields, not from forged ones", async () => {
    const journal = join(dir, "sshd.journal");
    appendJournal(journal, [{ _COMM: "cron", _PID: "1", SYSLOG_IDENTIFIER: "CRON", MESSAGE: "unrelated" }]);
    const config = join(dir, "rampart.yaml");
    writeFileSync(
      config,
      `guard:
  database: ${dir}/rampart.db
  socket: ${dir}/rampart.sock
  jails:
    sshd:
      backend: journald
      journalfiles: [${journal}]
      maxretry: 2
`,
    );
    const { daemon, lines } = await startLabDaemon(lab, config);
    try {
      // A local user's `logger -t sshd` sets SYSLOG_IDENTIFIER but not the trusted _COMM.
      const forged = { _COMM: "logger", _PID: "999", SYSLOG_IDENTIFIER: "sshd", MESSAGE: "" };
      appendJournal(journal, [
        { ...forged, MESSAGE: "Failed password for root from 198.51.100.66 port 1 ssh2" },
        { ...forged, MESSAGE: "Failed password for root from 198.51.100.66 port 2 ssh2" },
        sshdEntry("Failed password for root from 192.0.2.7 port 2222 ssh2"),
        sshdEntry("Failed password for invalid user admin from 192.0.2.7 port 2223 ssh2"),
      ]);
      assert.ok(
        await waitFor(() => lines.some((l) => l.includes("[sshd] Ban 192.0.2.7")), 8000),
        lines.join("\n"),
      );
      assert.match(
        nsNft(lab, ["get", "element", "inet", "rampart_guard", "banned4", "{ 192.0.2.7 }"]),
        /192\.0\.2\.7/,
      );
      const status = await daemon.handle({ op: "status", jail: "sshd" });
      assert.ok(status.ok);
      const [jail] = (status.result as { jails: { bannedList: string[]; filesWatched: string[] }[] }).jails;
      assert.deepEqual(jail?.bannedList, ["192.0.2.7"]);
      assert.match(jail?.filesWatched[0] ?? "", /^journal:/);
    } finally {
      await daemon.stop();
    }
  });
});
