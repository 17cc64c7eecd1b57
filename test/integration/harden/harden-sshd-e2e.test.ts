import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { RAMPART_BIN } from "../../../src/adapters/harden/rollback-timer.js";
import { canCreateNamespaces, createLab, type Lab } from "../../support/netns.js";
import { ADMIN_KEY, ADMIN_PUB } from "./harden-tree.js";

/**
 * A real sshd in the lab's server namespace, in a private mount namespace where /etc is a copy
 * of the host's (bind-mounted over /etc), /home and /run are fresh tmpfs: harden runs there with
 * nsenter and changes that copy only. The host's /etc, users and sshd are never touched.
 */
const MOUNT_SCRIPT = `set -e
d=$1; shift
mount --make-rprivate /
mount --bind "$d/etc" /etc
mount -t tmpfs -o mode=755 tmpfs /home
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -m 755 /run/sshd
echo $$ > "$d/ns.pid"
exec "$@"
`;

const usable =
  canCreateNamespaces() &&
  ["/usr/sbin/sshd", "/usr/bin/sshpass", "/usr/bin/nsenter", "/usr/bin/sudo", "/usr/bin/unshare"].every((p) =>
    existsSync(p),
  );

describe("rampart harden end to end over real SSH (network + mount namespaces)", {
  skip: !usable && "needs root, sshd, sshpass, sudo, nsenter",
}, () => {
  let lab: Lab;
  let dir: string;
  let server: string;
  let key: string;

  const sshArgs = (port: number) => [
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=2",
    "-o",
    "LogLevel=ERROR",
    "-p",
    String(port),
  ];
  const client = (file: string, args: readonly string[]) =>
    spawnSync("ip", ["netns", "exec", lab.ns.client!, file, ...args], {
      encoding: "utf8",
      timeout: 10_000,
      killSignal: "SIGKILL",
    });
  const keyLogin = (user: string, port: number, command: string) =>
    client("ssh", [
      ...sshArgs(port),
      "-o",
      "BatchMode=yes",
      "-o",
      "IdentitiesOnly=yes",
      "-i",
      key,
      `${user}@${server}`,
      command,
    ]);
  const passwordLogin = (user: string, port: number, password: string) =>
    client("sshpass", [
      "-p",
      password,
      "ssh",
      ...sshArgs(port),
      "-o",
      "PubkeyAuthentication=no",
      "-o",
      "NumberOfPasswordPrompts=1",
      `${user}@${server}`,
      "true",
    ]);
  const isOpen = (port: number) => client("nc", ["-z", "-w", "1", server, String(port)]).status === 0;
  const harden = (args: readonly string[]) => {
    const pid = readFileSync(join(dir, "ns.pid"), "utf8").trim();
    const env = { ...process.env };
    delete env.SSH_CONNECTION;
    return spawnSync(
      "nsenter",
      [
        "-t",
        pid,
        "-m",
        "-n",
        "--",
        process.execPath,
        RAMPART_BIN,
        "harden",
        ...args,
        "--config",
        join(dir, "rampart.yaml"),
        "--state-dir",
        join(dir, "state"),
      ],
      { encoding: "utf8", env, timeout: 30_000 },
    );
  };
  const sshdLogTail = () => {
    const log = join(dir, "sshd.log");
    return existsSync(log)
      ? `sshd.log ends:\n${readFileSync(log, "utf8").split("\n").slice(-15).join("\n")}`
      : "";
  };
  const until = async (check: () => boolean, ms: number, what: string) => {
    const start = Date.now();
    while (!check()) {
      if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms\n${sshdLogTail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return Date.now() - start;
  };
  const sshdFiles = () =>
    [
      join(dir, "etc/ssh/sshd_config"),
      ...readdirSync(join(dir, "etc/ssh/sshd_config.d")).map((n) => join(dir, "etc/ssh/sshd_config.d", n)),
    ]
      .map((f) => `${f}\n${readFileSync(f, "utf8")}`)
      .join("\n");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "rampart-harden-e2e-"));
    execFileSync("cp", ["-a", "/etc", join(dir, "etc")]);
    rmSync(join(dir, "etc/ssh/sshd_config.d"), { recursive: true, force: true });
    mkdirSync(join(dir, "etc/ssh/sshd_config.d"));
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "hostkey")]);
    writeFileSync(
      join(dir, "etc/ssh/sshd_config"),
      `# Test server (Debian layout): drop-ins first.
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
HostKey ${dir}/hostkey
PidFile /run/sshd.pid
Subsystem sftp /usr/lib/openssh/sftp-server
`,
    );
    const rootHash = execFileSync("openssl", ["passwd", "-6", "root-pw-for-test"]).toString().trim();
    const shadow = join(dir, "etc/shadow");
    writeFileSync(shadow, readFileSync(shadow, "utf8").replace(/^root:[^:]*:/m, `root:${rootHash}:`));
    writeFileSync(join(dir, "rampart.yaml"), "harden:\n  reload: signal\n");
    writeFileSync(join(dir, "mounts.sh"), MOUNT_SCRIPT);
    key = join(dir, "admin_key");
    copyFileSync(ADMIN_KEY, key);
    chmodSync(key, 0o600);
    lab = createLab("rhd", ["server", "client"]);
    server = lab.ip4.server!;
    lab.spawn(
      "server",
      "unshare",
      [
        "--mount",
        "--",
        "sh",
        join(dir, "mounts.sh"),
        dir,
        "/usr/sbin/sshd",
        "-D",
        "-E",
        join(dir, "sshd.log"),
      ],
      { stdio: "ignore" },
    );
    await until(() => existsSync(join(dir, "ns.pid")) && isOpen(22), 5000, "sshd listens on 22");
  });

  after(() => {
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to turn off passwords while no admin has a key, and changes nothing", () => {
    assert.equal(
      passwordLogin("root", 22, "root-pw-for-test").status,
      0,
      "root logs in with its password before",
    );
    const before = sshdFiles();
    const r = harden(["--no-password-auth", "--no-root-login", "--apply", "--yes"]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /no account that can become root has an authorized SSH key/);
    assert.equal(sshdFiles(), before);
    assert.ok(!existsSync(join(dir, "state/transactions")), "no transaction was started");
    assert.equal(passwordLogin("root", 22, "root-pw-for-test").status, 0, "passwords still work");
  });

  it("applies port + admin + key + no root login + no passwords; the admin gets in on the new port and becomes root; confirm closes 22; a second run plans nothing", async () => {
    const flags = [
      "--ssh-port",
      "2222",
      "--admin-user",
      "alice",
      "--admin-key",
      ADMIN_PUB,
      "--no-root-login",
      "--no-password-auth",
    ];
    const r = harden([...flags, "--apply", "--yes", "--confirm-timeout", "60"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // A reload re-executes sshd, which binds its ports one after the other: wait for both.
    await until(
      () => isOpen(2222) && isOpen(22),
      5000,
      "sshd listens on 2222, and still on 22, after the reload",
    );
    const sudo = keyLogin("alice", 2222, "sudo -n id -u");
    assert.equal(sudo.status, 0, sudo.stderr);
    assert.equal(sudo.stdout.trim(), "0", "alice becomes root with sudo");
    const root = passwordLogin("root", 2222, "root-pw-for-test");
    assert.notEqual(root.status, 0, "root's password no longer works");
    assert.notEqual(keyLogin("root", 2222, "true").status, 0, "root is refused");
    const pw = client("ssh", [
      ...sshArgs(2222),
      "-o",
      "BatchMode=yes",
      "-o",
      "PubkeyAuthentication=no",
      `alice@${server}`,
      "true",
    ]);
    assert.notEqual(pw.status, 0);
    assert.match(pw.stderr, /Permission denied \(publickey\)/, "sshd offers keys only");

    const c = harden(["confirm"]);
    assert.equal(c.status, 0, c.stdout + c.stderr);
    await until(() => !isOpen(22) && isOpen(2222), 5000, "port 22 closes after confirm, 2222 stays");
    assert.equal(keyLogin("alice", 2222, "sudo -n true").status, 0);

    const again = harden([...flags, "--json"]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout).changes, []);
  });

  it("a configuration sshd -t rejects is rolled back at once, before any reload", async () => {
    const bad = join(dir, "etc/ssh/sshd_config.d/99-local.conf");
    writeFileSync(bad, "NoSuchKeyword yes\n");
    try {
      const before = sshdFiles();
      const r = harden(["--ssh-port", "2300", "--apply", "--yes"]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /sshd -t rejects the new configuration: .*NoSuchKeyword/);
      assert.match(r.stdout + r.stderr, /Rolled back transaction/);
      assert.equal(sshdFiles(), before);
      assert.ok(!isOpen(2300));
    } finally {
      rmSync(bad);
    }
    assert.equal(keyLogin("alice", 2222, "true").status, 0);
  });

  it("refuses a new port that another (non-Rampart) nftables firewall drops", () => {
    const nft = (script: string) =>
      execFileSync("ip", ["netns", "exec", lab.ns.server!, "nft", "-f", "-"], { input: script });
    nft(`table inet other_fw {
  chain input { type filter hook input priority 0; policy drop;
    iif "lo" accept
    ct state established,related accept
    tcp dport 2222 accept
  }
}
`);
    try {
      const r = harden(["--ssh-port", "2400", "--apply", "--yes"]);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(
        r.stderr,
        /Another firewall would drop the new SSH port 2400\/tcp \(.*other_fw.*\); open it there first/,
      );
      assert.equal(keyLogin("alice", 2222, "true").status, 0, "the allowed port still works");
    } finally {
      nft("delete table inet other_fw\n");
    }
  });

  it("an unconfirmed change rolls itself back within its timeout", async () => {
    const r = harden(["--ssh-port", "2200", "--apply", "--yes", "--confirm-timeout", "2"]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    await until(
      () => isOpen(2200) && isOpen(2222),
      5000,
      "sshd listens on 2200, and 2222 stays open alongside",
    );
    // The rollback reloads sshd with SIGHUP, and sshd re-executes itself: for a moment no port
    // listens at all, so "2200 is closed" alone can be seen mid-restart. The rollback is done
    // when 2200 is gone and 2222 answers again.
    await until(() => !isOpen(2200) && isOpen(2222), 8000, "the unconfirmed port 2200 goes away, 2222 stays");
    const back = keyLogin("alice", 2222, "sudo -n true");
    assert.equal(back.status, 0, `the confirmed state is back: ${back.stderr}\n${sshdLogTail()}`);
    assert.match(readFileSync(join(dir, "etc/ssh/sshd_config.d/00-rampart.conf"), "utf8"), /^Port 2222$/m);
    assert.doesNotMatch(
      readFileSync(join(dir, "etc/ssh/sshd_config.d/00-rampart.conf"), "utf8"),
      /Port 2200/,
    );
  });
});
