import assert from "node:assert/strict";
import { appendFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gatherHostFacts } from "../../../src/adapters/system/gather-host-facts.js";
import { RootedFs } from "../../../src/adapters/system/rooted-fs.js";
import { INITIAL_STATE } from "../../../src/core/firewall/firewall-rule.js";
import { NOTHING_DESIRED } from "../../../src/core/harden/harden-types.js";
import { type HardenTree, planHarden } from "../../../src/core/harden/plan-harden.js";
import { ADMIN_PUB, copyFixture, treeSnapshot } from "./harden-tree.js";
import { runHarden } from "./run-harden.js";

const ADMIN = ["--admin-user", "alice", "--admin-key", ADMIN_PUB];
const FULL = ["--ssh-port", "2222", ...ADMIN, "--no-root-login", "--no-password-auth"];

async function refused(
  setup: (root: string) => void,
  argv: readonly string[],
  reason: RegExp,
): Promise<void> {
  const t = copyFixture("debian-weak");
  try {
    setup(t.root);
    writeFileSync(`${t.root}.yaml`, "");
    const before = treeSnapshot(t.root);
    const r = await runHarden([
      "--root",
      t.root,
      "--config",
      `${t.root}.yaml`,
      "--state-dir",
      t.stateDir,
      ...argv,
      "--apply",
      "--yes",
    ]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, reason);
    assert.deepEqual(treeSnapshot(t.root), before, "a refused run must not change the tree");
    assert.throws(() => readFileSync(join(t.stateDir, ".lock")), "no transaction is started");
  } finally {
    t.cleanup();
  }
}

