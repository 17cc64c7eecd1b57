import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../errors/problem.js";
import { parseYamlWithPositions } from "./config-context.js";
import { GUARD_DEFAULTS, parseGuardSection } from "./guard-section.js";

function parse(text: string, authLogExists = true) {
  const { data, context } = parseYamlWithPositions(text, "rampart.yaml");
  const config = parseGuardSection((data as { guard?: unknown } | undefined)?.guard, context, {
    authLogExists,
  });
  return { config, problems: context.problems.map(formatProblem) };
}

describe("parseGuardSection", () => {
  it("accepts the issue's example", () => {
    const { config, problems } = parse(`guard:
  database: /var/lib/rampart/rampart.db
  socket: /run/rampart/rampart.sock
  ignoreip: [127.0.0.1/8, "::1", 203.0.113.0/24]
  jails:
    sshd:
      filter: sshd
      logpath: /var/log/auth.log
      maxretry: 5
      findtime: 10m
      bantime: 1h
      increment: { factor: 24, maxtime: 5w }
`);
    assert.deepEqual(problems, []);
    assert.deepEqual(config.ignoreip, ["127.0.0.0/8", "::1", "203.0.113.0/24"]);
    const [sshd] = config.jails;
    assert.equal(sshd?.findtime, 600);
    assert.equal(sshd?.bantime, 3600);
    assert.deepEqual(sshd?.logpath, ["/var/log/auth.log"]);
    assert.deepEqual(sshd?.increment, {
      factor: 24,
      maxtime: 35 * 86400,
      multipliers: [],
      overalljails: false,
    });
    assert.equal(sshd?.ipv6Prefix, 64);
  });

  it("takes guard-level defaults, journald jails, lists of paths, actions", () => {
    const { config, problems } = parse(`guard:
  bantime: 2h
  ipv6_prefix: 56
  nft_table: my_guard
  blocktype: reject
  logfile: /var/log/rampart.log
  jails:
    web:
      logpath: [/var/log/nginx/a.log, /var/log/nginx/b.log]
      ipv6_prefix: 48
      actions:
        - command: [/usr/local/bin/notify, "{ip}", "{jail}"]
        - webhook: http://127.0.0.1:9000/hook
          timeout: 3s
    ssh-journal:
      filter: sshd[mode=aggressive]
      backend: journald
      journalmatch: _SYSTEMD_UNIT=ssh.service + _COMM=sshd
      enabled: false
`);
    assert.deepEqual(problems, []);
    assert.equal(config.nftTable, "my_guard");
    assert.equal(config.blocktype, "reject");
    const [web, journal] = config.jails;
    assert.equal(web?.bantime, 7200);
    assert.equal(web?.ipv6Prefix, 48);
    assert.equal(journal?.ipv6Prefix, 56);
    assert.equal(journal?.backend, "journald");
    assert.equal(journal?.enabled, false);
    assert.deepEqual(journal?.journalmatch, ["_SYSTEMD_UNIT=ssh.service", "+", "_COMM=sshd"]);
    assert.deepEqual(web?.actions, [
      { kind: "command", argv: ["/usr/local/bin/notify", "{ip}", "{jail}"], timeoutMs: 10_000 },
      { kind: "webhook", url: "http://127.0.0.1:9000/hook", timeoutMs: 3000 },
    ]);
  });

  it("reports every problem with file:line:col", () => {
    const { problems } = parse(`guard:
  socket: relative.sock
  ignoreip: [10.0.0.300, example.com]
  jails:
    sshd:
      bantme: 1h
      maxretry: 0
      findtime: soon
      logpath: /var/log/auth.log
      actions:
        - command: "rm -rf {ip}"
`);
    assert.deepEqual(
      [...problems].sort(),
      [
        'rampart.yaml:2:3: Path "relative.sock" must be absolute',
        'rampart.yaml:3:14: Invalid address or network "10.0.0.300" in ignoreip',
        'rampart.yaml:3:26: Invalid address or network "example.com" in ignoreip',
        'rampart.yaml:6:7: Unknown key "bantme" in jail "sshd" (known: filter, logpath, backend, journalmatch, journalfiles, journalpath, maxretry, findtime, bantime, increment, ipv6_prefix, ignoreip, enabled, actions)',
        'rampart.yaml:11:11: "command" must be a non-empty list of arguments, e.g. ["/usr/local/bin/notify", "{ip}"] (no shell)',
        "rampart.yaml:7:7: Expected a count between 1 and 1000, not 0",
        'rampart.yaml:8:7: Invalid duration "soon" (e.g. 600, 10m, 1h, 1d, 5w)',
      ].sort(),
    );
  });

  it("runs an sshd jail on the detected source when there is no guard section", () => {
    const withFile = parse("firewall: {}\n", true).config;
    assert.equal(withFile.database, GUARD_DEFAULTS.database);
    assert.equal(withFile.jails[0]?.backend, "file");
    assert.deepEqual(withFile.jails[0]?.logpath, ["/var/log/auth.log"]);
    const debian12 = parse("", false).config;
    assert.equal(debian12.jails[0]?.backend, "journald");
    assert.ok(debian12.jails[0]?.journalmatch.includes("_COMM=sshd-session"));
  });
});
