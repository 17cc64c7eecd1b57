import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readSshdConfig } from "../sshd/read-sshd-config.js";
import { firstDirective } from "../sshd/sshd-config.js";
import { configuredPorts, DROP_IN, includesDropInDir, planSshdEdits } from "./sshd-edits.js";
import { unifiedDiff } from "./unified-diff.js";

function tree(files: Record<string, string>) {
  return {
    readFile: (p: string) => files[p],
    listDir: (dir: string) => {
      const names = Object.keys(files)
        .filter((f) => f.slice(0, f.lastIndexOf("/")) === dir)
        .map((f) => f.slice(f.lastIndexOf("/") + 1));
      return names.length ? names.sort() : undefined;
    },
  };
}

describe("planSshdEdits", () => {
  it("uses a 00- drop-in that the sshd reader confirms wins over later files", () => {
    const t = tree({
      "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n",
      "/etc/ssh/sshd_config.d/50-cloud-init.conf": "PasswordAuthentication yes\n",
    });
    const r = planSshdEdits(
      t,
      new Map([
        ["permitrootlogin", ["no"]],
        ["passwordauthentication", ["no"]],
      ]),
    );
    assert.equal(r.useDropIn, true);
    assert.deepEqual([...r.files.keys()], [DROP_IN]);
    assert.equal(firstDirective(r.candidate, "permitrootlogin")?.at.file, DROP_IN);
    assert.equal(firstDirective(r.candidate, "passwordauthentication")?.args[0], "no");
  });

  it("comments out an earlier winner and a Match block that re-allows root", () => {
    const t = tree({
      "/etc/ssh/sshd_config":
        "PermitRootLogin yes\nInclude sshd_config.d/*.conf\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n",
    });
    const r = planSshdEdits(t, new Map([["permitrootlogin", ["no"]]]));
    const main = r.files.get("/etc/ssh/sshd_config") ?? "";
    assert.match(main, /^# disabled by rampart harden: PermitRootLogin yes$/m);
    assert.match(main, /^# disabled by rampart harden: {3}PermitRootLogin yes$/m);
    assert.equal(firstDirective(r.candidate, "permitrootlogin")?.args[0], "no");
    assert.equal(r.candidate.matchBlocks[0]?.directives.length, 0);
  });

  it("Port lines accumulate, so only the drop-in's ports remain", () => {
    const t = tree({ "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\nPort 2022\n" });
    assert.deepEqual(configuredPorts(readSshdConfig(t)), [22, 2022]);
    const r = planSshdEdits(t, new Map([["port", ["2222", "22", "2022"]]]));
    assert.deepEqual(configuredPorts(r.candidate), [2222, 22, 2022]);
    assert.equal(r.candidate.global.filter((d) => d.keyword === "port" && d.at.file === DROP_IN).length, 3);
  });

  it("edits in place when sshd_config.d is not included, and a second run keeps one block", () => {
    const files = { "/etc/ssh/sshd_config": "# my comment\nPasswordAuthentication yes\n" };
    const once = planSshdEdits(tree(files), new Map([["passwordauthentication", ["no"]]]));
    assert.equal(once.useDropIn, false);
    const text = once.files.get("/etc/ssh/sshd_config") ?? "";
    assert.match(text, /# my comment/);
    const twice = planSshdEdits(tree({ "/etc/ssh/sshd_config": text }), new Map([["maxauthtries", ["3"]]]));
    const text2 = twice.files.get("/etc/ssh/sshd_config") ?? "";
    assert.equal(text2.match(/# BEGIN rampart harden/g)?.length, 1);
    assert.match(text2, /PasswordAuthentication no\nMaxAuthTries 3\n# END/);
  });

  it("recognises the Include only in the global section", () => {
    assert.equal(includesDropInDir("Include /etc/ssh/sshd_config.d/*.conf\n"), true);
    assert.equal(includesDropInDir("Match User x\nInclude /etc/ssh/sshd_config.d/*.conf\n"), false);
    assert.equal(includesDropInDir("#Include /etc/ssh/sshd_config.d/*.conf\n"), false);
  });
});

describe("unifiedDiff", () => {
  it("prints diff -u hunks with deletions before additions", () => {
    const d = unifiedDiff("/etc/group", "a\nsudo:x:27:\nb\n", "a\nsudo:x:27:alice\nb\nc\n");
    assert.equal(
      d,
      "--- a/etc/group\n+++ b/etc/group\n@@ -1,3 +1,4 @@\n a\n-sudo:x:27:\n+sudo:x:27:alice\n b\n+c\n",
    );
    assert.equal(unifiedDiff("/x", "same\n", "same\n"), "");
    assert.match(
      unifiedDiff("/new", undefined, "x\n"),
      /^--- \/dev\/null\n\+\+\+ b\/new\n@@ -0,0 \+1,1 @@\n\+x\n$/,
    );
  });
});
