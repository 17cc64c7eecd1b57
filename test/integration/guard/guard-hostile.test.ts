import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createLab, startLabDaemon, waitFor } from "./guard-lab.js";

/** syslog's date as rsyslog writes it into auth.log, for now. */
function syslogDate(d = new Date()): string {
  const month = d.toLocaleString("en-US", { month: "short" });
  const p = (n: number) => String(n).padStart(2, "0");
  return `${month} ${String(d.getDate()).padStart(2, " ")} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * Issue 3, acceptance 4, through the live daemon with the built-in sshd filter: hostile lines do
 * not crash it, do not stall it, and an address injected into a user name is never banned.
 */
describe("guard daemon under hostile log input (built-in sshd filter)", () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-guard-hostile-"));
  const lab = createLab("rgdh", ["server"]);
  after(() => {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("bans the real source, never an injected address, and keeps going", async () => {
    const log = join(dir, "auth.log");
    writeFileSync(log, "");
    const config = join(dir, "rampart.yaml");
    writeFileSync(
      config,
      `guard:\n  database: ${dir}/rampart.db\n  socket: ${dir}/rampart.sock\n  jails:\n    sshd:\n      logpath: ${log}\n      maxretry: 2\n`,
    );
    const { daemon, lines } = await startLabDaemon(lab, config);
    try {
      const prefix = () => `${syslogDate()} srv sshd[4242]:`;
      const hostile = [
        // User names carrying an address (CVE-style injections fail2ban's filters guard against).
        `${prefix()} Failed password for invalid user root from 198.51.100.99 port 1 ssh2 from 192.0.2.60 port 2222 ssh2`,
        `${prefix()} Invalid user 198.51.100.99 from 192.0.2.60 port 2222`,
        `${prefix()} Failed password for invalid user x from 198.51.100.99 port 22 ssh2 from 192.0.2.60 port 2222 ssh2`,
        // Long, binary and pathological lines.
        `${prefix()} Failed password for ${"a".repeat(200_000)} from 192.0.2.61 port 1 ssh2`,
        `${prefix()} ${"\u0000\u00ff\ufffd".repeat(1000)}`,
        `${prefix()} Failed password for invalid user ${" from".repeat(20_000)} 192.0.2.62 port 1 ssh2`,
      ];
      const start = performance.now();
      for (let round = 0; round < 2; round++) appendFileSync(log, `${hostile.join("\n")}\n`);
      // A marker failure pair after the hostile block: once it is banned, everything before was read.
      appendFileSync(log, `${prefix()} Failed password for root from 192.0.2.70 port 1 ssh2\n`.repeat(2));
      assert.ok(
        await waitFor(() => lines.some((l) => l.includes("Ban 192.0.2.70 ")), 10_000),
        lines.join("\n"),
      );
      const elapsed = performance.now() - start;
      assert.ok(elapsed < 10_000, `hostile block took ${elapsed.toFixed(0)} ms`);
      const status = await daemon.handle({ op: "status", jail: "sshd" });
      assert.ok(status.ok);
      const banned = (status.result as { jails: { bannedList: string[] }[] }).jails[0]?.bannedList ?? [];
      assert.ok(!banned.includes("198.51.100.99"), `injected address banned: ${banned.join(", ")}`);
      assert.ok(banned.includes("192.0.2.70"));
      // Still alive and answering after the block.
      assert.ok((await daemon.handle({ op: "ping" })).ok);
    } finally {
      await daemon.stop();
    }
  });
});
