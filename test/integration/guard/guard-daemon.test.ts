import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Lab } from "../../support/netns.js";
import { canConnect, createLab, nsNft, startListener, waitFor } from "./guard-lab.js";

const repo = fileURLToPath(new URL("../../../../", import.meta.url));
const bin = join(repo, "bin", "rampart");
const filter = join(repo, "test", "fixtures", "guard", "filter.d", "guard-test.conf");

/**
 * The real daemon process (`node bin/rampart guard --config X`) inside a network namespace, with
 * every path in a temp dir, driven through its log file and the CLI over its control socket.
 */
describe("guard daemon (real process, network namespaces)", () => {
  let lab: Lab;
  let dir: string;
  let config: string;
  let authLog: string;
  let daemon: ChildProcess | undefined;
  let stderr = "";

  const writeConfig = (extra = "") =>
    writeFileSync(
      config,
      `guard:
  database: ${dir}/state/rampart.db
  socket: ${dir}/run/rampart.sock
  logfile: ${dir}/rampart.log
  ignoreip: [203.0.113.0/24]
  blocktype: reject
  jails:
    test:
      filter: ${filter}
      logpath: ${authLog}
      maxretry: 3
      findtime: 10m
      bantime: 1h
      increment: { factor: 1, maxtime: 1w }
${extra}`,
    );

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args, "--config", config], {
      encoding: "utf8",
      timeout: 20_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const json = (...args: string[]): unknown => {
    const r = cli(...args);
    assert.equal(r.code, 0, `rampart ${args.join(" ")} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const statusJson = () => json("status", "test", "--json") as Record<string, unknown>;

  const start = async () => {
    stderr = "";
    const child = lab.spawn("server", process.execPath, [bin, "guard", "--config", config], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    daemon = child;
    const up = await waitFor(() => cli("status", "--json").code === 0, 10_000);
    assert.ok(up, `daemon did not come up:\n${stderr}`);
    // spawnSync blocked our event loop: let the daemon's stderr arrive.
    assert.ok(await waitFor(() => stderr.includes("Guard started"), 2000), stderr);
  };

  const kill9 = async () => {
    // `ip netns exec` execs node, so the child's pid is the daemon's.
    daemon?.kill("SIGKILL");
    await new Promise((r) => daemon?.once("exit", r));
    daemon = undefined;
  };

  const fail = (ip: string, user = "root") =>
    appendFileSync(authLog, `${new Date().toISOString()} test: auth failure from ${ip} user ${user}\n`);

  before(() => {
    lab = createLab("rgdd", ["server", "attacker", "other"]);
    startListener(lab, "server");
    dir = mkdtempSync(join(tmpdir(), "rampart-guard-"));
    config = join(dir, "rampart.yaml");
    authLog = join(dir, "auth.log");
    writeFileSync(authLog, "");
    writeConfig();
  });
  after(() => {
    daemon?.kill("SIGKILL");
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("says clearly that the daemon is not running (exit 1)", () => {
    for (const args of [
      ["status"],
      ["banned"],
      ["ban", "test", "192.0.2.1"],
      ["unban", "192.0.2.1"],
      ["guard", "reload"],
    ]) {
      const r = cli(...args);
      assert.equal(r.code, 1, args.join(" "));
      assert.match(r.stderr, /The guard is not running/);
    }
  });

  it("refuses to start on a bad config, naming file:line:col", () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "guard:\n  jails:\n    test:\n      maxretry: lots\n      logpath: /x\n");
    const r = spawnSync(process.execPath, [bin, "guard", "--config", bad], { encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`${bad.replaceAll("/", "\\/")}:4:7: Expected an integer`));
  });

  it("bans an attacker after maxretry failures in the log: in the kernel, with a readable log line", async () => {
    await start();
    assert.ok(canConnect(lab, "attacker", lab.ip4.server!));
    for (let i = 0; i < 3; i++) fail(lab.ip4.attacker!);
    assert.ok(
      await waitFor(() => !canConnect(lab, "attacker", lab.ip4.server!), 5000),
      `not banned:\n${stderr}`,
    );
    assert.ok(canConnect(lab, "other", lab.ip4.server!));
    assert.ok(await waitFor(() => stderr.includes("[test] Ban"), 2000));
    assert.match(
      stderr,
      new RegExp(
        `rampart\\[\\d+\\]: \\[test\\] Ban ${lab.ip4.attacker!.replaceAll(".", "\\.")} for 1h \\(3 failures in 10m\\)`,
      ),
    );
    assert.match(readFileSync(join(dir, "rampart.log"), "utf8"), /\[test\] Ban /);
    const s = statusJson();
    assert.deepEqual(s.bannedList, [lab.ip4.attacker]);
    assert.equal(s.totalFailed, 3);
    assert.equal(s.currentlyBanned, 1);
    assert.deepEqual(s.filesWatched, [authLog]);
  });

  it("does not ban an address injected into the user name, nor ignoreip addresses", async () => {
    for (let i = 0; i < 3; i++) fail("192.0.2.200", "x from 198.51.100.50 user root");
    for (let i = 0; i < 3; i++) fail("203.0.113.9");
    // A marker failure proves the lines before it were processed.
    fail("192.0.2.201");
    assert.ok(await waitFor(() => statusJson().totalFailed === 4, 3000));
    assert.deepEqual(statusJson().bannedList, [lab.ip4.attacker]);
  });

  it("bans by hand over the socket, IPv6 by /64, and lists bans", async () => {
    const r = cli("ban", "test", lab.ip6.attacker!);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Banned fd00:[0-9a-f:]+::\/64/);
    assert.equal(canConnect(lab, "attacker", lab.ip6.server!), false);
    assert.ok(canConnect(lab, "other", lab.ip6.server!));
    const banned = json("banned", "--json") as { target: string }[];
    assert.equal(banned.length, 2);
    const loop = cli("ban", "test", "127.0.0.1");
    assert.equal(loop.code, 1);
    assert.match(loop.stderr, /ignored \(loopback\)/);
  });

  it("keeps the bans in the kernel after kill -9, and a restarted guard resumes from its leftovers", async () => {
    await kill9();
    assert.equal(canConnect(lab, "attacker", lab.ip4.server!), false);
    assert.equal(canConnect(lab, "attacker", lab.ip6.server!), false);
    assert.ok(existsSync(join(dir, "run", "rampart.sock")), "stale socket left behind");
    await start();
    assert.match(stderr, /2 active ban\(s\) restored/);
    assert.equal(statusJson().currentlyBanned, 2);
    assert.equal(canConnect(lab, "attacker", lab.ip4.server!), false);
  });

  it("unban lets the attacker back; a second ban of the same address lasts twice as long", async () => {
    const r = cli("unban", lab.ip4.attacker!);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(canConnect(lab, "attacker", lab.ip4.server!));
    assert.ok(await waitFor(() => stderr.includes(`[test] Unban ${lab.ip4.attacker}`), 2000), stderr);
    for (let i = 0; i < 3; i++) fail(lab.ip4.attacker!);
    assert.ok(await waitFor(() => !canConnect(lab, "attacker", lab.ip4.server!), 5000));
    const bans = json("banned", "--json") as {
      target: string;
      bantime: number;
      banCount: number;
    }[];
    const again = bans.find((b) => b.target === lab.ip4.attacker);
    assert.equal(again?.banCount, 2);
    assert.equal(again?.bantime, 7200);
  });

  it("restores every ban from the database after `nft flush ruleset` and a restart", async () => {
    await kill9();
    nsNft(lab, ["flush", "ruleset"]);
    assert.ok(canConnect(lab, "attacker", lab.ip4.server!));
    await start();
    assert.equal(canConnect(lab, "attacker", lab.ip4.server!), false);
    assert.equal(canConnect(lab, "attacker", lab.ip6.server!), false);
  });

  it("guard reload refuses a bad config and keeps running; a good one applies", async () => {
    writeFileSync(config, `${readFileSync(config, "utf8").replace("maxretry: 3", "maxretry: three")}`);
    const bad = cli("guard", "reload");
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /running config is kept/);
    assert.match(bad.stderr, /rampart\.yaml:\d+:\d+: Expected an integer/);
    writeConfig(`    other:
      filter: ${filter}
      logpath: ${dir}/other.log
`);
    const good = cli("guard", "reload");
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /2 jail\(s\): test, other/);
    assert.equal(statusJson().currentlyBanned, 2);
    assert.equal(canConnect(lab, "attacker", lab.ip4.server!), false);
  });

  it("watches every file a logpath glob matches, expanded again at reload", async () => {
    mkdirSync(join(dir, "vhosts"));
    const [a, b] = [join(dir, "vhosts", "a.log"), join(dir, "vhosts", "b.log")];
    writeFileSync(a, "");
    writeConfig(`    vhosts:
      filter: ${filter}
      logpath: ${dir}/vhosts/*.log
      maxretry: 2
`);
    assert.equal(cli("guard", "reload").code, 0);
    const vhosts = () => json("status", "vhosts", "--json") as Record<string, unknown>;
    assert.deepEqual(vhosts().filesWatched, [a]);
    // A file that appears later is watched from the next reload on (fail2ban expands globs at start).
    writeFileSync(b, "");
    assert.equal(cli("guard", "reload").code, 0);
    assert.deepEqual(vhosts().filesWatched, [a, b]);
    const line = `${new Date().toISOString()} test: auth failure from 192.0.2.77 user admin\n`;
    appendFileSync(a, line);
    appendFileSync(b, line);
    assert.ok(await waitFor(() => vhosts().currentlyBanned === 1, 5000), stderr);
    assert.deepEqual(vhosts().bannedList, ["192.0.2.77"]);
  });

  it("stops gracefully on SIGTERM, leaving the bans in place", async () => {
    const child = daemon!;
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
    daemon = undefined;
    assert.equal(canConnect(lab, "attacker", lab.ip4.server!), false);
    assert.match(
      execFileSync("ip", ["netns", "exec", lab.ns.server!, "nft", "list", "tables"]).toString(),
      /rampart_guard/,
    );
  });
});
