import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  executeChanges,
  type HardenServices,
  hostPath,
  randomId,
  reloadSshd,
  restoreFiles,
  snapshotFiles,
  validateSshd,
} from "../../adapters/harden/harden-executor.js";
import { armRollbackTimer, disarmRollbackTimer, RAMPART_BIN } from "../../adapters/harden/rollback-timer.js";
import { TransactionStore } from "../../adapters/harden/transaction-store.js";
import { FirewallStore, loadSets } from "../../adapters/nft/firewall-store.js";
import { runCommand } from "../../adapters/process/run-command.js";
import { gatherHostFacts } from "../../adapters/system/gather-host-facts.js";
import { readProcesses } from "../../adapters/system/live-probes.js";
import { RootedFs } from "../../adapters/system/rooted-fs.js";
import type { ListeningSocket } from "../../core/audit/host-facts.js";
import { type NftRuleset, parseNftJson } from "../../core/audit/nft-ruleset.js";
import { parseProcNetTcp } from "../../core/audit/parse-proc-net.js";
import { checkTopLevelKeys, parseYamlWithPositions } from "../../core/config/config-context.js";
import { parseFirewallSection } from "../../core/config/firewall-section.js";
import { HARDEN_DEFAULTS, type HardenSection, parseHardenSection } from "../../core/config/harden-section.js";
import { formatProblem } from "../../core/errors/problem.js";
import { ExitCode } from "../../core/errors/rampart-error.js";
import { renderGuardUnit } from "../../core/guard/guard-unit.js";
import type { Change, HardenDesired, HardenPlan } from "../../core/harden/harden-types.js";
import { type HardenTree, planHarden } from "../../core/harden/plan-harden.js";
import { MAIN_FILE } from "../../core/harden/sshd-edits.js";
import { newTransactionId, type ReloadSpec, type TransactionRecord } from "../../core/harden/transaction.js";
import { unifiedDiff } from "../../core/harden/unified-diff.js";
import { readSshdConfig } from "../../core/sshd/read-sshd-config.js";
import { firstDirective } from "../../core/sshd/sshd-config.js";
import type { CliIo } from "../cli-io.js";
import { runFirewallCommand } from "./firewall.js";
import { guardInstall } from "./guard-install.js";

const DEFAULT_CONFIG = "/etc/rampart/rampart.yaml";

const USAGE = `Usage: rampart harden [options]            plan (changes nothing) or --apply
       rampart harden confirm [--transaction ID]   keep the last change (from a NEW SSH session)
       rampart harden rollback [--transaction ID]  undo the last change set

Desired state (or the "harden:" section of the config):
  --ssh-port N            Move sshd to port N (the old port stays open until confirm)
  --admin-user NAME       Create/complete an admin account that can become root with sudo
  --admin-key FILE|KEY    Its SSH public key (a .pub file or the key line)
  --no-root-login         PermitRootLogin no
  --no-password-auth      Keys only (PasswordAuthentication, KbdInteractiveAuthentication no)
  --root-password         Set root's password from a crypt(5) hash on stdin
  --updates               Install and enable unattended-upgrades
  --firewall              Default deny incoming, rate-limited SSH (rampart firewall)
  --guard                 The guard with an sshd jail (rampart guard install)
  --ftp-port N            Move proftpd/vsftpd/pure-ftpd to port N
  --all                   The guides' whole list with safe defaults (port 2222 if on 22)

Options:
  --root DIR              Plan (or apply) for an offline tree instead of this host
  --apply                 Make the changes (arms an automatic rollback first)
  --yes                   Do not ask before applying
  --json                  Print the plan as JSON: {"changes": [...]}
  --confirm-timeout S     Roll back unless confirmed within S seconds (default 120)
  --state-dir DIR         Transactions (default /var/lib/rampart/harden)
  --config FILE           Rampart config (default ${DEFAULT_CONFIG})

Exit status: 0 done or nothing to do, 1 refused or failed, 2 usage.
`;

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      "ssh-port": { type: "string" },
      "admin-user": { type: "string" },
      "admin-key": { type: "string" },
      "no-root-login": { type: "boolean" },
      "no-password-auth": { type: "boolean" },
      "root-password": { type: "boolean" },
      updates: { type: "boolean" },
      firewall: { type: "boolean" },
      guard: { type: "boolean" },
      "ftp-port": { type: "string" },
      all: { type: "boolean" },
      root: { type: "string" },
      apply: { type: "boolean" },
      yes: { type: "boolean" },
      json: { type: "boolean" },
      "confirm-timeout": { type: "string" },
      "state-dir": { type: "string" },
      transaction: { type: "string" },
      "if-armed": { type: "boolean" },
      after: { type: "string" },
      config: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

