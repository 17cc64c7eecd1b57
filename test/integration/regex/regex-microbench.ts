/**
 * Micro-benchmark for the emission choices documented in docs/regex-dialect.md (not a test):
 *   node dist/test/integration/regex/regex-microbench.js
 * fail2ban's own sshd prefregex + failregexes (mode=normal, taken from fail2ban through python3)
 * run the way fail2ban runs them — prefregex, then failregexes in order until one matches — over
 * 200,000 generated date-stripped auth.log lines, with the exact translation and with variants,
 * and the same work in Python's `re` for the ratio.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { translatePythonRegex } from "../../../src/core/regex/translate-python-regex.js";

const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const LINES = 200_000;

const FETCH = `
import json, logging
logging.disable(logging.CRITICAL)
from fail2ban.client.filterreader import FilterReader
from fail2ban.server.failregex import Regex
r = FilterReader("sshd", "jail", {"mode": "normal", "logtype": "file"}, basedir="/etc/fail2ban")
r.read(); r.getOptions(None); o = r.getCombined()
print(json.dumps({"pref": Regex(o["prefregex"])._regex,
  "fail": [Regex(v)._regex for v in o["failregex"].split("\\n") if v.strip()]}))
`;

const PY_BENCH = `
import json, re, sys, time
d = json.load(sys.stdin)
pref = re.compile(d["pref"]); fails = [re.compile(p) for p in d["fail"]]
t = time.perf_counter(); n = 0
for line in d["lines"]:
    m = pref.search(line)
    if not m: continue
    c = m.group("content") + "\\n"
    for f in fails:
        if f.search(c): n += 1; break
print(json.dumps({"seconds": time.perf_counter() - t, "hits": n}))
`;

function makeLines(): string[] {
  const users = ["root", "admin", "oracle", "test", "git", "ubuntu", "pi", "user1", "deploy"];
  const out: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const ip = `${(i % 223) + 1}.${(i >> 3) % 256}.${(i >> 7) % 256}.${i % 250}`;
    const user = users[i % users.length]!;
    const port = 1024 + (i % 60000);
    const pid = 1000 + (i % 30000);
    const head = ` srv sshd[${pid}]: `;
    const msg = [
      `Failed password for ${user} from ${ip} port ${port} ssh2`,
      `Failed password for invalid user ${user}${i % 97} from ${ip} port ${port} ssh2`,
      `Invalid user ${user}${i % 89} from ${ip} port ${port}`,
      `Connection closed by authenticating user ${user} ${ip} port ${port} [preauth]`,
      `Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`,
      `Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:Zm9vYmFyYmF6cXV4`,
      `pam_unix(sshd:session): session opened for user ${user}(uid=0) by (uid=0)`,
      `Disconnected from invalid user ${user} ${ip} port ${port} [preauth]`,
    ][i % 8]!;
    out.push(`${head}${msg}\n`);
  }
  return out;
}

interface Variant {
  readonly name: string;
  readonly compile: (pattern: string) => RegExp;
}

function translated(pattern: string, rewrite: (source: string) => string = (s) => s): RegExp {
  const t = translatePythonRegex(pattern);
  if (!t.ok) throw new Error(JSON.stringify(t.problems));
  return new RegExp(rewrite(t.value.source), t.value.flags);
}

const VARIANTS: readonly Variant[] = [
  { name: "exact (shipped)", compile: (p) => translated(p) },
  { name: "ASCII classes ((?a) prefix)", compile: (p) => translated(`(?a)${p}`) },
  {
    name: "$ as (?:$|(?=\\n$))",
    compile: (p) => translated(p, (s) => s.replaceAll("(?=\\n?$)", "(?:$|(?=\\n$))")),
  },
  {
    name: "$ as (?![^\\n]|\\n[^])",
    compile: (p) => translated(p, (s) => s.replaceAll("(?=\\n?$)", "(?![^\\n]|\\n[^])")),
  },
];

function runJs(
  pref: RegExp,
  fails: readonly RegExp[],
  lines: readonly string[],
): { ms: number; hits: number } {
  const started = process.hrtime.bigint();
  let hits = 0;
  for (const line of lines) {
    const m = pref.exec(line);
    if (!m) continue;
    const content = `${m.groups?.content ?? ""}\n`;
    for (const f of fails) {
      if (f.exec(content)) {
        hits++;
        break;
      }
    }
  }
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, hits };
}

function main(): void {
  const regexes = JSON.parse(execFileSync(PYTHON, ["-c", FETCH], { encoding: "utf8" })) as {
    pref: string;
    fail: string[];
  };
  const lines = makeLines();
  const py = JSON.parse(
    execFileSync(PYTHON, ["-c", PY_BENCH], {
      input: JSON.stringify({ ...regexes, lines }),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    }),
  ) as { seconds: number; hits: number };
  const pyRate = LINES / py.seconds;
  console.log(`python re: ${Math.round(pyRate).toLocaleString("en")} lines/s (${py.hits} hits)`);
  for (const v of VARIANTS) {
    const pref = v.compile(regexes.pref);
    const fails = regexes.fail.map(v.compile);
    runJs(pref, fails, lines.slice(0, 20_000)); // warm-up
    const best = [0, 1, 2].map(() => runJs(pref, fails, lines)).sort((a, b) => a.ms - b.ms)[0]!;
    const rate = LINES / (best.ms / 1000);
    console.log(
      `${v.name}: ${Math.round(rate).toLocaleString("en")} lines/s, ×${(rate / pyRate).toFixed(1)} python (${best.hits} hits)`,
    );
  }
  // \b: Unicode-exact emulation vs V8's ASCII \b (valid only under (?a)).
  const wordLines = lines.map((l) => l.replace("Failed", "xFailed"));
  for (const [name, pattern] of [
    ["\\b Unicode (shipped)", String.raw`\bpassword\b.*\bfrom (\S+)`],
    ["\\b ASCII ((?a))", String.raw`(?a)\bpassword\b.*\bfrom (\S+)`],
  ] as const) {
    const re = translated(pattern);
    const started = process.hrtime.bigint();
    let hits = 0;
    for (const l of wordLines) if (re.exec(l)) hits++;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    console.log(`${name}: ${Math.round(LINES / (ms / 1000)).toLocaleString("en")} lines/s (${hits} hits)`);
  }
}

main();
