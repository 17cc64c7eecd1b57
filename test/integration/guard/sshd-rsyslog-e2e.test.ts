import assert from "node:assert/strict";
import { type ChildProcess, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { canCreateNamespaces, type Lab } from "../../support/netns.js";
import { canRunSshdLab, failLogin, type SshdLab, startSshdLab } from "../../support/sshd-lab.js";
import { canConnect, createLab, nsNft, waitFor } from "./guard-lab.js";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = join(repo, "bin", "rampart");
const skip = !canCreateNamespaces()
  ? "cannot create network namespaces here"
  : !canRunSshdLab()
    ? "openssh-server, rsyslog, sshpass or util-linux missing"
    : false;

/**
 * Acceptance 1 of issue 3 with the real thing on every hop: an attacker namespace fails passwords
 * against a real sshd, which logs through a real rsyslogd into auth.log, which the real guard
 * daemon (bin/rampart, in the server namespace) follows with the built-in sshd filter and bans in
 * the namespace's nftables. Another host keeps connecting throughout.
 */
describe("sshd → rsyslog → guard → nftables (network namespaces)", { skip }, () => {
  let lab: Lab;
  let dir: string;
  let sshd: SshdLab;
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
    return JSON.parse(r.stdout) as { currentlyBanned: number; bannedList: string[]; totalFailed?: number };
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
  /** Fails logins from `role` until its TCP connections are refused; returns the attempts used. */
  const attackUntilBanned = async (role: string, server: string, user?: string): Promise<number> => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const t0 = Date.now();
      failLogin(lab, role, server, sshd.port, user);
      if (process.env.RAMPART_LAB_DEBUG) console.log(`failLogin ${role} → ${server}: ${Date.now() - t0} ms`);
      if (await waitFor(() => !canConnect(lab, role, server, sshd.port), 1500)) return attempt;
    }
    assert.fail(
      `${role} was never banned; guard stderr:\n${stderr}\nauth.log:\n${readFileSync(sshd.authLog, "utf8")}`,
    );
  };

  before(async () => {
    lab = createLab("rgs", ["server", "attacker", "friend", "mallory"]);
    dir = mkdtempSync(join(tmpdir(), "rampart-sshd-lab-"));
    sshd = await startSshdLab(lab, "server", dir);
    config = join(dir, "rampart.yaml");
    writeFileSync(
      config,
      `guard:
  database: ${dir}/state/rampart.db
  socket: ${dir}/run/rampart.sock
  jails:
    sshd:
      filter: sshd
      logpath: ${sshd.authLog}
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

  it("lab: a failed password from the attacker reaches auth.log through rsyslog", async () => {
    const status = failLogin(lab, "attacker", lab.ip4.server!, sshd.port);
    assert.equal(status, 5, "sshpass reports a wrong password (the server answered)");
    const pattern = `Failed password for invalid user nosuchuser from ${lab.ip4.attacker} port`;
    assert.ok(
      await waitFor(() => readFileSync(sshd.authLog, "utf8").includes(pattern), 3000),
      readFileSync(sshd.authLog, "utf8"),
    );
    assert.match(
      readFileSync(sshd.authLog, "utf8"),
      /^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ sshd\[\d+\]: Invalid user nosuchuser/m,
    );
  });

  it("bans the attacker in the kernel; its next connection fails while another host connects", async () => {
    await startGuard();
    const attempts = await attackUntilBanned("attacker", lab.ip4.server!);
    // maxretry 3; the lab test above already left one failure before the guard started (from the end).
    assert.ok(attempts <= 3, `banned after ${attempts} attempts`);
    assert.ok(canConnect(lab, "friend", lab.ip4.server!, sshd.port), "another host still connects");
    assert.match(nsNft(lab, ["list", "ruleset"]), new RegExp(lab.ip4.attacker!.replace(/\./g, "\\.")));
    const status = statusJson();
    assert.equal(status.currentlyBanned, 1);
    assert.deepEqual(status.bannedList, [lab.ip4.attacker]);
    // spawnSync (cli) blocks this event loop: give the daemon's stderr a moment to arrive.
    const banLine = `[sshd] Ban ${lab.ip4.attacker} for 1h`;
    assert.ok(await waitFor(() => stderr.includes(banLine), 2000), stderr);
  });

  it("keeps the ban after kill -9; a restarted guard over its leftovers works", async () => {
    await kill9();
    assert.equal(canConnect(lab, "attacker", lab.ip4.server!, sshd.port), false);
    await startGuard();
    assert.deepEqual(statusJson().bannedList, [lab.ip4.attacker]);
    assert.equal(canConnect(lab, "attacker", lab.ip4.server!, sshd.port), false);
  });

  it("unban lets the attacker back", async () => {
    const r = cli("unban", lab.ip4.attacker!);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await waitFor(() => canConnect(lab, "attacker", lab.ip4.server!, sshd.port), 3000));
  });

  it("bans an IPv6 attacker", async () => {
    await attackUntilBanned("attacker", lab.ip6.server!);
    assert.ok(canConnect(lab, "friend", lab.ip6.server!, sshd.port));
    assert.ok(statusJson().bannedList.some((t) => t.startsWith(lab.ip6.attacker!.split("::")[0]!)));
  });

  it("restores the bans from the database after `nft flush ruleset` and a restart", async () => {
    // Ban the IPv4 attacker again (the unban above lifted it).
    await attackUntilBanned("attacker", lab.ip4.server!);
    await kill9();
    nsNft(lab, ["flush", "ruleset"]);
    assert.ok(canConnect(lab, "attacker", lab.ip4.server!, sshd.port), "the kernel forgot the bans");
    await startGuard();
    assert.equal(canConnect(lab, "attacker", lab.ip4.server!, sshd.port), false);
    assert.equal(canConnect(lab, "attacker", lab.ip6.server!, sshd.port), false);
    assert.ok(canConnect(lab, "friend", lab.ip4.server!, sshd.port));
  });

  it("bans the sender, never an address injected into the user name (real sshd log lines)", async () => {
    const friend = lab.ip4.friend!;
    // sshd logs "Invalid user <name> from <ip>": the name is attacker-controlled text.
    const user = `x from ${friend} port 22 ssh2`;
    await attackUntilBanned("mallory", lab.ip4.server!, user);
    assert.match(
      readFileSync(sshd.authLog, "utf8"),
      new RegExp(`Invalid user x from ${friend.replace(/\./g, "\\.")} port 22 ssh2 from`),
    );
    assert.ok(canConnect(lab, "friend", lab.ip4.server!, sshd.port), "the injected address was banned");
    const listed = statusJson().bannedList;
    assert.ok(listed.includes(lab.ip4.mallory!), listed.join(" "));
    assert.equal(listed.includes(friend), false);
  });
});
