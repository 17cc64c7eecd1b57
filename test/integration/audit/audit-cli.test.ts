import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CliIo } from "../../../src/cli/cli-io.js";
import { auditCommand } from "../../../src/cli/commands/audit.js";
import { AUDIT_FIXTURES } from "./fixture-paths.js";

function capture(
  env: Record<string, string | undefined> = {},
  tty = false,
): { io: CliIo; out: () => string; err: () => string } {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = new PassThrough();
  let o = "";
  let e = "";
  stdout.on("data", (b: Buffer) => {
    o += b.toString();
  });
  stderr.on("data", (b: Buffer) => {
    e += b.toString();
  });
  return {
    io: { stdout, stderr, stdin: new PassThrough(), env, cwd: process.cwd() },
    out: () => o,
    err: () => e,
  };
}

const tmp = mkdtempSync(join(tmpdir(), "rampart-audit-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const hardened = join(AUDIT_FIXTURES, "hardened");
const weak = join(AUDIT_FIXTURES, "weak");
const config = join(tmp, "empty.yaml");
writeFileSync(config, "audit: {}\n");

describe("rampart audit (CLI)", () => {
  it("exits 0 when nothing fails, 1 when a check fails", async () => {
    const ok = capture();
    assert.equal(await auditCommand(["--root", hardened, "--config", config], ok.io), 0, ok.out() + ok.err());
    assert.match(ok.out(), /Score 100\/100/);
    const bad = capture();
    assert.equal(await auditCommand(["--root", weak, "--config", config], bad.io), 1);
    assert.match(bad.out(), /FAIL\s+ssh\.root-login/);
    assert.match(bad.out(), /fix: rampart harden --no-root-login --apply/);
  });

  it("exits 2 on usage errors: unknown option, unknown --skip id, missing --root", async () => {
    for (const argv of [
      ["--bogus"],
      ["--skip", "ssh.nope", "--config", config],
      ["--root", join(tmp, "missing"), "--config", config],
      ["extra"],
    ]) {
      const c = capture();
      assert.equal(await auditCommand(argv, c.io), 2, argv.join(" "));
      assert.ok(c.err().length > 0);
    }
  });

  it("--json follows the documented schema", async () => {
    const c = capture();
    assert.equal(await auditCommand(["--root", weak, "--json", "--config", config], c.io), 1);
    const doc = JSON.parse(c.out());
    assert.equal(doc.schema, "rampart.audit/v1");
    assert.equal(typeof doc.score, "number");
    assert.ok(doc.score >= 0 && doc.score <= 100);
    assert.ok(Array.isArray(doc.checks) && doc.checks.length >= 25);
    for (const check of doc.checks) {
      assert.deepEqual(Object.keys(check), [
        "id",
        "title",
        "area",
        "status",
        "severity",
        "summary",
        "evidence",
        "remediation",
        "waived",
      ]);
      assert.ok(["pass", "fail", "warn", "skip"].includes(check.status));
      assert.ok(Array.isArray(check.evidence));
    }
    assert.equal(doc.summary.fail, doc.checks.filter((x: { status: string }) => x.status === "fail").length);
  });

  it("--skip and audit.skip drop checks; a waiver file turns a failure into a waived skip", async () => {
    const waivers = join(tmp, "waivers.yaml");
    writeFileSync(
      waivers,
      'waivers:\n  - id: ssh.port\n    reason: "Port 22 is required by the hosting panel"\n',
    );
    const cfg = join(tmp, "skip.yaml");
    writeFileSync(cfg, "audit:\n  skip: [ftp.port]\n");
    const c = capture();
    await auditCommand(
      ["--root", weak, "--json", "--skip", "backup.configured", "--waivers", waivers, "--config", cfg],
      c.io,
    );
    const doc = JSON.parse(c.out());
    const byId = (id: string) => doc.checks.find((x: { id: string }) => x.id === id);
    assert.equal(byId("backup.configured").status, "skip");
    assert.equal(byId("ftp.port").status, "skip");
    assert.equal(byId("ssh.port").status, "skip");
    assert.deepEqual(byId("ssh.port").waived, {
      reason: "Port 22 is required by the hosting panel",
      originalStatus: "fail",
    });
  });

  it("rejects a waiver without a reason, naming file:line", async () => {
    const waivers = join(tmp, "bad-waivers.yaml");
    writeFileSync(waivers, "waivers:\n  - id: ssh.port\n  - id: ssh.bogus\n    reason: x\n");
    const c = capture();
    assert.equal(await auditCommand(["--root", weak, "--waivers", waivers, "--config", config], c.io), 2);
    assert.match(c.err(), /bad-waivers\.yaml:2:\d+: Waiver for "ssh\.port" needs a reason/);
    assert.match(c.err(), /bad-waivers\.yaml:3:\d+: Unknown check id "ssh\.bogus"/);
  });

  it("reports a bad audit: section with file:line:col", async () => {
    const cfg = join(tmp, "bad.yaml");
    writeFileSync(cfg, "guard: {}\naudit:\n  behind_cloudflare: maybe\n  skipp: [x]\n");
    const c = capture();
    assert.equal(await auditCommand(["--root", weak, "--config", cfg], c.io), 2);
    assert.match(c.err(), /bad\.yaml:3:3: "audit\.behind_cloudflare" must be true or false/);
    assert.match(c.err(), /bad\.yaml:4:3: Unknown key "skipp"/);
  });

  it("colours only on a TTY without NO_COLOR", async () => {
    const tty = capture({}, true);
    await auditCommand(["--root", weak, "--config", config], tty.io);
    assert.match(tty.out(), /\x1b\[31mFAIL/);
    const noColor = capture({ NO_COLOR: "1" }, true);
    await auditCommand(["--root", weak, "--config", config], noColor.io);
    assert.doesNotMatch(noColor.out(), /\x1b\[/);
    const piped = capture();
    await auditCommand(["--root", weak, "--config", config], piped.io);
    assert.doesNotMatch(piped.out(), /\x1b\[/);
  });

  it("--html writes the page atomically (no temp file left) and keeps the text report", async () => {
    const file = join(tmp, "report.html");
    const c = capture();
    await auditCommand(["--root", weak, "--html", file, "--config", config], c.io);
    const html = readFileSync(file, "utf8");
    assert.match(html, /^<!doctype html>/);
    assert.doesNotMatch(html, /<script|https?:\/\/(?!www\.w3)/, "self-contained: no script, no remote URL");
    assert.match(html, /ssh\.root-login/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(c.out(), /HTML report written to/);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith(".report.html.")),
      [],
      "no temp file left",
    );
  });

  it("a live audit with no sshd binary still checks SSH from the files and says why", async () => {
    const c = capture({ RAMPART_SSHD: "/nonexistent/sshd" });
    const code = await auditCommand(
      ["--json", "--config", config, "--cache-dir", join(tmp, "apt-cache")],
      c.io,
    );
    assert.ok(code === 0 || code === 1, c.err());
    const doc = JSON.parse(c.out());
    assert.equal(doc.mode, "live");
    const valid = doc.checks.find((x: { id: string }) => x.id === "ssh.config-valid");
    if (existsSync("/etc/ssh/sshd_config")) {
      assert.match(valid.evidence.join("\n"), /"\/nonexistent\/sshd" not found/);
      assert.notEqual(doc.checks.find((x: { id: string }) => x.id === "ssh.root-login").status, "skip");
    }
  });
});

/**
 * The path of a `rampart` that uid 65534 can run. The checkout itself may sit in a directory only
 * root can enter (a `mktemp -d` clone is 0700), so then the program is copied next to the tree:
 * bin, the compiled code and the one runtime dependency the audit loads.
 */
function programForNobody(scratch: string): string {
  const root = fileURLToPath(new URL("../../../", pathToFileURL(AUDIT_FIXTURES)));
  const bin = join(root, "bin/rampart");
  const probe = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "test", "-r", bin]);
  if (probe.status === 0) return bin;
  const copy = join(scratch, "program");
  for (const part of ["bin", "dist/src", "filters", "data", "package.json", "node_modules/yaml"]) {
    cpSync(join(root, part), join(copy, part), { recursive: true });
  }
  chmodSync(scratch, 0o755);
  return join(copy, "bin/rampart");
}

describe("rampart audit as an unprivileged user", {
  skip: process.getuid?.() === 0 ? false : "needs root to drop privileges",
}, () => {
  it("an unreadable shadow file degrades the account checks to warnings with the reason", () => {
    const tree = mkdtempSync(join(tmpdir(), "rampart-audit-noshadow-"));
    try {
      cpSync(hardened, tree, { recursive: true, verbatimSymlinks: true });
      chmodSync(tree, 0o755);
      chmodSync(join(tree, "etc/shadow"), 0o000);
      const bin = programForNobody(tree);
      const r = spawnSync(
        "setpriv",
        [
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          process.execPath,
          bin,
          "audit",
          "--root",
          tree,
          "--json",
          "--config",
          "/dev/null",
        ],
        { encoding: "utf8", timeout: 20_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      const byId = (id: string) => doc.checks.find((x: { id: string }) => x.id === id);
      assert.equal(byId("accounts.root-password").status, "warn");
      assert.match(byId("accounts.root-password").summary, /EACCES/);
      assert.equal(byId("accounts.uid0").status, "pass", "passwd is still checked");
    } finally {
      rmSync(tree, { recursive: true, force: true });
    }
  });
});
