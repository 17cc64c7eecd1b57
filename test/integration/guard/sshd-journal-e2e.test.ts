import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { canWriteJournal } from "../../support/journal-writer.js";
import { canCreateNamespaces, type Lab } from "../../support/netns.js";
import { canRunSshdLab, failLogin, type SshdLab, startSshdLab } from "../../support/sshd-lab.js";
import { canConnect, createLab, nsNft, waitFor } from "./guard-lab.js";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = join(repo, "bin", "rampart");
const skip = !canCreateNamespaces()
  ? "cannot create network namespaces here"
  : !canRunSshdLab() || !canWriteJournal()
    ? "openssh-server, rsyslog, sshpass, util-linux or systemd-journal-remote missing"
    : false;

/**
 * Acceptance 2 of issue 3: the journald backend. There is no journald in the sandbox, so the
 * journal file is written by systemd-journal-remote, fed live by rsyslog with the trusted fields
 * journald would record (_COMM/_PID/_UID from the socket's SCM_CREDENTIALS). The guard follows it
 * with `journalctl --file` and its default trusted sshd matches; a forged `logger -t sshd` line
 * (what any local user can write) must not ban anybody.
 */
describe("sshd → journal file → guard (journald backend, network namespaces)", { skip }, () => {
  let lab: Lab;
  let dir: string;
  let sshd: SshdLab;
  let journal: string;
  let config: string;
  let daemon: ChildProcess | undefined;
  let stderr = "";

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args, "--config", config], {
      encoding: "utf8",
      timeout: 20_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const statusJson = () => {
    const r = cli("status", "sshd", "--json");
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { currentlyBanned: number; bannedList: string[] };
  };
  const startGuard = async () => {
    stderr = "";
    const child = lab.spawn("server", process.execPath, [bin, "guard", "--config", config], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    daemon = child;
    assert.ok(
      await waitFor(() => cli("status", "--json").code === 0, 10_000),
      `guard did not come up:\n${stderr}`,
    );
  };
  const kill9 = async () => {
    const child = daemon;
    daemon = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  };
  const journalText = () =>
    execFileSync("journalctl", [`--file=${journal}`, "-o", "short", "--no-pager"], { encoding: "utf8" });

  before(async () => {
    lab = createLab("rgj", ["server", "attacker", "friend"]);
    dir = mkdtempSync(join(tmpdir(), "rampart-journal-lab-"));
    journal = join(dir, "auth.journal");
    sshd = await startSshdLab(lab, "server", dir, { journal });
    config = join(dir, "rampart.yaml");
    writeFileSync(
      config,
      `guard:
  database: ${dir}/state/rampart.db
  socket: ${dir}/run/rampart.sock
  jails:
    sshd:
      filter: sshd
      backend: journald
      journalfiles: [${journal}]
      maxretry: 3
      findtime: 10m
      bantime: 1h
`,
    );
  });
  after(async () => {
    await kill9();
    sshd?.stop();
    lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("lab: sshd's failures land in the journal file with trusted _COMM=sshd", async () => {
    failLogin(lab, "attacker", lab.ip4.server!, sshd.port);
    const pattern = `Failed password for invalid user nosuchuser from ${lab.ip4.attacker}`;
    assert.ok(await waitFor(() => journalText().includes(pattern), 3000), journalText());
    const json = execFileSync("journalctl", [`--file=${journal}`, "-o", "json", "--no-pager", "_COMM=sshd"], {
      encoding: "utf8",
    });
    assert.ok(json.includes(pattern));
  });

  it("ignores forged sshd lines from a local user, bans the real attacker", async () => {
    await startGuard();
    // A local user forges failures for an innocent address (the friend) via the syslog socket.
    for (let i = 0; i < 5; i++) {
      execFileSync("logger", [
        "-u",
        join(dir, "log.sock"),
        "-t",
        "sshd",
        "-p",
        "auth.info",
        `Failed password for invalid user x from ${lab.ip4.friend} port 4444 ssh2`,
      ]);
    }
    assert.ok(await waitFor(() => journalText().split(`from ${lab.ip4.friend} port 4444`).length > 5, 3000));
    let banned = false;
    for (let attempt = 1; attempt <= 8 && !banned; attempt++) {
      failLogin(lab, "attacker", lab.ip4.server!, sshd.port);
      banned = await waitFor(() => !canConnect(lab, "attacker", lab.ip4.server!, sshd.port), 1500);
    }
    assert.ok(banned, `attacker not banned; guard stderr:\n${stderr}`);
    assert.ok(canConnect(lab, "friend", lab.ip4.server!, sshd.port), "the forged lines banned the friend");
    assert.deepEqual(statusJson().bannedList, [lab.ip4.attacker]);
  });

  it("resumes from the journal cursor after kill -9; bans return after `nft flush ruleset`", async () => {
    await kill9();
    nsNft(lab, ["flush", "ruleset"]);
    assert.ok(canConnect(lab, "attacker", lab.ip4.server!, sshd.port));
    // Failures while the guard is down are read from the saved cursor on restart.
    failLogin(lab, "attacker", lab.ip6.server!, sshd.port);
    failLogin(lab, "attacker", lab.ip6.server!, sshd.port);
    await startGuard();
    assert.equal(
      canConnect(lab, "attacker", lab.ip4.server!, sshd.port),
      false,
      "IPv4 ban restored from the database",
    );
    assert.ok(await waitFor(() => !canConnect(lab, "attacker", lab.ip6.server!, sshd.port), 5000), stderr);
    assert.ok(canConnect(lab, "friend", lab.ip6.server!, sshd.port));
    assert.equal(statusJson().currentlyBanned, 2);
  });
});
