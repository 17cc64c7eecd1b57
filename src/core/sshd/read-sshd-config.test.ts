import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { effectiveValue } from "./evaluate-match.js";
import { matchGlobSegment } from "./glob-pattern.js";
import { parseSshdT } from "./parse-sshd-t.js";
import { readSshdConfig, type SshdConfigSource } from "./read-sshd-config.js";
import { allDirectives, firstDirective, matchSettings } from "./sshd-config.js";

/** An in-memory tree: path → text; directories are derived from the paths. */
function tree(files: Record<string, string>): SshdConfigSource {
  return {
    readFile: (p) => files[p],
    listDir: (dir) => {
      const prefix = dir.endsWith("/") ? dir : `${dir}/`;
      const names = Object.keys(files)
        .filter((p) => p.startsWith(prefix))
        .map((p) => p.slice(prefix.length).split("/")[0] as string);
      return names.length ? [...new Set(names)] : undefined;
    },
  };
}

describe("readSshdConfig", () => {
  it("keeps the first value, case-insensitively, with Keyword=value and quotes", () => {
    const c = readSshdConfig(
      tree({
        "/etc/ssh/sshd_config":
          'PermitRootLogin no\npermitrootlogin yes\nBanner = "/etc/my banner"\nMaxAuthTries=3 # inline comment\r\n',
      }),
    );
    assert.equal(firstDirective(c, "permitrootlogin")?.args[0], "no");
    assert.deepEqual(firstDirective(c, "banner")?.args, ["/etc/my banner"]);
    assert.deepEqual(firstDirective(c, "maxauthtries")?.args, ["3"]);
    assert.deepEqual(c.problems, []);
  });

  it("expands Include globs in sorted order at their position; relative paths are under /etc/ssh", () => {
    const c = readSshdConfig(
      tree({
        "/etc/ssh/sshd_config": "Include sshd_config.d/*.conf\nPort 22\nPasswordAuthentication no\n",
        "/etc/ssh/sshd_config.d/50-cloud-init.conf": "PasswordAuthentication yes\n",
        "/etc/ssh/sshd_config.d/10-port.conf": "Port 2222\n",
        "/etc/ssh/sshd_config.d/.hidden.conf": "Port 1\n",
        "/etc/ssh/sshd_config.d/README": "not a conf\n",
      }),
    );
    assert.deepEqual(c.files, [
      "/etc/ssh/sshd_config",
      "/etc/ssh/sshd_config.d/10-port.conf",
      "/etc/ssh/sshd_config.d/50-cloud-init.conf",
    ]);
    assert.equal(firstDirective(c, "passwordauthentication")?.args[0], "yes");
    assert.equal(
      firstDirective(c, "passwordauthentication")?.at.file,
      "/etc/ssh/sshd_config.d/50-cloud-init.conf",
    );
    assert.deepEqual(
      allDirectives(c, "port").map((d) => d.args[0]),
      ["2222", "22"],
    );
  });

  it("a missing Include target is not an error (sshd ignores GLOB_NOMATCH); a loop is cut with a problem", () => {
    const c = readSshdConfig(
      tree({ "/etc/ssh/sshd_config": "Include /etc/ssh/none/*.conf\nInclude /etc/ssh/sshd_config\n" }),
    );
    assert.ok(c.problems.some((p) => p.code === "sshd.include-depth"));
    assert.ok(!c.problems.some((p) => p.code === "sshd.missing"));
  });

  it("reports unknown, deprecated and Match-forbidden keywords with file:line:col", () => {
    const c = readSshdConfig(
      tree({ "/etc/ssh/sshd_config": "  PermitRootLogn no\nProtocol 2\nMatch User x\n  Port 2\n" }),
    );
    assert.deepEqual(
      c.problems.map((p) => `${p.code} ${p.at?.line}:${p.at?.col}`),
      ["sshd.unknown-keyword 1:3", "sshd.deprecated 2:1", "sshd.not-in-match 4:3"],
    );
  });

  it("keeps Match blocks with criteria; a Match ends with its file; Include inside Match inherits it", () => {
    const c = readSshdConfig(
      tree({
        "/etc/ssh/sshd_config":
          "Include /etc/ssh/d/*.conf\nPermitRootLogin no\nMatch Address 10.0.0.0/8,!10.9.0.0/16 User admin\n  Include /etc/ssh/m.conf\n",
        "/etc/ssh/d/a.conf": "Match User deploy\n  PasswordAuthentication yes\n",
        "/etc/ssh/m.conf": "PermitRootLogin yes\n",
      }),
    );
    assert.equal(
      firstDirective(c, "permitrootlogin")?.args[0],
      "no",
      "after the include, lines are global again",
    );
    const settings = matchSettings(c, "permitrootlogin");
    assert.equal(settings.length, 1);
    assert.deepEqual(settings[0]?.block.criteria, [
      { kind: "address", patterns: ["10.0.0.0/8", "!10.9.0.0/16"] },
      { kind: "user", patterns: ["admin"] },
    ]);
    assert.equal(effectiveValue(c, "permitrootlogin", { user: "admin", host: "h", addr: "10.1.1.1" }), "yes");
    assert.equal(
      effectiveValue(c, "permitrootlogin", { user: "admin", host: "h", addr: "10.9.1.1" }),
      "no",
      "negated address",
    );
    assert.equal(
      effectiveValue(c, "passwordauthentication", { user: "deploy", host: "h", addr: "1.2.3.4" }),
      "yes",
    );
    assert.equal(
      effectiveValue(c, "passwordauthentication", { user: "root", host: "h", addr: "1.2.3.4" }),
      "yes",
      "default",
    );
  });

  it("a missing main file is a problem, not a crash", () => {
    const c = readSshdConfig(tree({}));
    assert.equal(c.problems[0]?.code, "sshd.missing");
  });
});

describe("glob and sshd -T helpers", () => {
  it("matches glob(7) segments", () => {
    assert.ok(matchGlobSegment("*.conf", "50-cloud-init.conf"));
    assert.ok(!matchGlobSegment("*.conf", ".x.conf"));
    assert.ok(matchGlobSegment("[0-4]?-*.conf", "10-a.conf"));
    assert.ok(!matchGlobSegment("[!0-4]*.conf", "10-a.conf"));
  });

  it("parses sshd -T output, repeating keywords accumulate", () => {
    const m = parseSshdT(
      "port 22\nport 2222\npermitrootlogin without-password\nsubsystem sftp /usr/lib/openssh/sftp-server\n",
    );
    assert.deepEqual(m.get("port"), ["22", "2222"]);
    assert.deepEqual(m.get("subsystem"), ["sftp /usr/lib/openssh/sftp-server"]);
  });
});