type Values = ReturnType<typeof parse>["values"];

interface Loaded {
  readonly section: HardenSection;
  readonly configPath: string;
  readonly firewallStateDir: string;
  readonly configGiven: boolean;
}

class UsageError extends Error {}

function loadConfig(values: Values, io: CliIo): Loaded {
  const configPath = resolve(io.cwd, values.config ?? DEFAULT_CONFIG);
  const given = values.config !== undefined;
  if (!existsSync(configPath)) {
    if (given) throw new UsageError(`Cannot read the config "${configPath}": no such file`);
    return { section: HARDEN_DEFAULTS, configPath, firewallStateDir: "/var/lib/rampart", configGiven: false };
  }
  const { data, context } = parseYamlWithPositions(readFileSync(configPath, "utf8"), configPath);
  checkTopLevelKeys(context, data);
  const section = parseHardenSection(data, context);
  const fw = parseFirewallSection(data, context);
  const mine = context.problems.filter(
    (p) =>
      p.code.startsWith("config.harden") ||
      p.code === "config.unknown-section" ||
      /"harden/.test(p.message) ||
      p.code.startsWith("yaml"),
  );
  if (mine.length > 0)
    throw new UsageError(
      `Invalid config "${configPath}":\n${mine.map((p) => `  ${formatProblem(p)}`).join("\n")}`,
    );
  return { section, configPath, firewallStateDir: fw.stateDir, configGiven: given };
}

function portValue(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw new UsageError(`--${flag} "${text}" is not a port number (1-65535)`);
  return Number(text);
}

/** One line from the terminal without echo (raw mode), for passwords. */
async function askHidden(io: CliIo, prompt: string): Promise<string> {
  const stdin = io.stdin as typeof io.stdin & { setRawMode?: (on: boolean) => void };
  io.stderr.write(prompt);
  stdin.setRawMode?.(true);
  // 'data' listeners, not for-await: leaving a for-await loop would destroy stdin for the next question.
  return new Promise<string>((resolvePromise, reject) => {
    let line = "";
    const done = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write("\n");
      if (error) reject(error);
      else resolvePromise(line);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new UsageError("Interrupted; nothing changed"));
        if (ch === "\u007f") line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on("data", onData);
    stdin.resume();
  });
}

async function readStdin(io: CliIo): Promise<string> {
  let text = "";
  for await (const chunk of io.stdin) text += chunk.toString();
  return text;
}

