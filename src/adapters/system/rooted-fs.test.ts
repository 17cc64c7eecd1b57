import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { RootedFs } from "./rooted-fs.js";

const tmp = mkdtempSync(join(tmpdir(), "rampart-rootedfs-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
mkdirSync(join(tmp, "etc/ssh/sshd_config.d"), { recursive: true });
writeFileSync(join(tmp, "etc/ssh/sshd_config"), "Port 2222\n");
writeFileSync(join(tmp, "etc/ssh/sshd_config.d/b.conf"), "b\n");
writeFileSync(join(tmp, "etc/ssh/sshd_config.d/a.conf"), "a\n");
mkdirSync(join(tmp, "etc/unreadable.d"));
writeFileSync(join(tmp, "etc/real-shadow"), "root:!:1::::::\n");

// The contract every view of a tree keeps; run against the live view ("/") and a rooted one.
function contract(name: string, fs: RootedFs, base: string): void {
  describe(`RootedFs contract: ${name}`, () => {
    it("reads files, says undefined for missing ones, lists directories sorted", () => {
      assert.equal(fs.readText(`${base}/etc/ssh/sshd_config`), "Port 2222\n");
      assert.equal(fs.readText(`${base}/etc/ssh/missing`), undefined);
      assert.deepEqual(fs.listDir(`${base}/etc/ssh/sshd_config.d`), ["a.conf", "b.conf"]);
      assert.equal(fs.listDir(`${base}/etc/nope`), undefined);
      assert.ok(fs.exists(`${base}/etc/ssh/sshd_config`));
      assert.ok(!fs.exists(`${base}/etc/ssh/nope`));
      assert.ok((fs.mtimeMs(`${base}/etc/ssh/sshd_config`) ?? 0) > 0);
    });
    it("throws on read errors other than a missing file", () => {
      assert.throws(() => fs.readText(`${base}/etc/ssh/sshd_config.d`), /EISDIR/);
    });
  });
}

contract("live host view", new RootedFs("/"), tmp);
contract("offline root", new RootedFs(tmp), "");

describe("RootedFs keeps an offline tree's symlinks inside the tree", () => {
  it("resolves absolute and ../ links within the root, never to the host", () => {
    symlinkSync("/etc/real-shadow", join(tmp, "etc/shadow"));
    symlinkSync("../../../../../../etc/passwd", join(tmp, "etc/passwd"));
    const fs = new RootedFs(tmp);
    assert.equal(fs.readText("/etc/shadow"), "root:!:1::::::\n");
    assert.equal(fs.readText("/etc/passwd"), undefined, "the host's /etc/passwd is not reachable");
    assert.equal(fs.readText("/../../etc/ssh/sshd_config"), "Port 2222\n");
  });

  it("stops at symlink loops", () => {
    symlinkSync("/loop2", join(tmp, "loop1"));
    symlinkSync("/loop1", join(tmp, "loop2"));
    assert.equal(new RootedFs(tmp).readText("/loop1"), undefined);
  });
});
