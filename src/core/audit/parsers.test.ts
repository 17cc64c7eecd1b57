import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { classifyHash, parsePasswd, parseShadow } from "./accounts.js";
import { findBackupJobs } from "./find-backup-jobs.js";
import { aptConfValue, installedPackages, parseAptPolicy } from "./parse-apt.js";
import { parseFail2banJails } from "./parse-fail2ban-jails.js";
import { parseProcNetTcp } from "./parse-proc-net.js";
import { parseSshPublicKey } from "./ssh-public-key.js";
import { parseSudoers } from "./sudoers.js";

const FIXTURES = new URL("../../../../test/fixtures/audit/", import.meta.url);

describe("account files", () => {
  it("skips and reports malformed lines with file:line", () => {
    const s = parseShadow("root:!:1:0:99999:7:::\ngarbage\nx::1:0:99999:7:::\n", "/etc/shadow");
    assert.deepEqual(
      s.entries.map((e) => e.name),
      ["root", "x"],
    );
    assert.equal(s.problems[0]?.at?.line, 2);
    const p = parsePasswd("root:x:0:0:root:/root:/bin/bash\nbad:x:zero:0::/:/bin/sh\n", "/etc/passwd");
    assert.equal(p.entries.length, 1);
    assert.match(p.problems[0]?.message ?? "", /UID "zero"/);
  });

  it("classifies hashes", () => {
    assert.equal(classifyHash(""), "empty");
    assert.equal(classifyHash("!"), "locked");
    assert.equal(classifyHash("!$6$x$y"), "locked");
    assert.equal(classifyHash("*"), "locked");
    assert.equal(classifyHash("$y$j9T$a$b"), "hash-strong");
    assert.equal(classifyHash("$1$abc$def"), "hash-weak");
    assert.equal(classifyHash("abcdefghijklm"), "hash-weak");
  });

  it("finds sudo grants through user and command aliases, skipping negations", () => {
    const r = parseSudoers(
      "User_Alias ADMINS = alice, bob\nCmnd_Alias EVERYTHING = ALL\nADMINS ALL=(ALL) NOPASSWD: EVERYTHING\n%wheel ALL=(ALL:ALL) ALL\ncarol ALL=/usr/bin/apt\n#includedir /etc/sudoers.d\n",
      "/etc/sudoers",
    );
    assert.deepEqual(
      r.grants.map((g) => g.principal),
      ["alice", "bob", "%wheel"],
    );
    assert.deepEqual(r.includeDirs, ["/etc/sudoers.d"]);
  });
});

describe("package, socket, jail and key parsers", () => {
  it("reads apt-cache policy: pending and security upgrades", () => {
    const out = `bash:
  Installed: 5.2.15-2+b8
  Candidate: 5.2.15-2+b13
  Version table:
     5.2.15-2+b13 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
 *** 5.2.15-2+b8 100
        100 /var/lib/dpkg/status
xz-utils:
  Installed: 5.4.1-1
  Candidate: 5.4.1-1+deb12u2
  Version table:
     5.4.1-1+deb12u2 500
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
     5.4.1-1+deb12u1 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
 *** 5.4.1-1 100
        100 /var/lib/dpkg/status
zip:
  Installed: 3.0-13
  Candidate: 3.0-13
  Version table:
 *** 3.0-13 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
`;
    const p = parseAptPolicy(out);
    assert.deepEqual(
      p.map((x) => [x.name, x.from, x.to, x.security]),
      [
        ["bash", "5.2.15-2+b8", "5.2.15-2+b13", false],
        ["xz-utils", "5.4.1-1", "5.4.1-1+deb12u2", true],
      ],
    );
  });

  it("reads dpkg status and apt.conf.d (last assignment wins)", () => {
    const status =
      "Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: deinstall ok config-files\n\nPackage: c\nStatus: install ok installed\n";
    assert.deepEqual(installedPackages(status), ["a", "c"]);
    const v = aptConfValue(
      [
        { file: "20auto-upgrades", text: 'APT::Periodic::Unattended-Upgrade "1";\n' },
        { file: "99off", text: '// turned off\nAPT::Periodic::Unattended-Upgrade "0";\n' },
      ],
      "APT::Periodic::Unattended-Upgrade",
    );
    assert.deepEqual(v, { value: "0", at: "99off:2" });
  });

  it("decodes /proc/net/tcp and tcp6 listeners", () => {
    const v4 =
      "  sl  local_address rem_address   st\n   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1\n   1: 00000000:07E8 00000000:0000 01 00000000:00000000 00:00000000 00000000     0        0 1 1\n";
    assert.deepEqual(parseProcNetTcp(v4, 4), [
      { address: "127.0.0.1", port: 3306, version: 4, inode: "12345" },
    ]);
    const v6 =
      "  sl\n   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 0 0 0 0 0 999 1\n   1: 00000000000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 0 0 0 0 0 1000 1\n";
    assert.deepEqual(
      parseProcNetTcp(v6, 6).map((s) => `${s.address}:${s.port}`),
      [":::22", "::1:25"],
    );
  });

  it("resolves fail2ban jails across jail.conf, jail.d and jail.local", () => {
    const jails = parseFail2banJails([
      { file: "jail.conf", text: "[DEFAULT]\nenabled = false\n[sshd]\nport = ssh\n[nginx-http-auth]\n" },
      { file: "jail.d/defaults-debian.conf", text: "[sshd]\nenabled = true\n" },
      { file: "jail.local", text: "[nginx-http-auth]\nenabled = false\n" },
    ]);
    assert.deepEqual(jails, [
      { name: "sshd", enabled: true, evidence: "jail.d/defaults-debian.conf:2" },
      { name: "nginx-http-auth", enabled: false, evidence: "jail.local:2" },
    ]);
  });

  it("measures public keys from their wire blob", () => {
    const rsa = readFileSync(new URL("weak/etc/ssh/ssh_host_rsa_key.pub", FIXTURES), "utf8");
    assert.deepEqual(parseSshPublicKey(rsa), { type: "ssh-rsa", bits: 1024 });
    const ed = readFileSync(new URL("hardened/etc/ssh/ssh_host_ed25519_key.pub", FIXTURES), "utf8");
    assert.deepEqual(parseSshPublicKey(ed), { type: "ssh-ed25519", bits: 256 });
    assert.equal(parseSshPublicKey("ssh-rsa not-base64!"), undefined);
    assert.equal(
      parseSshPublicKey("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQDd"),
      undefined,
      "type mismatch",
    );
  });

  it("finds backup tools in crontabs but not in variable lines or comments", () => {
    const jobs = findBackupJobs(
      "/etc/cron.d/x",
      "RSYNC_RSH=ssh\n# borg backup disabled\n0 3 * * * root borg create ::{now} /etc\n",
      { crontab: true },
    );
    assert.deepEqual(jobs, [{ tool: "borg", evidence: "/etc/cron.d/x:3" }]);
  });
});
