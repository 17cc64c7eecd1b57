import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import type { CliIo } from "../../../src/cli/cli-io.js";
import { guardInstall } from "../../../src/cli/commands/guard-install.js";

const root = mkdtempSync(join(tmpdir(), "rampart-install-"));
after(() => rmSync(root, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (b) => {
    out += b;
  });
  stderr.on("data", (b) => {
    err += b;
  });
  const io: CliIo = { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: root };
  const code = await guardInstall(argv, io);
  return { code, out, err };
}

const config = join(root, "rampart.yaml");
writeFileSync(
  config,
  `guard:\n  database: ${root}/state/rampart.db\n  socket: ${root}/run/rampart.sock\n  jails:\n    sshd:\n      logpath: /var/log/auth.log\n`,
);

describe("rampart guard install", () => {
  it("writes a unit that systemd-analyze verify accepts, into --unit-dir only", async () => {
    const unitDir = join(root, "units");
    const r = await run(["--config", config, "--unit-dir", unitDir, "--no-enable"]);
    assert.equal(r.code, 0, r.err);
    const unit = readFileSync(join(unitDir, "rampart-guard.service"), "utf8");
    assert.match(
      unit,
      new RegExp(`^ExecStart=${process.execPath} \\S+/bin/rampart guard --config ${config}$`, "m"),
    );
    assert.match(unit, new RegExp(`^ReadWritePaths=-${root}/run -${root}/state$`, "m"));
    assert.match(r.out, /checked with systemd-analyze verify|Not verified/);
    assert.deepEqual(readdirSync(unitDir), ["rampart-guard.service"], "no temp file left behind");
  });

  it("says clearly that it cannot enable without systemd as PID 1, after writing the unit", async (t) => {
    if (existsSync("/run/systemd/system")) return t.skip("this host runs systemd; enabling would touch it");
    const unitDir = join(root, "units2");
    const r = await run(["--config", config, "--unit-dir", unitDir]);
    assert.equal(r.code, 1);
    assert.match(r.err, /systemd is not running as PID 1/);
    assert.ok(existsSync(join(unitDir, "rampart-guard.service")));
  });

  it("refuses an invalid config with file:line:col and writes nothing", async () => {
    const bad = join(root, "bad.yaml");
    writeFileSync(bad, "guard:\n  jails:\n    sshd:\n      bantme: 1h\n");
    const unitDir = join(root, "units3");
    const r = await run(["--config", bad, "--unit-dir", unitDir, "--no-enable"]);
    assert.equal(r.code, 2);
    assert.match(r.err, new RegExp(`${bad}:4:7: Unknown key "bantme"`));
    assert.equal(existsSync(unitDir), false);
  });

  it("prints the unit with --print and writes nothing", async () => {
    const r = await run(["--config", config, "--print", "--unit-dir", join(root, "none")]);
    assert.equal(r.code, 0);
    assert.match(r.out, /^\[Service\]$/m);
    assert.equal(existsSync(join(root, "none")), false);
  });
});
