import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { describe, it } from "node:test";
import { auditCommand } from "../../../src/cli/commands/audit.js";
import { ADMIN_PUB, copyFixture } from "./harden-tree.js";
import { runHarden } from "./run-harden.js";

// The audit checks whose remediation is a `rampart harden` flag and that an offline tree can show.
const COVERED = [
  "ssh.config-valid",
  "ssh.port",
  "ssh.root-login",
  "ssh.password-auth",
  "ssh.empty-passwords",
  "ssh.max-auth-tries",
  "accounts.root-password",
  "accounts.admin-user",
  "updates.automatic",
  "ips.active",
  "ips.sshd-jail",
];

async function audit(root: string): Promise<Map<string, string>> {
  const stdout = new PassThrough();
  let out = "";
  stdout.on("data", (d) => {
    out += d.toString();
  });
  await auditCommand(["--root", root, "--json"], {
    stdout,
    stderr: new PassThrough(),
    stdin: Readable.from([""]),
    env: {},
    cwd: process.cwd(),
  });
  await new Promise((r) => setImmediate(r));
  const report = JSON.parse(out) as { checks: { id: string; status: string }[] };
  return new Map(report.checks.map((f) => [f.id, f.status]));
}

describe("rampart harden --all, then rampart audit", () => {
  it("after --all --apply + confirm, every check harden covers passes, and a second run plans []", async () => {
    const t = copyFixture("debian-weak");
    try {
      const before = await audit(t.root);
      const failing = COVERED.filter((id) => before.get(id) !== "pass");
      assert.ok(failing.length >= 7, `the weak tree fails most covered checks: ${failing.join(", ")}`);
      const hash = "$y$j9T$0123456789abcdefghijkl$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq";
      const argv = ["--root", t.root, "--all", "--admin-user", "alice", "--admin-key", ADMIN_PUB];
      const r = await runHarden([...argv, "--root-password", "--state-dir", t.stateDir, "--apply", "--yes"], {
        stdin: `${hash}\n`,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal((await runHarden(["confirm", "--state-dir", t.stateDir])).code, 0);
      const after = await audit(t.root);
      for (const id of COVERED) assert.equal(after.get(id), "pass", `${id} after harden --all`);
      const again = await runHarden([...argv, "--json"]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout).changes, []);
    } finally {
      t.cleanup();
    }
  });
});
