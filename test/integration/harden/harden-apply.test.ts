import assert from "node:assert/strict";
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { TransactionStore } from "../../../src/adapters/harden/transaction-store.js";
import { ADMIN_PUB, copyFixture, treeSnapshot } from "./harden-tree.js";
import { runHarden } from "./run-harden.js";

const FULL = [
  "--ssh-port",
  "2222",
  "--admin-user",
  "alice",
  "--admin-key",
  ADMIN_PUB,
  "--no-root-login",
  "--no-password-auth",
];

async function until(check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - start;
}

describe("rampart harden --apply on a --root tree", () => {
  it("writes atomically keeping owner and mode, records the transaction, rollback restores byte-identical originals", async () => {
    const t = copyFixture("debian-weak");
    try {
      // shadow as Debian has it: root:shadow 0640.
      chownSync(join(t.root, "etc/shadow"), 0, 42);
      chmodSync(join(t.root, "etc/shadow"), 0o640);
      const original = treeSnapshot(t.root);
      const r = await runHarden(
        [
          "--root",
          t.root,
          "--state-dir",
          t.stateDir,
          ...FULL,
          "--apply",
          "--yes",
          "--confirm-timeout",
          "600",
        ],
        {
          env: { SSH_CONNECTION: "198.51.100.7 50000 192.0.2.1 22" },
        },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Applied transaction \d{8}T\d{6}Z-[0-9a-f]+/);
      const shadow = statSync(join(t.root, "etc/shadow"));
      assert.equal(shadow.mode & 0o7777, 0o640);
      assert.equal(shadow.gid, 42);
      assert.match(readFileSync(join(t.root, "etc/shadow"), "utf8"), /^alice:\*:\d+:0:99999:7:::$/m);
      const ak = statSync(join(t.root, "home/alice/.ssh/authorized_keys"));
      assert.deepEqual([ak.mode & 0o7777, ak.uid, ak.gid], [0o600, 1000, 1000]);
      const sshDir = statSync(join(t.root, "home/alice/.ssh"));
      assert.deepEqual([sshDir.mode & 0o7777, sshDir.uid], [0o700, 1000]);
      const sudoers = statSync(join(t.root, "etc/sudoers.d/90-rampart-admin"));
      assert.equal(sudoers.mode & 0o7777, 0o440);
      assert.equal(
        readFileSync(join(t.root, "etc/ssh/sshd_config.d/00-rampart.conf"), "utf8")
          .split("\n")
          .filter((l) => l.startsWith("Port"))
          .join(","),
        "Port 2222,Port 22",
      );
      const tx = new TransactionStore(t.stateDir).latest();
      assert.equal(tx?.state, "armed");
      assert.equal(tx?.sshConnection, "198.51.100.7 50000 192.0.2.1 22");
      assert.deepEqual(tx?.createdUsers, ["alice"]);
      assert.deepEqual(tx?.createdDirs, ["/home/alice", "/home/alice/.ssh"]);
      assert.ok((tx?.log.length ?? 0) >= 8);
      // A second apply while one is unconfirmed is refused.
      const second = await runHarden([
        "--root",
        t.root,
        "--state-dir",
        t.stateDir,
        "--ssh-port",
        "2200",
        "--apply",
        "--yes",
      ]);
      assert.equal(second.code, 2);
      assert.match(second.stderr, /is not confirmed yet/);

      const back = await runHarden(["rollback", "--state-dir", t.stateDir]);
      assert.equal(back.code, 0, back.stderr);
      assert.match(back.stdout, /removed user alice/);
      assert.deepEqual(treeSnapshot(t.root), original, "rollback restores every byte, mode and owner");
      assert.equal(new TransactionStore(t.stateDir).latest()?.state, "rolled-back");
    } finally {
      t.cleanup();
    }
  });

  it("confirm closes the old port, warns from the applying session; rollback after confirm still restores", async () => {
    const t = copyFixture("debian-weak");
    try {
      const original = treeSnapshot(t.root);
      const env = { SSH_CONNECTION: "198.51.100.7 50000 192.0.2.1 22" };
      assert.equal(
        (await runHarden(["--root", t.root, "--state-dir", t.stateDir, ...FULL, "--apply", "--yes"], { env }))
          .code,
        0,
      );
      const c = await runHarden(["confirm", "--state-dir", t.stateDir], { env });
      assert.equal(c.code, 0, c.stderr);
      assert.match(c.stderr, /Warning: confirming from the SSH session that applied the change/);
      assert.match(c.stdout, /the old SSH port is closed/);
      const dropIn = readFileSync(join(t.root, "etc/ssh/sshd_config.d/00-rampart.conf"), "utf8");
      assert.deepEqual(
        dropIn.split("\n").filter((l) => l.startsWith("Port")),
        ["Port 2222"],
      );
      assert.equal(new TransactionStore(t.stateDir).latest()?.state, "confirmed");
      const again = await runHarden(["confirm", "--state-dir", t.stateDir]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /is confirmed, nothing to confirm/);
      assert.equal((await runHarden(["rollback", "--state-dir", t.stateDir])).code, 0);
      assert.deepEqual(treeSnapshot(t.root), original);
    } finally {
      t.cleanup();
    }
  });

  it("a file changed between plan and apply is still restored from the snapshot taken at apply", async () => {
    const t = copyFixture("debian-weak");
    try {
      const r = await runHarden([
        "--root",
        t.root,
        "--state-dir",
        t.stateDir,
        "--no-root-login",
        "--admin-user",
        "alice",
        "--admin-key",
        ADMIN_PUB,
        "--apply",
        "--yes",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const tx = new TransactionStore(t.stateDir).latest();
      const saved = tx?.files.find((f) => f.path === "/etc/passwd");
      assert.ok(saved?.backup);
      assert.equal(
        readFileSync(join(t.stateDir, "transactions", tx!.id, saved.backup), "utf8"),
        readFileSync(join(t.root, "etc/passwd"), "utf8").replace(/alice:.*\n/, ""),
      );
      writeFileSync(join(t.root, "etc/motd"), "unrelated file\n");
      assert.equal((await runHarden(["rollback", "--state-dir", t.stateDir])).code, 0);
      assert.ok(existsSync(join(t.root, "etc/motd")), "rollback touches only what harden changed");
      assert.ok(!readFileSync(join(t.root, "etc/passwd"), "utf8").includes("alice"));
    } finally {
      t.cleanup();
    }
  });
});

describe("rampart harden: the automatic rollback (detached timer process)", () => {
  it("an unconfirmed apply rolls itself back within its timeout; a confirmed one stays", async () => {
    const a = copyFixture("debian-weak");
    const b = copyFixture("debian-weak");
    try {
      const originalA = treeSnapshot(a.root);
      const [ra, rb] = await Promise.all([
        runHarden([
          "--root",
          a.root,
          "--state-dir",
          a.stateDir,
          ...FULL,
          "--apply",
          "--yes",
          "--confirm-timeout",
          "2",
        ]),
        runHarden([
          "--root",
          b.root,
          "--state-dir",
          b.stateDir,
          ...FULL,
          "--apply",
          "--yes",
          "--confirm-timeout",
          "2",
        ]),
      ]);
      assert.equal(ra.code, 0, ra.stderr);
      assert.equal(rb.code, 0, rb.stderr);
      const txA = new TransactionStore(a.stateDir).latest();
      assert.equal(txA?.timer?.kind, "process");
      // The timer is its own session leader (setsid), so the SSH session's hangup cannot reach it.
      const stat = readFileSync(`/proc/${txA?.timer?.pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      assert.equal(Number(fields[3]), txA?.timer?.pid, "session id == its own pid");
      assert.equal((await runHarden(["confirm", "--state-dir", b.stateDir])).code, 0);
      const took = await until(
        () => new TransactionStore(a.stateDir).latest()?.state === "rolled-back",
        8000,
      );
      assert.ok(took < 8000);
      assert.deepEqual(treeSnapshot(a.root), originalA, "the unconfirmed change is gone, alice removed");
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(new TransactionStore(b.stateDir).latest()?.state, "confirmed");
      assert.match(readFileSync(join(b.root, "etc/passwd"), "utf8"), /^alice:/m);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });
});
