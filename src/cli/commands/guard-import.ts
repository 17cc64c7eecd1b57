import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { NodeFilterFiles } from "../../adapters/filter-files/node-filter-files.js";
import { writeFileAtomic } from "../../adapters/fs/atomic-write.js";
import { formatProblem } from "../../core/errors/problem.js";
import { ExitCode } from "../../core/errors/rampart-error.js";
import { ConfigFileReader } from "../../core/filter/config/config-file-set.js";
import { OriginTable } from "../../core/filter/config/tracked-text.js";
import { type FilterChoice, importFail2ban } from "../../core/guard/fail2ban-import.js";
import type { CliIo } from "../cli-io.js";

const USAGE = `Usage: rampart guard import-fail2ban [DIR] [--output FILE]

Converts the Fail2Ban setup in DIR (default /etc/fail2ban: jail.conf, jail.d/*.conf, jail.local,
jail.d/*.local and their includes) into Rampart's "guard:" section. Prints the YAML, or writes it
atomically to FILE; lists on stderr what could not be carried over. DIR is only read.
`;

// filters/ of this Rampart checkout or package, from dist/src/cli/commands/.
const BUILTIN_FILTERS = resolve(dirname(fileURLToPath(import.meta.url)), "../../../../filters");

/** `rampart guard import-fail2ban`. */
export async function guardImport(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      config: { type: "string" },
      output: { type: "string", short: "o" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return ExitCode.ok;
  }
  if (positionals.length > 1) {
    io.stderr.write(
      `rampart guard import-fail2ban: expected one directory, got ${positionals.length}\n${USAGE}`,
    );
    return ExitCode.usage;
  }
  const dir = resolve(io.cwd, positionals[0] ?? "/etc/fail2ban");
  if (!existsSync(join(dir, "jail.conf")) && !existsSync(join(dir, "jail.local"))) {
    io.stderr.write(`rampart: Cannot import "${dir}": no jail.conf or jail.local there\n`);
    return ExitCode.usage;
  }
  const files = new NodeFilterFiles();
  const set = new ConfigFileReader(files, new OriginTable()).readStandard(join(dir, "jail"));
  if (set.problems.length > 0) {
    io.stderr.write(`rampart: Cannot import "${dir}": its jail configuration has errors\n`);
    for (const p of set.problems) io.stderr.write(`  ${formatProblem(p)}\n`);
    return ExitCode.usage;
  }
  const result = importFail2ban({
    store: set.store,
    classifyFilter: (name) => classifyFilter(dir, name),
    pathExists: existsSync,
  });
  const header = [
    `# Converted by \`rampart guard import-fail2ban ${dir}\` from:`,
    ...set.files.map((f) => `#   ${f}`),
    ...(result.notes.length > 0 ? ["# Not carried over:", ...result.notes.map((n) => `#   - ${n}`)] : []),
  ].join("\n");
  const yaml = `${header}\n${stringify({ guard: result.guard }, { lineWidth: 0 })}`;
  if (values.output !== undefined) {
    const out = resolve(io.cwd, values.output);
    writeFileAtomic(out, yaml, { mode: 0o600 });
    io.stdout.write(`Wrote ${out}: ${result.jails.length} jail(s): ${result.jails.join(", ") || "none"}\n`);
  } else {
    io.stdout.write(yaml);
  }
  // Debian's paths-common.conf includes an optional paths-overrides.local; fail2ban is silent on it.
  for (const w of set.warnings) {
    if (w.code !== "filter.missing-include") io.stderr.write(`rampart: warning: ${formatProblem(w)}\n`);
  }
  if (result.jails.length === 0) io.stderr.write(`rampart: no enabled jail in "${dir}"\n`);
  if (result.notes.length > 0) {
    io.stderr.write(`Could not carry over (${result.notes.length}):\n`);
    for (const n of result.notes) io.stderr.write(`  - ${n}\n`);
  }
  return ExitCode.ok;
}

/** The name the `guard` dispatcher loads. */
export const guardImportCommand = guardImport;

/**
 * A filter Fail2Ban reads with local changes (NAME.local, NAME.d/, an edited NAME.conf) or one
 * Rampart does not ship is referenced by path, so the guard uses exactly what Fail2Ban used; a
 * stock filter (same MD5 as the conffile dpkg recorded for the fail2ban package, the test dpkg
 * itself uses to spot edited conffiles) becomes Rampart's built-in of the same name.
 */
function classifyFilter(dir: string, name: string): FilterChoice {
  const filterDir = join(dir, "filter.d");
  const conf = join(filterDir, `${name}.conf`);
  const hasConf = existsSync(conf);
  const local = [join(filterDir, `${name}.local`), join(filterDir, `${name}.d`)].find((p) => existsSync(p));
  if (!hasConf && local === undefined) return { kind: "missing" };
  if (local !== undefined) return { kind: "path", path: conf, reason: `local changes in ${local}` };
  if (!existsSync(join(BUILTIN_FILTERS, `${name}.conf`))) {
    return { kind: "path", path: conf, reason: "not a Rampart built-in filter" };
  }
  const stock = stockMd5(`/etc/fail2ban/filter.d/${name}.conf`);
  if (stock === undefined)
    return { kind: "path", path: conf, reason: "cannot tell whether it is the stock filter" };
  try {
    if (createHash("md5").update(readFileSync(conf)).digest("hex") === stock) return { kind: "builtin" };
  } catch {
    return { kind: "path", path: conf, reason: "unreadable" };
  }
  return { kind: "path", path: conf, reason: "edited: differs from the packaged filter" };
}

let conffiles: Map<string, string> | undefined;

/** The packaged MD5 of a fail2ban conffile from dpkg's status file (deb-conffiles(5)). */
function stockMd5(path: string): string | undefined {
  if (conffiles === undefined) {
    conffiles = new Map();
    let status = "";
    try {
      status = readFileSync("/var/lib/dpkg/status", "utf8");
    } catch {}
    for (const m of status.matchAll(/^ (\/etc\/fail2ban\/\S+) ([0-9a-f]{32})$/gm))
      conffiles.set(m[1]!, m[2]!);
  }
  return conffiles.get(path);
}