describe("rampart harden: plans on an offline tree (--root)", () => {
  it("prints each file diff and command, changes nothing, exit 0", async () => {
    const t = copyFixture("debian-weak");
    try {
      const before = treeSnapshot(t.root);
      const r = await runHarden(["--root", t.root, "--state-dir", t.stateDir, ...FULL]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /create \/etc\/ssh\/sshd_config\.d\/00-rampart\.conf/);
      assert.match(
        r.stdout,
        /\+Port 2222\n\s+\+Port 22\n\s+\+PermitRootLogin no\n\s+\+PasswordAuthentication no/,
      );
      assert.match(r.stdout, /-sudo:x:27:\n\s+\+sudo:x:27:alice/);
      assert.match(r.stdout, /\+alice:x:1000:1000::\/home\/alice:\/bin\/bash/);
      assert.match(r.stdout, /create directory \/home\/alice\/\.ssh mode 700 owner 1000:1000/);
      assert.match(r.stdout, /On "rampart harden confirm":[\s\S]*-Port 22/);
      assert.deepEqual(treeSnapshot(t.root), before);
    } finally {
      t.cleanup();
    }
  });

  it("takes root's new hash on stdin and never prints a password hash", async () => {
    const t = copyFixture("debian-weak");
    try {
      const hash =
        "$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghi";
      for (const json of [[], ["--json"]]) {
        const r = await runHarden(["--root", t.root, "--root-password", ...json], { stdin: `${hash}\n` });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /root:<hash>:/);
        assert.ok(!r.stdout.includes("$6$saltsalt") && !r.stdout.includes("$y$j9T"), "no hash in the output");
      }
      const weak = await runHarden(["--root", t.root, "--root-password"], { stdin: "$1$md5$oldhash\n" });
      assert.equal(weak.code, 1);
      assert.match(weak.stderr, /must be a current crypt\(5\) hash/);
    } finally {
      t.cleanup();
    }
  });

  it("--json gives {changes: [...]} with before/after text and argv arrays", async () => {
    const t = copyFixture("debian-weak");
    try {
      const r = await runHarden(["--root", t.root, "--json", ...FULL]);
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as {
        changes: { kind: string; path?: string; after?: string; before?: string }[];
      };
      const paths = plan.changes.map((c) => `${c.kind} ${c.path ?? ""}`);
      assert.deepEqual(paths, [
        "mkdir /home/alice",
        "mkdir /home/alice/.ssh",
        "file /etc/ssh/sshd_config.d/00-rampart.conf",
        "file /etc/passwd",
        "file /etc/group",
        "file /etc/shadow",
        "file /etc/sudoers.d/90-rampart-admin",
        "file /home/alice/.ssh/authorized_keys",
      ]);
      const dropIn = plan.changes[2];
      assert.equal(dropIn?.before, undefined);
      assert.match(
        dropIn?.after ?? "",
        /^Port 2222\nPort 22\nPermitRootLogin no\nPasswordAuthentication no\n$/m,
      );
    } finally {
      t.cleanup();
    }
  });

  it("the drop-in wins over the main file and cloud-init's 50- drop-in (checked with the sshd reader)", async () => {
    const t = copyFixture("debian-weak");
    try {
      // An earlier drop-in that sorts before ours: harden must comment out its line.
      writeFileSync(
        join(t.root, "etc/ssh/sshd_config.d/00-aaa.conf"),
        "PasswordAuthentication yes\nPort 2200\n",
      );
      const r = await runHarden(["--root", t.root, "--json", ...FULL]);
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as {
        changes: { path?: string; after?: string }[];
        onConfirm: { path?: string; after?: string }[];
      };
      const early = plan.changes.find((c) => c.path === "/etc/ssh/sshd_config.d/00-aaa.conf");
      assert.equal(
        early?.after,
        "# disabled by rampart harden: PasswordAuthentication yes\n# disabled by rampart harden: Port 2200\n",
      );
      const ours = plan.changes.find((c) => c.path === "/etc/ssh/sshd_config.d/00-rampart.conf");
      // Port 2200 replaced the default 22, so 2200 is the old port kept open until confirmed.
      assert.match(ours?.after ?? "", /Port 2222\nPort 2200\nPermitRootLogin/);
      assert.match(plan.onConfirm[0]?.after ?? "", /Port 2222\nPermitRootLogin/);
    } finally {
      t.cleanup();
    }
  });

  it("without an Include of sshd_config.d, edits sshd_config in place and keeps its comments", async () => {
    const t = copyFixture("debian-weak");
    try {
      const main = join(t.root, "etc/ssh/sshd_config");
      const text = readFileSync(main, "utf8").replace("Include /etc/ssh/sshd_config.d/*.conf\n", "");
      writeFileSync(main, `${text}Match User backup\n  PasswordAuthentication yes\n`);
      const r = await runHarden(["--root", t.root, "--json", ...FULL]);
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as { changes: { path?: string; after?: string }[] };
      const edited = plan.changes.find((c) => c.path === "/etc/ssh/sshd_config")?.after ?? "";
      assert.ok(edited.startsWith("# BEGIN rampart harden"), edited);
      assert.match(
        edited,
        /Port 2222\nPort 22\nPermitRootLogin no\nPasswordAuthentication no\n# END rampart harden/,
      );
      assert.match(edited, /# sshd_config\(5\) for more information\./, "comments kept");
      // The old line stays: sshd takes the first value, which is now the block's.
      assert.match(edited, /\nPermitRootLogin yes\n/);
      assert.match(
        edited,
        /# disabled by rampart harden: {3}PasswordAuthentication yes/,
        "the Match block's override is disabled",
      );
      assert.ok(!plan.changes.some((c) => c.path?.includes("sshd_config.d")));
    } finally {
      t.cleanup();
    }
  });

  it("an already hardened tree plans [] (and so does a second run after apply + confirm)", async () => {
    const t = copyFixture("debian-weak");
    try {
      const applied = await runHarden([
        "--root",
        t.root,
        "--state-dir",
        t.stateDir,
        ...FULL,
        "--apply",
        "--yes",
      ]);
      assert.equal(applied.code, 0, applied.stderr);
      assert.equal((await runHarden(["confirm", "--state-dir", t.stateDir])).code, 0);
      const again = await runHarden(["--root", t.root, "--json", ...FULL]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(JSON.parse(again.stdout).changes, []);
      const text = await runHarden(["--root", t.root, ...FULL]);
      assert.match(text.stdout, /Nothing to change/);
    } finally {
      t.cleanup();
    }
  });

  it("refuses --no-password-auth when no account that can become root has a key", async () => {
    await refused(
      () => {},
      ["--no-password-auth"],
      /no account that can become root has an authorized SSH key/,
    );
    await refused(() => {}, ["--no-root-login"], /Refusing to turn off root login/);
  });

  it("refuses a port another service owns in /etc/services", async () => {
    await refused(
      () => {},
      ["--ssh-port", "2121", ...ADMIN],
      /Port 2121\/tcp belongs to "iprop" in \/etc\/services/,
    );
  });

  it("refuses AllowUsers / DenyUsers / AllowGroups that exclude the admin", async () => {
    const add = (line: string) => (root: string) => {
      const main = join(root, "etc/ssh/sshd_config");
      writeFileSync(main, `${line}\n${readFileSync(main, "utf8")}`);
    };
    await refused(
      add("AllowUsers bob deploy@10.0.0.*"),
      [...ADMIN, "--no-password-auth"],
      /sshd would refuse admin user "alice": AllowUsers bob/,
    );
    await refused(add("DenyUsers al*"), [...ADMIN, "--no-root-login"], /DenyUsers al\*/);
    await refused(add("AllowGroups ssh-users"), [...ADMIN, "--no-root-login"], /AllowGroups ssh-users/);
  });

  it("refuses AuthenticationMethods that need the passwords being turned off", async () => {
    await refused(
      (root) =>
        appendFileSync(
          join(root, "etc/ssh/sshd_config.d/50-cloud-init.conf"),
          "AuthenticationMethods publickey,password\n",
        ),
      [...ADMIN, "--no-password-auth"],
      /AuthenticationMethods "publickey,password" needs password or keyboard-interactive/,
    );
  });

  it("refuses UsePAM no with a locked admin account (sshd then rejects even its key)", async () => {
    const lockedAdmin = (root: string) => {
      appendFileSync(join(root, "etc/passwd"), "carol:x:1001:1001::/home/carol:/bin/bash\n");
      appendFileSync(join(root, "etc/shadow"), "carol:!:19800:0:99999:7:::\n");
      writeFileSync(
        join(root, "etc/group"),
        readFileSync(join(root, "etc/group"), "utf8").replace("sudo:x:27:", "sudo:x:27:carol") +
          "carol:x:1001:\n",
      );
      mkdirSync(join(root, "home/carol/.ssh"), { recursive: true });
      writeFileSync(join(root, "home/carol/.ssh/authorized_keys"), readFileSync(ADMIN_PUB));
      const main = join(root, "etc/ssh/sshd_config");
      writeFileSync(main, readFileSync(main, "utf8").replace("UsePAM yes", "UsePAM no"));
    };
    await refused(
      lockedAdmin,
      ["--no-password-auth"],
      /no account that can become root has an authorized SSH key/,
    );
    await refused(
      lockedAdmin,
      ["--admin-user", "carol", "--no-password-auth"],
      /UsePAM no and the account is locked/,
    );
  });

  it("refuses a bad admin key or user name, and a port out of range is a usage error", async () => {
    await refused(
      () => {},
      ["--admin-user", "alice", "--admin-key", "ssh-ed25519 not-base64!"],
      /not one OpenSSH public key line/,
    );
    await refused(() => {}, ["--admin-user", "Root;rm", "--admin-key", ADMIN_PUB], /not a valid user name/);
    const r = await runHarden(["--root", "/", "--ssh-port", "70000"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--ssh-port "70000" is not a port number/);
  });
});

describe("rampart harden: ssh.socket and FTP servers", () => {
  it("moves the port in ssh.socket when systemd owns it (Ubuntu), keeping the old one until confirm", async () => {
    const t = copyFixture("debian-weak");
    try {
      mkdirSync(join(t.root, "usr/lib/systemd/system"), { recursive: true });
      writeFileSync(
        join(t.root, "usr/lib/systemd/system/ssh.socket"),
        "[Socket]\nListenStream=22\nAccept=no\n",
      );
      mkdirSync(join(t.root, "etc/systemd/system/sockets.target.wants"), { recursive: true });
      symlinkSync(
        "/usr/lib/systemd/system/ssh.socket",
        join(t.root, "etc/systemd/system/sockets.target.wants/ssh.socket"),
      );
      const r = await runHarden([
        "--root",
        t.root,
        "--state-dir",
        t.stateDir,
        "--ssh-port",
        "2222",
        "--apply",
        "--yes",
      ]);
      assert.equal(r.code, 0, r.stderr);
      const dropIn = join(t.root, "etc/systemd/system/ssh.socket.d/rampart-port.conf");
      assert.match(
        readFileSync(dropIn, "utf8"),
        /\[Socket\]\nListenStream=\nListenStream=2222\nListenStream=22\n/,
      );
      assert.ok(
        !existsSync(join(t.root, "etc/ssh/sshd_config.d/00-rampart.conf")),
        "sshd's Port is not what listens",
      );
      assert.equal((await runHarden(["confirm", "--state-dir", t.stateDir])).code, 0);
      assert.match(readFileSync(dropIn, "utf8"), /ListenStream=\nListenStream=2222\n$/);
      const again = await runHarden(["--root", t.root, "--ssh-port", "2222", "--json"]);
      assert.deepEqual(JSON.parse(again.stdout).changes, []);
    } finally {
      t.cleanup();
    }
  });

  it("moves proftpd and vsftpd to --ftp-port, refusing a port another service owns", async () => {
    const t = copyFixture("debian-weak");
    try {
      mkdirSync(join(t.root, "etc/proftpd"));
      writeFileSync(join(t.root, "etc/proftpd/proftpd.conf"), "ServerName x\nPort 21\n");
      writeFileSync(join(t.root, "etc/vsftpd.conf"), "listen=YES\n");
      const r = await runHarden(["--root", t.root, "--ftp-port", "2020", "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as {
        changes: { kind: string; path?: string; after?: string; argv?: string[] }[];
      };
      assert.equal(
        plan.changes.find((c) => c.path === "/etc/proftpd/proftpd.conf")?.after,
        "ServerName x\nPort 2020\n",
      );
      assert.equal(
        plan.changes.find((c) => c.path === "/etc/vsftpd.conf")?.after,
        "listen=YES\nlisten_port=2020\n",
      );
      assert.ok(plan.changes.some((c) => c.argv?.join(" ") === "systemctl restart proftpd"));
    } finally {
      t.cleanup();
    }
    await refused(
      (root) => writeFileSync(join(root, "etc/vsftpd.conf"), "listen=YES\n"),
      ["--ftp-port", "22"],
      /Port 22\/tcp belongs to "ssh"/,
    );
  });
});

describe("planHarden preflight with live facts (listeners, Rampart's firewall)", () => {
  const treeOf = (root: string): HardenTree => {
    const fs = new RootedFs(root);
    return { readFile: (p) => fs.readText(p), listDir: (p) => fs.listDir(p), stat: () => undefined };
  };

  it("refuses a port another program listens on; sshd's own listener is fine", async () => {
    const t = copyFixture("debian-weak");
    try {
      const facts = await gatherHostFacts({ root: t.root, settings: { behindCloudflare: false } });
      const base = {
        tree: treeOf(t.root),
        facts,
        live: true,
        rampartConfig: "/etc/rampart/rampart.yaml",
        today: 20000,
      };
      const busy = planHarden(
        { ...NOTHING_DESIRED, sshPort: 8080 },
        { ...base, listening: [{ address: "0.0.0.0", port: 8080, version: 4, process: "nginx[77]" }] },
      );
      assert.match(
        busy.refusals.map((p) => p.message).join("\n"),
        /Port 8080\/tcp is already in use by nginx\[77\] on 0\.0\.0\.0/,
      );
      const own = planHarden(
        { ...NOTHING_DESIRED, sshPort: 8080 },
        { ...base, listening: [{ address: "0.0.0.0", port: 8080, version: 4, process: "sshd[5]" }] },
      );
      assert.deepEqual(own.refusals, []);
    } finally {
      t.cleanup();
    }
  });

  it("opens an enabled Rampart firewall for the new port before sshd moves there", async () => {
    const t = copyFixture("debian-weak");
    try {
      const facts = await gatherHostFacts({ root: t.root, settings: { behindCloudflare: false } });
      const firewall = { state: { ...INITIAL_STATE, enabled: true, rules: [] }, sets: new Map() };
      const plan = planHarden(
        { ...NOTHING_DESIRED, sshPort: 2222 },
        {
          tree: treeOf(t.root),
          facts,
          live: true,
          firewall,
          rampartConfig: "/x.yaml",
          today: 20000,
          listening: [],
        },
      );
      assert.deepEqual(plan.refusals, []);
      assert.deepEqual(plan.changes[0], {
        kind: "firewall",
        argv: ["limit", "2222/tcp"],
        reason: "Rampart's firewall would not admit the new SSH port 2222: open it first",
      });
      assert.equal(plan.changes[1]?.kind, "file");
      const open = {
        state: {
          ...INITIAL_STATE,
          enabled: true,
          defaults: { ...INITIAL_STATE.defaults, incoming: "allow" as const },
        },
        sets: new Map(),
      };
      const plan2 = planHarden(
        { ...NOTHING_DESIRED, sshPort: 2222 },
        {
          tree: treeOf(t.root),
          facts,
          live: true,
          firewall: open,
          rampartConfig: "/x.yaml",
          today: 20000,
          listening: [],
        },
      );
      assert.ok(!plan2.changes.some((c) => c.kind === "firewall"));
    } finally {
      t.cleanup();
    }
  });
});
