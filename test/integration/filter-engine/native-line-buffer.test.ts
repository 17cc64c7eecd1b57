import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  runScanner,
  SCANNER,
  SCANNER_ASAN,
  scannerEnv,
  writeScanPlan,
} from "../../support/native-scanner.js";
import { scratchDir } from "../../support/scratch-dir.js";

// The buffer the regexes search is the line without its date and "\n" (fail2ban's
// tupleLinesBuffer). rampart-scan searches most lines in place (filter.c scan_filter_line: nothing
// cut before the date, and the line's own "\n" still after it in the read buffer) and copies the
// others. Each line below needs that last "\n" to match (`\s` or `\n` at the regex's end) and goes
// one way or the other: the date at the start or none (in place), the date after a host name
// (copied; the host is captured), a "\r" stripped before the "\n" (copied: "\r" would also match `\s`, not `\n`), and the
// last line of standard input, which has no "\n" at all (copied). The answers are the JS engine's
// (`rampart filter test --engine js`, which fail2ban-regex agrees with).
const NOW = 1763720000;
const dir = scratchDir("native-line-buffer");

const FILTER = `[Definition]
failregex = ^\\s*(?:(?P<user>host\\d)\\s+)?auth failure from <HOST>\\s
            ^\\s*bad user (?P<user>\\S+) from <HOST>\\n
`;

const LOG = [
  "2025-01-01 00:00:01 auth failure from 192.0.2.1\n",
  "2025-01-01 00:00:02 bad user bob from 192.0.2.2\r\n",
  "host1 2025-01-01 00:00:03 auth failure from 192.0.2.3\n",
  "auth failure from 192.0.2.4\n",
  "2025-01-01 00:00:05 bad user alice from 192.0.2.5\n",
  "2025-01-01 00:00:06 bad user carol from 192.0.2.6 \n", // a space before the "\n": no match
  "2025-01-01 00:00:07 auth failure from 192.0.2.77", // read from standard input only
].join("");

const FROM_FILE = [
  '{"ip":"192.0.2.1","time":1735689601,"line":1,"user":null}',
  '{"ip":"192.0.2.2","time":1735689602,"line":2,"user":"bob"}',
  '{"ip":"192.0.2.3","time":1735689603,"line":3,"user":"host1"}',
  `{"ip":"192.0.2.4","time":${NOW},"line":4,"user":null}`,
  '{"ip":"192.0.2.5","time":1735689605,"line":5,"user":"alice"}',
];
const FROM_STDIN = [...FROM_FILE, '{"ip":"192.0.2.77","time":1735689607,"line":7,"user":null}'];

const lines = (stdout: string) => stdout.split("\n").filter(Boolean);

describe('rampart-scan: the line buffer ends with the line\'s "\\n", in place or copied', {
  skip: !existsSync(SCANNER) && "not built",
}, () => {
  const filterDir = join(dir, "filter.d");
  mkdirSync(filterDir);
  writeFileSync(join(filterDir, "linebuf.conf"), FILTER);
  const log = join(dir, "a.log");
  writeFileSync(log, LOG);
  const plan = writeScanPlan(dir, "linebuf", filterDir) ?? assert.fail("no scan plan for the test filter");
  const env = scannerEnv("UTC");
  const binaries = [SCANNER, ...(existsSync(SCANNER_ASAN) ? [SCANNER_ASAN] : [])];

  for (const binary of binaries) {
    it(`${binary.endsWith("asan") ? "asan" : "release"}: a log file`, () => {
      const r = runScanner(binary, plan, log, ["--json"], { now: NOW, env });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(lines(r.stdout), FROM_FILE);
    });

    it(`${binary.endsWith("asan") ? "asan" : "release"}: standard input`, () => {
      const r = spawnSync(binary, ["--plan", plan, "--now", String(NOW), "--json", "-"], {
        env,
        input: readFileSync(log),
      });
      assert.equal(r.status, 0, r.stderr.toString());
      assert.deepEqual(lines(r.stdout.toString()), FROM_STDIN);
    });
  }
});
