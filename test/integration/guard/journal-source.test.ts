import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { JournalSource, SSHD_JOURNAL_MATCHES } from "../../../src/adapters/sources/journal-source.js";
import { Collector, logSourceContract } from "../../../src/adapters/sources/log-source-contract.js";
import { MemoryCheckpointStore } from "../../../src/adapters/sources/memory-checkpoint-store.js";
import { appendJournal, canWriteJournal, sshdEntry } from "../../support/journal-writer.js";

const root = mkdtempSync(join(tmpdir(), "rampart-journal-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const skip = canWriteJournal() ? false : "systemd-journal-remote is not installed";

/** A journal file that exists (journalctl --file needs it) with one unrelated entry. */
function freshJournal(): string {
  const file = join(root, `j${n++}.journal`);
  appendJournal(file, [{ _COMM: "cron", _PID: "1", SYSLOG_IDENTIFIER: "CRON", MESSAGE: "unrelated" }]);
  return file;
}

describe("JournalSource: LogSource contract (real journal file)", { skip }, () => {
  logSourceContract(async () => {
    const file = freshJournal();
    return {
      make: (store) =>
        new JournalSource({ matches: SSHD_JOURNAL_MATCHES, files: [file], checkpoints: store }),
      append: async (texts) =>
        appendJournal(
          file,
          texts.map((t) => sshdEntry(t)),
        ),
      delivered: (t) => `srv sshd[4242]: ${t}`,
      dispose: async () => undefined,
    };
  });
});

describe("JournalSource (real journal file)", { skip }, () => {
  it("formats entries as Fail2Ban's journal lines with the entry's own time", async () => {
    const file = freshJournal();
    const got = new Collector();
    const source = new JournalSource({
      matches: SSHD_JOURNAL_MATCHES,
      files: [file],
      checkpoints: new MemoryCheckpointStore(),
    });
    await source.start(got.push);
    const before = Date.now() / 1000;
    appendJournal(file, [sshdEntry("Failed password for root from 192.0.2.7 port 2222 ssh2", 77)]);
    await got.until(1);
    await source.stop();
    assert.equal(got.lines[0]?.text, "srv sshd[77]: Failed password for root from 192.0.2.7 port 2222 ssh2");
    const time = got.lines[0]?.time ?? 0;
    assert.ok(Math.abs(time - before) < 5, `entry time ${time} near ${before}`);
  });

  it("ignores a forged entry: logger -t sshd by a local user has untrusted identity fields", async () => {
    const file = freshJournal();
    const got = new Collector();
    const source = new JournalSource({
      matches: SSHD_JOURNAL_MATCHES,
      files: [file],
      checkpoints: new MemoryCheckpointStore(),
    });
    await source.start(got.push);
    appendJournal(file, [
      {
        // What `logger -t sshd -i` from a shell produces: the identifier and PID are the client's claim.
        _COMM: "logger",
        _PID: "999",
        _SYSTEMD_UNIT: "session-3.scope",
        SYSLOG_IDENTIFIER: "sshd",
        SYSLOG_PID: "999",
        MESSAGE: "Failed password for root from 198.51.100.66 port 22 ssh2",
      },
      {
        ...sshdEntry("Connection closed by 192.0.2.9 port 4000 [preauth]"),
        _COMM: "sshd-session",
        _SYSTEMD_UNIT: "",
      },
    ]);
    await got.until(1);
    await new Promise((r) => setTimeout(r, 200));
    await source.stop();
    assert.deepEqual(got.texts, ["srv sshd[4242]: Connection closed by 192.0.2.9 port 4000 [preauth]"]);
  });

  it("starts after the newest entry on a first start, and resumes from the saved cursor", async () => {
    const file = freshJournal();
    appendJournal(file, [sshdEntry("old failure")]);
    const store = new MemoryCheckpointStore();
    const got = new Collector();
    const first = new JournalSource({ matches: SSHD_JOURNAL_MATCHES, files: [file], checkpoints: store });
    await first.start(got.push);
    appendJournal(file, [sshdEntry("new 1")]);
    await got.until(1);
    await first.stop();
    assert.match(store.load(first.id)?.cursor ?? "", /^s=/);
    appendJournal(file, [sshdEntry("while stopped")]);
    const again = new Collector();
    const second = new JournalSource({ matches: SSHD_JOURNAL_MATCHES, files: [file], checkpoints: store });
    await second.start(again.push);
    await again.until(1);
    await new Promise((r) => setTimeout(r, 100));
    await second.stop();
    assert.deepEqual(got.texts, ["srv sshd[4242]: new 1"]);
    assert.deepEqual(again.texts, ["srv sshd[4242]: while stopped"]);
  });

  it("restarts journalctl when it dies, without losing or repeating entries", async () => {
    const file = freshJournal();
    const got = new Collector();
    const notices: string[] = [];
    const source = new JournalSource({
      matches: SSHD_JOURNAL_MATCHES,
      files: [file],
      checkpoints: new MemoryCheckpointStore(),
      minRestartMs: 20,
      onNotice: (m) => notices.push(m),
    });
    await source.start(got.push);
    appendJournal(file, [sshdEntry("before kill")]);
    await got.until(1);
    const child = (source as unknown as { child?: { pid?: number } }).child;
    assert.ok(child?.pid);
    process.kill(child.pid, "SIGKILL");
    appendJournal(file, [sshdEntry("after kill")]);
    await got.until(2);
    await new Promise((r) => setTimeout(r, 100));
    await source.stop();
    assert.deepEqual(got.texts, ["srv sshd[4242]: before kill", "srv sshd[4242]: after kill"]);
    assert.match(notices.join("\n"), /restarting/);
  });
});