async function desiredFrom(values: Values, loaded: Loaded, io: CliIo): Promise<HardenDesired> {
  const s = loaded.section;
  const all = values.all === true;
  const keySpec = values["admin-key"] ?? s.adminKey;
  let adminKey: string | undefined;
  if (keySpec !== undefined) {
    if (/^(ssh-|ecdsa-|sk-)/.test(keySpec.trim())) adminKey = keySpec.trim();
    else {
      const base = values["admin-key"] !== undefined ? io.cwd : resolve(loaded.configPath, "..");
      const path = resolve(base, keySpec);
      try {
        adminKey =
          readFileSync(path, "utf8")
            .trim()
            .split("\n")
            .filter((l) => l.trim() !== "" && !l.startsWith("#"))[0] ?? "";
      } catch (error) {
        throw new UsageError(`Cannot read the admin key "${path}": ${(error as Error).message}`);
      }
    }
  }
  let rootPasswordHash: string | undefined;
  if (values["root-password"]) {
    if ((io.stdin as { isTTY?: boolean }).isTTY === true) {
      const first = await askHidden(io, "New root password: ");
      const second = await askHidden(io, "Again: ");
      if (first !== second) throw new UsageError("The two passwords differ; nothing changed");
      if (first.length < 12) throw new UsageError("Use a root password of at least 12 characters");
      // openssl passwd -6: SHA-512 crypt, read from stdin so it never shows in the process list.
      const r = await runCommand("openssl", ["passwd", "-6", "-stdin"], {
        input: `${first}\n`,
        timeoutMs: 10_000,
      });
      if (r.code !== 0) throw new UsageError(`openssl passwd failed: ${r.stderr.trim()}`);
      rootPasswordHash = r.stdout.trim();
    } else rootPasswordHash = (await readStdin(io)).trim();
  }
  const sshPort = portValue(values["ssh-port"], "ssh-port") ?? s.sshPort;
  const ftpPort = portValue(values["ftp-port"], "ftp-port") ?? s.ftpPort;
  const adminUser = values["admin-user"] ?? s.adminUser;
  const maxAuthTries = s.maxAuthTries ?? (all ? 3 : undefined);
  return {
    ...(sshPort !== undefined ? { sshPort } : {}),
    ...(adminUser !== undefined ? { adminUser } : {}),
    ...(adminKey !== undefined ? { adminKey } : {}),
    ...(rootPasswordHash !== undefined ? { rootPasswordHash } : {}),
    ...(ftpPort !== undefined ? { ftpPort } : {}),
    ...(maxAuthTries !== undefined ? { maxAuthTries } : {}),
    noRootLogin: values["no-root-login"] === true || s.noRootLogin || all,
    noPasswordAuth: values["no-password-auth"] === true || s.noPasswordAuth || all,
    updates: values.updates === true || s.updates || all,
    firewall: values.firewall === true || s.firewall || all,
    guard: values.guard === true || s.guard || all,
  };
}

function treeOf(root: string): HardenTree {
  const fs = new RootedFs(root);
  return {
    readFile: (p) => fs.readText(p),
    listDir: (p) => fs.listDir(p),
    stat: (p) => {
      const host = fs.resolve(p);
      if (host === undefined) return undefined;
      try {
        const st = statSync(host);
        return { uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 };
      } catch {
        return undefined;
      }
    },
  };
}

function readListening(): ListeningSocket[] {
  const owner = new Map<string, string>();
  try {
    for (const p of readProcesses())
      for (const inode of p.socketInodes) owner.set(inode, `${p.name}[${p.pid}]`);
  } catch {}
  const out: ListeningSocket[] = [];
  for (const [file, version] of [
    ["/proc/net/tcp", 4],
    ["/proc/net/tcp6", 6],
  ] as const) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const s of parseProcNetTcp(text, version)) {
      const process = owner.get(s.inode);
      out.push({ address: s.address, port: s.port, version, ...(process ? { process } : {}) });
    }
  }
  return out;
}

