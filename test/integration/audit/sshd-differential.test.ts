import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { RootedFs } from "../../../src/adapters/system/rooted-fs.js";
import { sshSettingsFrom } from "../../../src/core/audit/ssh-settings.js";
import { effectiveValue, type SshdConnection } from "../../../src/core/sshd/evaluate-match.js";
import { parseSshdT } from "../../../src/core/sshd/parse-sshd-t.js";
import { readSshdConfig } from "../../../src/core/sshd/read-sshd-config.js";
import { AUDIT_FIXTURES } from "./fixture-paths.js";

const SSHD = "/usr/sbin/sshd";
const KEYWORDS = [
  "permitrootlogin",
  "passwordauthentication",
  "kbdinteractiveauthentication",
  "permitemptypasswords",
  "maxauthtries",
  "authenticationmethods",
  "usepam",
  "ciphers",
  "macs",
  "kexalgorithms",
  "pubkeyauthentication",
];
const CONNECTIONS: SshdConnection[] = [
  { user: "root", host: "lan.example", addr: "10.1.2.3" },
  { user: "root", host: "unknown.invalid", addr: "203.0.113.7" },
  { user: "deploy", host: "unknown.invalid", addr: "198.51.100.9" },
];

/**
 * Runs the real `sshd -T` on a fixture's /etc/ssh inside a private mount namespace: the fixture is
 * bind-mounted over /etc/ssh (so absolute Include paths resolve into it) and /run gets a tmpfs for
 * sshd's privilege-separation directory. Nothing of the host changes; sshd only prints and exits.
 */
function realSshdT(
  etcSsh: string,
  hostKey: string,
  conn?: SshdConnection,
): { code: number; stdout: string; stderr: string } {
  const script =
    'mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd && mount --bind "$1" /etc/ssh && shift && exec "$@"';
  const args = ["-T", "-h", hostKey];
  if (conn) args.push("-C", `user=${conn.user},host=${conn.host},addr=${conn.addr}`);
  const r = spawnSync(
    "unshare",
    ["-m", "--propagation", "private", "sh", "-c", script, "sh", etcSsh, SSHD, ...args],
    { encoding: "utf8", timeout: 10_000 },
  );
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const norm = (k: string, v: string) =>
  k === "permitrootlogin" && v === "without-password" ? "prohibit-password" : v.toLowerCase();

const canRun = existsSync(SSHD) && process.getuid?.() === 0;

describe("offline sshd_config reader agrees with the real sshd -T", {
  skip: canRun ? false : "needs root and /usr/sbin/sshd",
}, () => {
  let keyDir = "";
  let hostKey = "";
  before(() => {
    keyDir = mkdtempSync(join(tmpdir(), "rampart-audit-sshd-"));
    hostKey = join(keyDir, "ssh_host_ed25519_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
  });
  after(() => rmSync(keyDir, { recursive: true, force: true }));

  const trees = readdirSync(AUDIT_FIXTURES).filter((t) =>
    existsSync(join(AUDIT_FIXTURES, t, "etc/ssh/sshd_config")),
  );

  for (const tree of trees) {
    it(`${tree}: same effective settings, globally and per Match connection`, () => {
      const root = join(AUDIT_FIXTURES, tree);
      const fs = new RootedFs(root);
      const config = readSshdConfig({ readFile: (p) => fs.readText(p), listDir: (p) => fs.listDir(p) });
      const real = realSshdT(join(root, "etc/ssh"), hostKey);
      const fatal = config.problems.filter((p) => p.code !== "sshd.deprecated");
      if (fatal.length > 0) {
        // sshd refuses the same file our reader flags, naming the same line.
        assert.notEqual(real.code, 0, "sshd rejects the config too");
        const line = fatal[0]?.at?.line;
        assert.match(real.stderr, new RegExp(`line ${line}: Bad configuration option`), real.stderr);
        return;
      }
      assert.equal(real.code, 0, real.stderr);
      const sshdView = parseSshdT(real.stdout);
      const ours = sshSettingsFrom(config, undefined);
      for (const k of KEYWORDS) {
        assert.equal(norm(k, ours.get(k).value), norm(k, sshdView.get(k)?.[0] ?? ""), `${tree}: ${k}`);
      }
      assert.deepEqual(
        ours
          .getAll("port")
          .map((p) => p.value)
          .sort(),
        [...(sshdView.get("port") ?? [])].sort(),
        `${tree}: ports`,
      );
      for (const conn of CONNECTIONS) {
        const realC = realSshdT(join(root, "etc/ssh"), hostKey, conn);
        assert.equal(realC.code, 0, realC.stderr);
        const view = parseSshdT(realC.stdout);
        for (const k of ["permitrootlogin", "passwordauthentication", "allowtcpforwarding"]) {
          const want = view.get(k)?.[0] ?? "";
          const got = effectiveValue(config, k, conn);
          assert.equal(norm(k, got), norm(k, want), `${tree}: ${k} for ${conn.user}@${conn.addr}`);
        }
      }
    });
  }

  it("a live audit asks the real sshd -T (cloud-init drop-in case) and cites the file that set the value", () => {
    // The fixture's /etc/ssh (plus a throwaway host key) is bind-mounted over /etc/ssh in a private
    // mount namespace, so the live code path runs against it without touching the host.
    const etc = mkdtempSync(join(tmpdir(), "rampart-audit-live-ssh-"));
    try {
      cpSync(join(AUDIT_FIXTURES, "cloud-init-dropin/etc/ssh"), etc, { recursive: true });
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(etc, "ssh_host_ed25519_key")]);
      const bin = fileURLToPath(new URL("../../../bin/rampart", pathToFileURL(AUDIT_FIXTURES)));
      const script =
        'mount -t tmpfs tmpfs /run && mkdir -m 0755 /run/sshd && mount --bind "$1" /etc/ssh && shift && exec "$@"';
      const r = spawnSync(
        "unshare",
        [
          "-m",
          "--propagation",
          "private",
          "sh",
          "-c",
          script,
          "sh",
          etc,
          process.execPath,
          bin,
          "audit",
          "--json",
          "--config",
          "/dev/null",
          "--cache-dir",
          join(keyDir, "apt"),
        ],
        { encoding: "utf8", timeout: 30_000 },
      );
      assert.ok(r.stdout.startsWith("{"), `${r.status} ${r.stderr}`);
      const doc = JSON.parse(r.stdout);
      const byId = (id: string) => doc.checks.find((x: { id: string }) => x.id === id);
      const pw = byId("ssh.password-auth");
      assert.equal(pw.status, "fail");
      assert.ok(
        pw.evidence.includes(
          "sshd -T: passwordauthentication yes (set at /etc/ssh/sshd_config.d/50-cloud-init.conf:1)",
        ),
        pw.evidence.join("\n"),
      );
      assert.ok(byId("ssh.root-login").evidence.includes("sshd -T -C user=root: permitrootlogin no"));
      assert.equal(byId("ssh.port").status, "pass");
    } finally {
      rmSync(etc, { recursive: true, force: true });
    }
  });
});
