import { readFileSync, realpathSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../adapters/fs/atomic-write.js";
import { FirewallStore, loadSets, readServicesText } from "../../adapters/nft/firewall-store.js";
import { createNftRunner, hasTable, type NftRunner } from "../../adapters/nft/nft-runner.js";
import { fetchText, readSshdPorts } from "../../adapters/nft/system-facts.js";
import { checkTopLevelKeys, parseYamlWithPositions } from "../../core/config/config-context.js";
import { type FirewallConfig, parseFirewallSection } from "../../core/config/firewall-section.js";
import { type Problem, problem } from "../../core/errors/problem.js";
import { ExitCode, RampartError } from "../../core/errors/rampart-error.js";
import { applyCommand } from "../../core/firewall/apply-command.js";
import { parseCloudflareRanges } from "../../core/firewall/cloudflare-ranges.js";
import { detectDockerPublishedPorts } from "../../core/firewall/docker-detect.js";
import { type FirewallCommand, parseFirewallCommand } from "../../core/firewall/firewall-command.js";
import type { FirewallState } from "../../core/firewall/firewall-rule.js";
import { checkLockout, parseSshConnection } from "../../core/firewall/lockout-check.js";
import { renderFirewallScript } from "../../core/firewall/nft-script.js";
import { parseServices } from "../../core/firewall/services-file.js";
import { type AddressSet, makeAddressSet } from "../../core/firewall/set-file.js";
import { formatStatus } from "../../core/firewall/status-report.js";
import { renderFirewallUnit } from "../../core/firewall/systemd-unit.js";
import type { CliIo } from "../cli-io.js";

const DEFAULT_CONFIG = "/etc/rampart/rampart.yaml";

const HELP = `Usage: rampart firewall <command> [options]

UFW's commands on native nftables (one atomic transaction into Rampart's own table).

Commands:
  status [numbered|verbose]         Show the rules (numbered: for delete/insert)
  allow|deny|reject|limit RULE      Add a rule: 22/tcp, ssh, 80,443/tcp, 6000:6007/udp, or
      [in|out] [on IFACE] [proto tcp|udp|any] [from ADDR|SET [port P]] [to ADDR [port P]] [comment TEXT]
  insert N RULE                     Add a rule before rule N
  delete N | delete RULE            Remove a rule by number or by its words
  default allow|deny|reject [incoming|outgoing|routed]
  enable | disable | reload | reset
  update-sets [--force]             Refresh the built-in "cloudflare" set from Cloudflare's API
  install                           Write the boot unit (config firewall.unit_path)

Options:
  --config FILE      Config file (default ${DEFAULT_CONFIG})
  --dry-run          Print the exact nft script and change nothing
  --force            Skip the lockout check (and update-sets' shrink check)
  --connlimit N      allow/limit: at most N concurrent connections per source (/32, IPv6 /64)
  --rate N/UNIT      allow/limit: at most N new connections per second|minute|hour per source
  --burst B          with --rate: allow B back to back (default N)

"limit" alone is ufw's: the 6th new connection from one source within 30 s is refused.
`;

interface Loaded {
  readonly config: FirewallConfig;
  readonly configPath: string;
  readonly store: FirewallStore;
  readonly sets: Map<string, AddressSet>;
  readonly nft: NftRunner;
}

function usageError(problems: readonly Problem[], message = "Invalid firewall command"): RampartError {
  return new RampartError("firewall.usage", message, { problems, exitCode: ExitCode.usage });
}

function loadConfig(
  path: string,
  explicit: boolean,
  cwd: string,
): { config: FirewallConfig; configPath: string } {
  const configPath = resolve(cwd, path);
  let text = "";
  try {
    text = readFileSync(configPath, "utf8");
  } catch (error) {
    // No config at all must still work with the embedded defaults (DESIGN.md); a named one must exist.
    if (explicit || (error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new RampartError("config.read", `Cannot read config ${configPath}: ${(error as Error).message}`, {
        exitCode: ExitCode.usage,
      });
    }
  }
  const { data, context } = parseYamlWithPositions(text, configPath);
  checkTopLevelKeys(context, data);
  const config = parseFirewallSection(data, context);
  if (context.problems.length > 0) {
    throw new RampartError("config.invalid", `Cannot load config ${configPath}`, {
      problems: context.problems,
      exitCode: ExitCode.usage,
    });
  }
  // Relative paths in the config are relative to the config file, not to wherever the admin stands.
  const base = dirname(configPath);
  const abs = (p: string) => resolve(base, p);
  return {
    configPath,
    config: {
      ...config,
      stateDir: abs(config.stateDir),
      servicesFile: abs(config.servicesFile),
      unitPath: abs(config.unitPath),
      sets: Object.fromEntries(Object.entries(config.sets).map(([k, v]) => [k, abs(v)])),
    },
  };
}

/** Rules must only name sets that exist now, or the script cannot be rendered. */
function checkSetReferences(
  state: FirewallState,
  sets: ReadonlyMap<string, AddressSet>,
  configPath: string,
): void {
  const problems: Problem[] = [];
  state.rules.forEach((rule, i) => {
    for (const spec of [rule.from, rule.to]) {
      if (spec.kind === "set" && !sets.has(spec.name)) {
        problems.push(
          problem(
            "firewall.unknown-set",
            `Rule ${i + 1} uses set "${spec.name}", which is not configured (firewall.sets in ${configPath})`,
          ),
        );
      }
    }
  });
  if (problems.length > 0) throw usageError(problems, "Cannot render the firewall");
}

/** Renders, checks the lockout, then loads — or prints, for --dry-run. One path for every change. */
async function commit(
  loaded: Loaded,
  io: CliIo,
  opts: { dryRun: boolean; force: boolean },
  previous: FirewallState,
  candidate: FirewallState,
  how: { lockoutCheck: boolean; alwaysLoad: boolean },
  sets: ReadonlyMap<string, AddressSet> = loaded.sets,
): Promise<boolean> {
  checkSetReferences(candidate, sets, loaded.configPath);
  if (how.lockoutCheck && candidate.enabled && !opts.force) {
    const sshd = loaded.config.sshPorts
      ? { ports: loaded.config.sshPorts }
      : await readSshdPorts(loaded.config.sshd);
    if ("warning" in sshd && sshd.warning) io.stderr.write(`rampart: ${sshd.warning}\n`);
    const rawSession = io.env.SSH_CONNECTION;
    const session = parseSshConnection(rawSession);
    if (rawSession !== undefined && rawSession.trim() !== "" && !session) {
      io.stderr.write(`rampart: ignoring unreadable SSH_CONNECTION "${rawSession}"\n`);
    }
    const problems = checkLockout(candidate, sets, session, sshd.ports);
    if (problems.length > 0) {
      throw new RampartError(
        "firewall.lockout",
        "Refusing to apply: it could lock you out (nothing was changed; --force overrides)",
        {
          problems,
          exitCode: ExitCode.failure,
        },
      );
    }
  }
  const table = loaded.config.table;
  const ipv6SourcePrefix = loaded.config.ipv6SourcePrefix;
  if (opts.dryRun) {
    if (!candidate.enabled && previous.enabled === false) {
      io.stdout.write(
        `# The firewall is disabled: nothing would be loaded. "rampart firewall enable" would load:\n`,
      );
      io.stdout.write(
        renderFirewallScript({ ...candidate, enabled: true }, sets, { table, ipv6SourcePrefix }),
      );
    } else {
      io.stdout.write(renderFirewallScript(candidate, sets, { table, ipv6SourcePrefix }));
    }
    return false;
  }
  // Disabled before and after: no kernel change (ufw: "rules updated" while inactive).
  if (candidate.enabled || previous.enabled || how.alwaysLoad) {
    const script = renderFirewallScript(candidate, sets, { table, ipv6SourcePrefix });
    await loaded.nft.apply(script);
    loaded.store.writeApplied(script);
  }
  loaded.store.writeState(candidate);
  return true;
}

async function updateSets(
  loaded: Loaded,
  io: CliIo,
  opts: { dryRun: boolean; force: boolean },
): Promise<number> {
  const { config, store } = loaded;
  const current = loaded.sets.get("cloudflare");
  const answer = await fetchText(config.cloudflareUrl);
  const keeping = current
    ? `keeping the current list (${current.v4.length} IPv4, ${current.v6.length} IPv6 from ${current.source})`
    : "keeping the current list";
  if (!answer.ok) {
    throw new RampartError(
      "firewall.update-fetch",
      `Cannot fetch Cloudflare's ranges from ${config.cloudflareUrl}: ${answer.reason}; ${keeping}`,
    );
  }
  const parsed = parseCloudflareRanges(
    answer.body,
    config.sets.cloudflare === undefined ? current : undefined,
    {
      force: opts.force,
    },
  );
  if (!parsed.ok) {
    throw new RampartError(
      "firewall.update-invalid",
      `Refusing Cloudflare's answer from ${config.cloudflareUrl}; ${keeping}`,
      {
        problems: parsed.problems,
      },
    );
  }
  const fresh = makeAddressSet(
    "cloudflare",
    [...parsed.value.v4, ...parsed.value.v6],
    store.cloudflarePath(4),
  );
  const same =
    current !== undefined &&
    current.v4.map((n) => n.text).join() === fresh.v4.map((n) => n.text).join() &&
    current.v6.map((n) => n.text).join() === fresh.v6.map((n) => n.text).join();
  if (config.sets.cloudflare !== undefined) {
    io.stderr.write(
      `rampart: note: the config's set "cloudflare" (${config.sets.cloudflare}) replaces the built-in list\n`,
    );
  }
  const state = store.readState();
  const sets = new Map(loaded.sets);
  if (config.sets.cloudflare === undefined) sets.set("cloudflare", fresh);
  const usesCloudflare =
    state.rules.some((r) => r.from.kind === "set" && r.from.name === "cloudflare") ||
    state.rules.some((r) => r.to.kind === "set" && r.to.name === "cloudflare");
  if (opts.dryRun) {
    io.stdout.write(
      renderFirewallScript(state, sets, { table: config.table, ipv6SourcePrefix: config.ipv6SourcePrefix }),
    );
    io.stderr.write(
      `Would update Cloudflare's ranges: ${fresh.v4.length} IPv4, ${fresh.v6.length} IPv6${same ? " (unchanged)" : ""}\n`,
    );
    return ExitCode.ok;
  }
  if (state.enabled && usesCloudflare && config.sets.cloudflare === undefined && !same) {
    // The whole table is replaced in one transaction, so the old list serves until the new one does.
    await commit(
      loaded,
      io,
      { dryRun: false, force: opts.force },
      state,
      state,
      { lockoutCheck: true, alwaysLoad: true },
      sets,
    );
  }
  store.writeCloudflare(parsed.value, config.cloudflareUrl);
  io.stdout.write(
    `Cloudflare's ranges ${same ? "unchanged" : "updated"}: ${fresh.v4.length} IPv4, ${fresh.v6.length} IPv6 (saved in ${store.cloudflarePath(4)})\n`,
  );
  return ExitCode.ok;
}

async function status(loaded: Loaded, io: CliIo, mode: "plain" | "numbered" | "verbose"): Promise<number> {
  const state = loaded.store.readState();
  let loadedTable: boolean | undefined;
  let docker: ReturnType<typeof detectDockerPublishedPorts> | undefined;
  try {
    const ruleset = await loaded.nft.listJson();
    loadedTable = hasTable(ruleset, "inet", loaded.config.table);
    docker = detectDockerPublishedPorts(ruleset);
  } catch (error) {
    if (mode === "verbose")
      io.stderr.write(`rampart: cannot read the live ruleset: ${(error as Error).message}\n`);
  }
  io.stdout.write(
    formatStatus({ state, loaded: loadedTable, table: loaded.config.table, sets: loaded.sets, docker }, mode),
  );
  return ExitCode.ok;
}

function install(loaded: Loaded, io: CliIo, dryRun: boolean): number {
  const bin = realpathSync(fileURLToPath(new URL("../../../../bin/rampart", import.meta.url)));
  const unit = renderFirewallUnit({
    rampart: [process.execPath, bin],
    configPath: loaded.configPath,
    table: loaded.config.table,
  });
  if (dryRun) {
    io.stdout.write(unit);
    return ExitCode.ok;
  }
  writeFileAtomic(loaded.config.unitPath, unit, { mode: 0o644 });
  const name = loaded.config.unitPath.split("/").pop() ?? "rampart-firewall.service";
  io.stdout.write(
    `Wrote ${loaded.config.unitPath}\nEnable it at boot with: systemctl daemon-reload && systemctl enable ${name}\n`,
  );
  return ExitCode.ok;
}

/** What the composition may replace: tests pass an NftRunner bound to their network namespace. */
export interface FirewallDeps {
  readonly nft?: NftRunner;
}

export async function firewallCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return runFirewallCommand(argv, io);
}

export async function runFirewallCommand(
  argv: readonly string[],
  io: CliIo,
  deps: FirewallDeps = {},
): Promise<number> {
  let parsed: ReturnType<typeof parseArgv>;
  try {
    parsed = parseArgv(argv);
  } catch (error) {
    io.stderr.write(`rampart firewall: ${(error as Error).message}\n\n${HELP}`);
    return ExitCode.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(HELP);
    return ExitCode.ok;
  }
  if (positionals.length === 0) {
    io.stderr.write(HELP);
    return ExitCode.usage;
  }
  const { config, configPath } = loadConfig(
    values.config ?? DEFAULT_CONFIG,
    values.config !== undefined,
    io.cwd,
  );
  const store = new FirewallStore(config.stateDir);
  const { sets, problems: setProblems } = loadSets(config, store);
  if (setProblems.length > 0) throw usageError(setProblems, "Cannot load the firewall's address sets");
  const services = parseServices(readServicesText(config.servicesFile));
  const extras = {
    ...(values.connlimit !== undefined ? { connlimit: values.connlimit } : {}),
    ...(values.rate !== undefined ? { rate: values.rate } : {}),
    ...(values.burst !== undefined ? { burst: values.burst } : {}),
  };
  const command = parseFirewallCommand(positionals, extras, {
    services,
    servicesFile: config.servicesFile,
    knownSets: [...sets.keys()].sort(),
  });
  if (!command.ok) throw usageError(command.problems);
  const loaded: Loaded = {
    config,
    configPath,
    store,
    sets,
    nft: deps.nft ?? createNftRunner({ binary: config.nft }),
  };
  const opts = { dryRun: values["dry-run"] === true, force: values.force === true };
  return run(command.value, loaded, io, opts);
}

async function run(
  command: FirewallCommand,
  loaded: Loaded,
  io: CliIo,
  opts: { dryRun: boolean; force: boolean },
): Promise<number> {
  switch (command.kind) {
    case "status":
      return status(loaded, io, command.mode);
    case "install":
      return install(loaded, io, opts.dryRun);
    case "update-sets": {
      const unlock = opts.dryRun ? () => {} : loaded.store.lock();
      try {
        return await updateSets(loaded, io, opts);
      } finally {
        unlock();
      }
    }
    default: {
      // Dry runs change nothing, so they need no lock.
      const unlock = opts.dryRun ? () => {} : loaded.store.lock();
      try {
        return await change(command, loaded, io, opts);
      } finally {
        unlock();
      }
    }
  }
}

async function change(
  command: FirewallCommand,
  loaded: Loaded,
  io: CliIo,
  opts: { dryRun: boolean; force: boolean },
): Promise<number> {
  const previous = loaded.store.readState();
  const transition = applyCommand(previous, command);
  if (!transition.ok) {
    throw new RampartError("firewall.refused", "Cannot change the firewall", {
      problems: transition.problems,
      exitCode: ExitCode.usage,
    });
  }
  const t = transition.value;
  if (!t.changed) {
    io.stdout.write(`${t.message}\n`);
    return ExitCode.ok;
  }
  // reload and disable always (re)load, so a stray or stale table is replaced or removed.
  const alwaysLoad = command.kind === "reload" || command.kind === "disable";
  const done = await commit(loaded, io, opts, previous, t.state, {
    lockoutCheck: t.lockoutSensitive,
    alwaysLoad,
  });
  if (done) {
    const inactive =
      !t.state.enabled && command.kind !== "disable"
        ? ` (firewall is inactive: "rampart firewall enable" loads it)`
        : "";
    io.stdout.write(`${t.message}${inactive}\n`);
  } else {
    io.stderr.write(`Dry run, nothing changed. Would say: ${t.message}\n`);
  }
  return ExitCode.ok;
}

function parseArgv(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string" },
      "dry-run": { type: "boolean" },
      force: { type: "boolean" },
      connlimit: { type: "string" },
      rate: { type: "string" },
      burst: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