async function makePlan(
  values: Values,
  loaded: Loaded,
  io: CliIo,
): Promise<{ plan: HardenPlan; root: string }> {
  const root = values.root === undefined ? "/" : resolve(io.cwd, values.root);
  if (values.root !== undefined && !existsSync(root)) throw new UsageError(`--root "${root}" does not exist`);
  const live = root === "/";
  const rampartConfig = live ? loaded.configPath : DEFAULT_CONFIG;
  const facts = await gatherHostFacts({ root, settings: { behindCloudflare: false }, rampartConfig });
  let desired = await desiredFrom(values, loaded, io);
  const tree = treeOf(root);
  if (values.all && desired.sshPort === undefined) {
    const ports = facts.sshSocket?.ports.length
      ? facts.sshSocket.ports
      : (() => {
          const c = readSshdConfig(tree, MAIN_FILE);
          const p = c.global.filter((d) => d.keyword === "port").map((d) => Number(d.args[0]));
          return p.length ? p : [22];
        })();
    if (ports.includes(22)) desired = { ...desired, sshPort: 2222 };
  }
  let firewall:
    | {
        state: import("../../core/firewall/firewall-rule.js").FirewallState;
        sets: ReadonlyMap<string, import("../../core/firewall/set-file.js").AddressSet>;
      }
    | undefined;
  const fwDir = live ? loaded.firewallStateDir : hostPath(root, loaded.firewallStateDir);
  const store = new FirewallStore(fwDir);
  if (existsSync(store.rulesPath)) {
    try {
      firewall = { state: store.readState(), sets: new Map() };
      if (live && loaded.configGiven) {
        const { data, context } = parseYamlWithPositions(
          readFileSync(loaded.configPath, "utf8"),
          loaded.configPath,
        );
        const sets = loadSets(parseFirewallSection(data, context), store).sets;
        firewall = { state: firewall.state, sets };
      }
    } catch {}
  }
  // Live: the whole nftables ruleset, so a firewall that is not Rampart's is seen too.
  let ruleset: NftRuleset | undefined;
  let rampartTable = "rampart_fw";
  if (loaded.configGiven) {
    const { data, context } = parseYamlWithPositions(
      readFileSync(loaded.configPath, "utf8"),
      loaded.configPath,
    );
    rampartTable = parseFirewallSection(data, context).table;
  }
  if (live && desired.sshPort !== undefined) {
    try {
      const r = await runCommand("nft", ["-j", "list", "ruleset"], { timeoutMs: 30_000 });
      if (r.code === 0) ruleset = parseNftJson(r.stdout);
    } catch {
      // No nft on this host: no nftables firewall to be in the way.
    }
  }
  const plan = planHarden(desired, {
    ...(ruleset ? { ruleset, rampartTable } : {}),
    tree,
    facts,
    live,
    ...(live ? { listening: readListening() } : {}),
    ...(firewall ? { firewall } : {}),
    rampartConfig,
    ...(live
      ? {}
      : {
          firewallRulesPath: `${loaded.firewallStateDir.replace(/\/$/, "")}/firewall/rules.json`,
          guardUnit: renderGuardUnit({
            node: process.execPath,
            rampart: RAMPART_BIN,
            config: DEFAULT_CONFIG,
            writablePaths: ["/var/lib/rampart", "/run/rampart"],
          }),
        }),
    today: Math.floor(Date.now() / 86_400_000),
  });
  return { plan, root };
}

function describe(c: Change): string {
  switch (c.kind) {
    case "file":
      return `${c.before === undefined ? "create" : "edit"} ${c.path} (${c.reason})`;
    case "mkdir":
      return `create directory ${c.path} mode ${c.mode.toString(8)} owner ${c.owner.uid}:${c.owner.gid} (${c.reason})`;
    case "command":
      return `run: ${c.argv.join(" ")} (${c.reason})`;
    case "firewall":
      return `run: rampart firewall ${c.argv.join(" ")} (${c.reason})`;
    case "symlink":
      return `link ${c.path} -> ${c.target} (${c.reason})`;
    case "guard-install":
      return `run: rampart guard install (${c.reason})`;
  }
}

function indent(diff: string): string {
  return diff === "" ? "" : `${diff.replace(/\n$/, "").replace(/^/gm, "       ")}\n`;
}

// Password hashes never go to a terminal, a log or a JSON consumer: only whether one changed.
const SHADOW_FILES = new Set(["/etc/shadow", "/etc/gshadow"]);
function redactHashes(text: string): string {
  return text.replace(/^([+\- ]?[^:\n]*:)(\$[^:\n]*)/gm, "$1<hash>");
}

function redact(c: Change): Change {
  if (c.kind !== "file" || !SHADOW_FILES.has(c.path)) return c;
  const before = c.before === undefined ? undefined : redactHashes(c.before);
  const after = redactHashes(c.after);
  const diff = unifiedDiff(c.path, before, after);
  return {
    ...c,
    ...(before !== undefined ? { before } : {}),
    after,
    diff: diff === "" ? "(a password hash changes)\n" : diff,
  };
}

