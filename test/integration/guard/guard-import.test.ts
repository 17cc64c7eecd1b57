import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { CliIo } from "../../../src/cli/cli-io.js";
import { guardImport } from "../../../src/cli/commands/guard-import.js";
import { parseYamlWithPositions } from "../../../src/core/config/config-context.js";
import { parseGuardSection } from "../../../src/core/config/guard-section.js";

const FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/guard-import/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "rampart-import-"));
after(() => rmSync(out, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let o = "";
  let e = "";
  stdout.on("data", (b) => {
    o += b;
  });
  stderr.on("data", (b) => {
    e += b;
  });
  const io: CliIo = { stdout, stderr, stdin: new PassThrough(), env: {}, cwd: out };
  const code = await guardImport(argv, io);
  return { code, out: o, err: e };
}

/** The output must be a config Rampart's own loader accepts without a single problem. */
function assertLoads(yamlText: string): void {
  const { data, context } = parseYamlWithPositions(yamlText, "imported.yaml");
  parseGuardSection((data as { guard: unknown }).guard, context, { authLogExists: true });
  assert.deepEqual(context.problems, []);
}

function treeHash(dir: string): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      h.update(`${p}:${st.mtimeMs}:${st.mode}\n`);
      if (st.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex");
}

describe("rampart guard import-fail2ban", () => {
  it("merges jail.conf, jail.d/*.conf, jail.local, jail.d/*.local with Debian's paths includes", async () => {
    const dir = join(FIXTURES, "basic");
    const r = await run([dir]);
    assert.equal(r.code, 0, r.err);
    assertLoads(r.out);
    const { guard } = parse(r.out) as { guard: Record<string, unknown> };
    // [DEFAULT] of jail.local wins over jail.conf; the host name in ignoreip is dropped.
    assert.deepEqual(guard.ignoreip, ["127.0.0.1/8", "::1", "203.0.113.0/24"]);
    assert.equal(guard.bantime, "1h");
    assert.equal(guard.maxretry, 5);
    assert.deepEqual(guard.increment, { factor: 24, maxtime: "5w", overalljails: true });
    const jails = guard.jails as Record<string, Record<string, unknown>>;
    // postfix: enabled in jail.conf, disabled in jail.local; recidive never enabled.
    assert.deepEqual(Object.keys(jails).sort(), ["myapp", "nginx-http-auth", "sshd"]);
    // jail.local's mode and backend = systemd; stock filter file → built-in name.
    assert.deepEqual(jails.sshd, { filter: "sshd[mode=aggressive]", backend: "journald", maxretry: 3 });
    // %(nginx_error_log)s from paths-common.conf, glob kept; only the extra ignoreip entry.
    assert.deepEqual(jails["nginx-http-auth"]?.logpath, ["/var/log/nginx/*error.log"]);
    assert.deepEqual(jails["nginx-http-auth"]?.ignoreip, ["198.51.100.7"]);
    // A custom filter is referenced by path; multi-line logpath; permanent bans.
    assert.equal(jails.myapp?.filter, join(dir, "filter.d/myapp.conf"));
    assert.deepEqual(jails.myapp?.logpath, ["/srv/myapp/logs/*.log", "/srv/myapp/auth.log"]);
    assert.equal(jails.myapp?.bantime, -1);
    assert.equal(jails.myapp?.findtime, "1h");
    for (const expected of [
      /ignoreip entry "trusted\.example\.com"/,
      /usedns = warn/,
      /Action "sendmail-whois-lines" of jail "myapp" is not carried over/,
      /Option "maxlines" of jail "myapp" is not carried over/,
      /"sshd" ban port\(s\) "ssh" only/,
    ]) {
      assert.match(r.err, expected);
    }
    // The multi-line logpath inside the mail action's options is not mistaken for an action.
    assert.doesNotMatch(r.err, /Action "\/srv/);
  });

  it("writes --output atomically (0600) and never touches the Fail2Ban directory", async () => {
    const dir = join(FIXTURES, "basic");
    const before = treeHash(dir);
    const file = join(out, "rampart.yaml");
    const r = await run([dir, "--output", file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Wrote .*rampart\.yaml: 3 jail\(s\): sshd, nginx-http-auth, myapp/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assertLoads(readFileSync(file, "utf8"));
    assert.equal(treeHash(dir), before);
  });

  it("reports a broken jail file with file:line:col and writes nothing", async () => {
    const file = join(out, "never.yaml");
    const r = await run([join(FIXTURES, "broken"), "-o", file]);
    assert.equal(r.code, 2);
    assert.match(r.err, /broken\/jail\.conf:6:1: Expected "name = value"/);
    assert.equal(existsSync(file), false);
  });

  it("says so when the directory holds no Fail2Ban setup", async () => {
    const r = await run([out]);
    assert.equal(r.code, 2);
    assert.match(r.err, /no jail\.conf or jail\.local there/);
  });

  it("converts this machine's real /etc/fail2ban (read-only)", async (t) => {
    if (!existsSync("/etc/fail2ban/jail.conf")) return t.skip("fail2ban is not installed");
    const before = treeHash("/etc/fail2ban");
    const r = await run(["/etc/fail2ban"]);
    assert.equal(r.code, 0, r.err);
    assertLoads(r.out);
    const { guard } = parse(r.out) as { guard: { jails: Record<string, unknown> } };
    // Debian enables the sshd jail in jail.d/defaults-debian.conf.
    assert.ok("sshd" in guard.jails, r.out);
    assert.equal(treeHash("/etc/fail2ban"), before);
  });
});