function printPlan(fullPlan: HardenPlan, io: CliIo, json: boolean): void {
  const plan = {
    ...fullPlan,
    changes: fullPlan.changes.map(redact),
    onConfirm: fullPlan.onConfirm.map(redact),
  };
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ changes: plan.changes, onConfirm: plan.onConfirm, refusals: plan.refusals.map(formatProblem), notes: plan.notes, sshPorts: plan.sshPorts }, null, 2)}\n`,
    );
    return;
  }
  if (plan.changes.length === 0)
    io.stdout.write("Nothing to change: this host already has everything asked for.\n");
  else io.stdout.write(`Plan (${plan.changes.length} change${plan.changes.length === 1 ? "" : "s"}):\n`);
  plan.changes.forEach((c, i) => {
    io.stdout.write(`${String(i + 1).padStart(3)}. ${describe(c)}\n`);
    if (c.kind === "file") io.stdout.write(indent(c.diff));
  });
  if (plan.onConfirm.length > 0) {
    io.stdout.write('On "rampart harden confirm":\n');
    for (const c of plan.onConfirm) {
      io.stdout.write(`     ${describe(c)}\n`);
      if (c.kind === "file") io.stdout.write(indent(c.diff));
    }
  }
  for (const n of plan.notes) io.stdout.write(`Note: ${n}\n`);
}

function reloadSpecFor(root: string, section: HardenSection): ReloadSpec {
  const config = readSshdConfig(treeOf(root), MAIN_FILE);
  const pidFile = firstDirective(config, "pidfile")?.args[0] ?? "/run/sshd.pid";
  const systemd = existsSync("/run/systemd/system");
  const method =
    root !== "/" ? "none" : section.reload === "auto" ? (systemd ? "systemd" : "signal") : section.reload;
  return { method, sshd: section.sshd, pidFile, unit: "ssh" };
}

function services(io: CliIo, loaded: Loaded): HardenServices {
  const cfg = loaded.configGiven ? ["--config", loaded.configPath] : [];
  return {
    firewall: (argv) => runFirewallCommand([...argv, ...cfg], io),
    guardInstall: () => guardInstall(cfg, io),
    log: (line) => io.stdout.write(`${line}\n`),
  };
}

const SOCKET_DIR = "/etc/systemd/system/ssh.socket";

function socketTouched(changes: readonly Change[]): boolean {
  return changes.some((c) => c.kind === "file" && c.path.startsWith(SOCKET_DIR));
}

function touchesSshd(paths: readonly string[]): boolean {
  return paths.some((p) => p.startsWith("/etc/ssh/") || p.startsWith("/etc/systemd/system/ssh.socket"));
}

async function apply(
  values: Values,
  loaded: Loaded,
  io: CliIo,
  plan: HardenPlan,
  root: string,
): Promise<number> {
  const stateDir = resolve(io.cwd, values["state-dir"] ?? loaded.section.stateDir);
  const timeoutText = values["confirm-timeout"];
  if (timeoutText !== undefined && (!/^\d+$/.test(timeoutText) || Number(timeoutText) < 1))
    throw new UsageError(`--confirm-timeout "${timeoutText}" is not a number of seconds`);
  const timeout = timeoutText !== undefined ? Number(timeoutText) : loaded.section.confirmTimeout;
  const store = new TransactionStore(stateDir);
  const unlock = store.lock();
  try {
    const previous = store.latest();
    if (previous?.state === "armed" || previous?.state === "applying")
      throw new UsageError(
        `Transaction ${previous.id} is not confirmed yet: "rampart harden confirm" or "rampart harden rollback" first`,
      );
    const now = new Date();
    const tx: TransactionRecord = {
      version: 1,
      id: newTransactionId(now, randomId()),
      createdAt: now.toISOString(),
      root,
      state: "applying",
      ...(io.env.SSH_CONNECTION ? { sshConnection: io.env.SSH_CONNECTION } : {}),
      ...(io.env.XDG_SESSION_ID ? { sessionId: io.env.XDG_SESSION_ID } : {}),
      timeoutSeconds: timeout,
      deadline: new Date(now.getTime() + timeout * 1000).toISOString(),
      files: [],
      createdDirs: [],
      createdUsers: plan.createdUsers,
      onConfirm: plan.onConfirm,
      reload: reloadSpecFor(root, loaded.section),
      ...(root === "/" && [...plan.changes, ...plan.onConfirm].some((c) => c.kind === "firewall")
        ? { firewall: true }
        : {}),
      log: [],
    };
    store.create(tx);
    const firewallRules = `${loaded.firewallStateDir.replace(/\/$/, "")}/firewall/rules.json`;
    snapshotFiles(store, tx, [...plan.changes, ...plan.onConfirm], tx.firewall ? [firewallRules] : []);
    // Armed before the first change: whatever happens next, the old state comes back by itself.
    tx.timer = await armRollbackTimer({
      id: tx.id,
      stateDir,
      seconds: timeout,
      systemd: tx.reload.method === "systemd",
      extraArgs: loaded.configGiven ? ["--config", loaded.configPath] : [],
    });
    store.save(tx);
    const sshdTouched = touchesSshd(plan.changes.flatMap((c) => (c.kind === "file" ? [c.path] : [])));
    try {
      await executeChanges(store, tx, plan.changes, services(io, loaded));
      if (sshdTouched) {
        const bad = await validateSshd(tx);
        if (bad) throw new Error(bad);
        // From here on the running sshd uses the new files, so a rollback must reload it too.
        tx.reloaded = true;
        const said = await reloadSshd(tx.reload, socketTouched(plan.changes));
        tx.log.push({ at: new Date().toISOString(), message: said });
      }
    } catch (error) {
      io.stderr.write(`rampart harden: ${(error as Error).message}\nRolling back transaction ${tx.id}\n`);
      await rollbackTx(store, tx, io, loaded);
      return ExitCode.failure;
    }
    tx.state = "armed";
    store.save(tx);
    io.stdout.write(
      `Applied transaction ${tx.id}.\nConfirm from a NEW SSH session${plan.sshPorts.after.join(",") !== plan.sshPorts.before.join(",") ? ` (ssh -p ${plan.sshPorts.after.join(",")} ...)` : ""} within ${timeout} s: rampart harden confirm\nOtherwise everything is rolled back automatically.\n`,
    );
    return ExitCode.ok;
  } finally {
    unlock();
  }
}

async function rollbackTx(
  store: TransactionStore,
  tx: TransactionRecord,
  io: CliIo,
  loaded: Loaded,
): Promise<void> {
  restoreFiles(store, tx);
  if (tx.firewall) {
    // rules.json is back as it was; load it (the firewall's own lockout check still applies).
    const code = await services(io, loaded).firewall(["reload"]);
    tx.log.push({ at: new Date().toISOString(), message: `rampart firewall reload: exit ${code}` });
  }
  // Not reloaded yet means the running sshd still has the old settings: leave it alone. Else
  // check the restored files first — a reload with a broken config would stop sshd for good.
  const bad = tx.reloaded ? await validateSshd(tx) : undefined;
  if (bad) io.stderr.write(`rampart harden: NOT reloading sshd after the rollback: ${bad}\n`);
  else if (tx.reloaded && touchesSshd(tx.files.map((f) => f.path)) && tx.reload.method !== "none") {
    try {
      tx.log.push({
        at: new Date().toISOString(),
        message: await reloadSshd(
          tx.reload,
          tx.files.some((f) => f.path.startsWith(SOCKET_DIR)),
        ),
      });
    } catch (error) {
      io.stderr.write(
        `rampart harden: reloading sshd after the rollback failed: ${(error as Error).message}\n`,
      );
    }
  }
  tx.state = "rolled-back";
  store.save(tx);
  await disarmRollbackTimer(tx.timer, tx.id);
  io.stdout.write(
    `Rolled back transaction ${tx.id}${tx.createdUsers.length ? ` (removed user ${tx.createdUsers.join(", ")})` : ""}.\n`,
  );
}

async function rollbackCommand(values: Values, loaded: Loaded, io: CliIo): Promise<number> {
  const stateDir = resolve(io.cwd, values["state-dir"] ?? loaded.section.stateDir);
  const store = new TransactionStore(stateDir);
  if (values.after !== undefined) {
    const seconds = Number(values.after);
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new UsageError(`--after "${values.after}" is not seconds`);
    await new Promise((r) => setTimeout(r, seconds * 1000));
  }
  const unlock = store.lock();
  try {
    const tx = values.transaction !== undefined ? store.read(values.transaction) : store.latest();
    if (!tx) throw new UsageError(`No harden transaction in ${stateDir}`);
    if (values["if-armed"] && tx.state !== "armed" && tx.state !== "applying") return ExitCode.ok;
    if (tx.state === "rolled-back") {
      io.stdout.write(`Transaction ${tx.id} is already rolled back.\n`);
      return ExitCode.ok;
    }
    await rollbackTx(store, tx, io, loaded);
    return ExitCode.ok;
  } finally {
    unlock();
  }
}

async function confirmCommand(values: Values, loaded: Loaded, io: CliIo): Promise<number> {
  const stateDir = resolve(io.cwd, values["state-dir"] ?? loaded.section.stateDir);
  const store = new TransactionStore(stateDir);
  const unlock = store.lock();
  try {
    const tx = values.transaction !== undefined ? store.read(values.transaction) : store.latest();
    if (!tx) throw new UsageError(`No harden transaction in ${stateDir}`);
    if (tx.state !== "armed") {
      io.stderr.write(`rampart harden: transaction ${tx.id} is ${tx.state}, nothing to confirm\n`);
      return ExitCode.failure;
    }
    if (tx.sshConnection !== undefined && io.env.SSH_CONNECTION === tx.sshConnection)
      io.stderr.write(
        "Warning: confirming from the SSH session that applied the change proves nothing about new logins; open a NEW session and confirm from there.\n",
      );
    await executeChanges(store, tx, tx.onConfirm, services(io, loaded));
    if (touchesSshd(tx.onConfirm.flatMap((c) => (c.kind === "file" ? [c.path] : [])))) {
      const bad = await validateSshd(tx);
      if (bad) {
        // Put the confirm-time files back as they were during the trial; the timer still runs.
        const undo = tx.onConfirm.flatMap((c) =>
          c.kind === "file" && c.before !== undefined ? [{ ...c, after: c.before, before: c.after }] : [],
        );
        await executeChanges(store, tx, undo, services(io, loaded));
        io.stderr.write(`rampart harden: ${bad}\nNot confirmed; the change is still on trial.\n`);
        return ExitCode.failure;
      }
      tx.log.push({
        at: new Date().toISOString(),
        message: await reloadSshd(tx.reload, socketTouched(tx.onConfirm)),
      });
    }
    tx.state = "confirmed";
    store.save(tx);
    await disarmRollbackTimer(tx.timer, tx.id);
    io.stdout.write(
      `Confirmed transaction ${tx.id}${tx.onConfirm.length ? "; the old SSH port is closed" : ""}.\n`,
    );
    return ExitCode.ok;
  } finally {
    unlock();
  }
}

export async function hardenCommand(argv: readonly string[], io: CliIo): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parse(argv));
  } catch (error) {
    io.stderr.write(`rampart harden: ${(error as Error).message}\n\n${USAGE}`);
    return ExitCode.usage;
  }
  if (values.help) {
    io.stdout.write(USAGE);
    return ExitCode.ok;
  }
  try {
    const loaded = loadConfig(values, io);
    const [verb, ...extra] = positionals;
    if (
      extra.length > 0 ||
      (verb !== undefined && verb !== "confirm" && verb !== "rollback" && verb !== "plan")
    )
      throw new UsageError(`Unexpected argument "${extra[0] ?? verb}"`);
    if (verb === "confirm") return await confirmCommand(values, loaded, io);
    if (verb === "rollback") return await rollbackCommand(values, loaded, io);
    const { plan, root } = await makePlan(values, loaded, io);
    if (plan.refusals.length > 0) {
      if (values.json) printPlan(plan, io, true);
      io.stderr.write("rampart harden: Refusing to change anything:\n");
      for (const p of plan.refusals) io.stderr.write(`  - ${p.message}\n`);
      return ExitCode.failure;
    }
    printPlan(plan, io, values.json === true);
    if (!values.apply || plan.changes.length === 0) return ExitCode.ok;
    if ((io.stdin as { isTTY?: boolean }).isTTY === true && !values.yes) {
      io.stdout.write("Apply these changes? [y/N] ");
      const answer = await new Promise<string>((r) => io.stdin.once("data", (d) => r(d.toString())));
      if (!/^y(es)?$/i.test(answer.trim())) {
        io.stdout.write("Nothing changed.\n");
        return ExitCode.ok;
      }
    }
    return await apply(values, loaded, io, plan, root);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`rampart harden: ${error.message}\n`);
      return ExitCode.usage;
    }
    throw error;
  }
}
