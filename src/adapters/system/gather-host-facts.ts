import { mkdirSync } from "node:fs";
import { type AccountsDb, parseGroup, parsePasswd, parseShadow } from "../../core/audit/accounts.js";
import { type Fact, factError, factOk, factUnavailable } from "../../core/audit/audit-types.js";
import { findBackupJobs } from "../../core/audit/find-backup-jobs.js";
import type {
  AuditSettings,
  BackupJob,
  FtpServer,
  HostFacts,
  JailState,
  ListeningSocket,
  ProcessInfo,
} from "../../core/audit/host-facts.js";
import { type NftRuleset, parseNftJson } from "../../core/audit/nft-ruleset.js";
import {
  aptConfValue,
  dpkgInstalled,
  installedPackages,
  parseAptPolicy,
} from "../../core/audit/parse-apt.js";
import { parseFail2banJails } from "../../core/audit/parse-fail2ban-jails.js";
import { parseProcNetTcp } from "../../core/audit/parse-proc-net.js";
import { socketListenPorts } from "../../core/audit/parse-systemd-socket.js";
import { parseSshPublicKey } from "../../core/audit/ssh-public-key.js";
import { type SshSettings, sshSettingsFrom } from "../../core/audit/ssh-settings.js";
import { parseSudoers, type SudoGrant } from "../../core/audit/sudoers.js";
import { isRecord, parseYamlWithPositions } from "../../core/config/config-context.js";
import type { Problem } from "../../core/errors/problem.js";
import { parseSshdT } from "../../core/sshd/parse-sshd-t.js";
import { readSshdConfig } from "../../core/sshd/read-sshd-config.js";
import { defaultRunner, type Runner, readProcesses, tryRun } from "./live-probes.js";
import { RootedFs } from "./rooted-fs.js";

export interface GatherOptions {
  /** Offline tree to read; undefined = the live host. */
  readonly root?: string;
  readonly settings: AuditSettings;
  /** Run `apt-get update` before reading pending upgrades (network; only when asked). */
  readonly refresh?: boolean;
  readonly now?: number;
  readonly run?: Runner;
  /** Paths of the programs asked on a live host (overridable for tests). */
  readonly binaries?: { sshd?: string; nft?: string; aptGet?: string; aptCache?: string };
  /** Where Rampart may keep apt's binary cache when the system disabled apt's own. */
  readonly cacheDir?: string;
  /** Read listening sockets as this process sees its network namespace (tests use a lab namespace). */
  readonly netnsPid?: number;
  /** Rampart's own config (guard jails). */
  readonly rampartConfig?: string;
}

const LIVE_ONLY = "needs a live system (offline --root audit)";
// A documentation address (RFC 5737 TEST-NET-3) stands for "an unknown client" in sshd -T -C.
const ROOT_PROBE = "user=root,host=unknown.invalid,addr=203.0.113.7,laddr=0.0.0.0,lport=22";

/** Reads everything the checks need, in parallel where it runs programs. Never throws for host state. */
export async function gatherHostFacts(options: GatherOptions): Promise<HostFacts> {
  const live = options.root === undefined;
  const fs = new RootedFs(options.root ?? "/");
  const run = options.run ?? defaultRunner;
  const bin = {
    sshd: "/usr/sbin/sshd",
    nft: "nft",
    aptGet: "apt-get",
    aptCache: "apt-cache",
    ...options.binaries,
  };
  const now = options.now ?? Date.now();

  const sshPromise = live ? readSshLive(fs, run, bin.sshd) : Promise.resolve(readSshFiles(fs));
  const rulesetPromise = live
    ? readRuleset(run, bin.nft)
    : Promise.resolve(factUnavailable<NftRuleset>(`Firewall state ${LIVE_ONLY}`));
  const upgradesPromise = live
    ? readUpgrades(fs, run, bin, options.refresh === true, now, options.cacheDir ?? "/var/cache/rampart/apt")
    : Promise.resolve(factUnavailable<never>(`Pending upgrades: ${LIVE_ONLY}`));

  const procs = live ? safe(() => readProcesses()) : undefined;
  const processes: Fact<readonly ProcessInfo[]> = !live
    ? factUnavailable(`Running processes: ${LIVE_ONLY}`)
    : procs && procs.length > 0
      ? factOk(
          procs.map((p) => ({ pid: p.pid, name: p.name, cmdline: p.cmdline })),
          "/proc",
        )
      : factError("cannot read /proc");
  const listening = live
    ? readListening(procs ?? [], options.netnsPid)
    : factUnavailable<readonly ListeningSocket[]>(`Listening sockets: ${LIVE_ONLY}`);

  const accounts = readAccounts(fs);
  const enabledUnits = readEnabledUnits(fs);
  const sshSocket = readSshSocket(fs, enabledUnits, live);
  const [ssh, ruleset, upgrades] = await Promise.all([sshPromise, rulesetPromise, upgradesPromise]);
  return {
    mode: live ? "live" : "offline",
    root: fs.root,
    now,
    settings: options.settings,
    ...(live ? { systemdRunning: fs.exists("/run/systemd/system") } : {}),
    ssh,
    ...(sshSocket ? { sshSocket } : {}),
    accounts,
    sudoGrants: readSudoers(fs),
    authorizedKeys: readAuthorizedKeys(fs, accounts, ssh),
    pamSshd: readText(fs, "/etc/pam.d/sshd"),
    hostKeys: readHostKeys(fs, ssh),
    upgrades,
    autoUpgrades: readAutoUpgrades(fs),
    ruleset,
    listening,
    processes,
    enabledUnits,
    fail2banJails: readFail2ban(fs),
    rampartJails: readRampartJails(fs, options.rampartConfig ?? "/etc/rampart/rampart.yaml"),
    ftpServers: readFtp(fs),
    backups: readBackups(fs),
  };
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function readText(fs: RootedFs, path: string): Fact<{ file: string; text: string }> {
  try {
    const text = fs.readText(path);
    return text === undefined
      ? factUnavailable(`${path} does not exist`)
      : factOk({ file: path, text }, path);
  } catch (error) {
    return factError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function sshdSource(fs: RootedFs) {
  return { readFile: (p: string) => fs.readText(p), listDir: (p: string) => fs.listDir(p) };
}

function readSshFiles(fs: RootedFs, fallbackReason?: string): Fact<SshSettings> {
  if (!fs.exists("/etc/ssh/sshd_config"))
    return factUnavailable("No /etc/ssh/sshd_config: OpenSSH server is not installed");
  const config = readSshdConfig(sshdSource(fs));
  return factOk(
    sshSettingsFrom(config, undefined, fallbackReason !== undefined ? { fallbackReason } : {}),
    "/etc/ssh/sshd_config",
  );
}

async function readSshLive(fs: RootedFs, run: Runner, sshd: string): Promise<Fact<SshSettings>> {
  const [t, rootT] = await Promise.all([
    tryRun(run, sshd, ["-T"]),
    tryRun(run, sshd, ["-T", "-C", ROOT_PROBE]),
  ]);
  const hasConfig = fs.exists("/etc/ssh/sshd_config");
  const config = hasConfig ? readSshdConfig(sshdSource(fs)) : undefined;
  if (t.ok && t.result.code === 0) {
    const rootView = rootT.ok && rootT.result.code === 0 ? parseSshdT(rootT.result.stdout) : undefined;
    return factOk(
      sshSettingsFrom(config, parseSshdT(t.result.stdout), rootView ? { rootView } : {}),
      `${sshd} -T`,
    );
  }
  const reason = t.ok
    ? `${sshd} -T exited ${t.result.code}: ${t.result.stderr.trim().split("\n")[0] ?? ""}`
    : t.reason;
  if (!config) return factUnavailable(`OpenSSH server not found (${reason}; no /etc/ssh/sshd_config)`);
  return factOk(sshSettingsFrom(config, undefined, { fallbackReason: reason }), "/etc/ssh/sshd_config");
}

async function readRuleset(run: Runner, nft: string): Promise<Fact<NftRuleset>> {
  const r = await tryRun(run, nft, ["-j", "list", "ruleset"]);
  if (!r.ok) return factError(r.reason);
  if (r.result.code !== 0)
    return factError(`nft -j list ruleset exited ${r.result.code}: ${r.result.stderr.trim().split("\n")[0]}`);
  try {
    return factOk(parseNftJson(r.result.stdout), "nft -j list ruleset");
  } catch (error) {
    return factError(`nft -j list ruleset printed invalid JSON: ${(error as Error).message}`);
  }
}

async function readUpgrades(
  fs: RootedFs,
  run: Runner,
  bin: { aptGet: string; aptCache: string },
  refresh: boolean,
  now: number,
  cacheDir: string,
): Promise<HostFacts["upgrades"]> {
  if (refresh) {
    const u = await tryRun(run, bin.aptGet, ["-q", "update"], 300_000);
    if (!u.ok || u.result.code !== 0)
      return factError(
        `apt-get update failed: ${u.ok ? u.result.stderr.trim().split("\n").pop() : u.reason}`,
      );
  }
  const status = safe(() => fs.readText("/var/lib/dpkg/status"));
  if (status === undefined)
    return factUnavailable("No /var/lib/dpkg/status: pending updates are read from apt (Debian/Ubuntu)");
  const names = installedPackages(status);
  // `apt-cache policy` over the installed packages is ~20x faster than `apt-get -s upgrade`'s
  // simulation. Images that disable apt's binary cache (Docker's docker-clean) would rebuild it
  // from the lists on every run, so Rampart then keeps its own copy under cacheDir.
  const args = ["-o", "Debug::NoLocking=1"];
  if (aptCacheDisabled(fs)) {
    try {
      mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
      args.push(
        "-o",
        `Dir::Cache::pkgcache=${cacheDir}/pkgcache.bin`,
        "-o",
        `Dir::Cache::srcpkgcache=${cacheDir}/srcpkgcache.bin`,
      );
    } catch {}
  }
  const r = await tryRun(run, bin.aptCache, [...args, "policy", ...names], 60_000);
  if (!r.ok)
    return r.reason.endsWith("not found")
      ? factUnavailable(`${r.reason}: pending updates are read from apt (Debian/Ubuntu)`)
      : factError(r.reason);
  if (r.result.code !== 0)
    return factError(`apt-cache policy exited ${r.result.code}: ${r.result.stderr.trim().split("\n")[0]}`);
  const lists = fs.listDir("/var/lib/apt/lists") ?? [];
  const newest = Math.max(
    0,
    ...lists.filter((n) => /Release$/.test(n)).map((n) => fs.mtimeMs(`/var/lib/apt/lists/${n}`) ?? 0),
  );
  return factOk(
    {
      packages: parseAptPolicy(r.result.stdout),
      command: `apt-cache policy (${names.length} installed packages)`,
      ...(newest > 0 ? { listsAgeDays: (now - newest) / 86_400_000 } : {}),
    },
    "apt-cache policy",
  );
}

function aptCacheDisabled(fs: RootedFs): boolean {
  const dir = "/etc/apt/apt.conf.d";
  const files = (fs.listDir(dir) ?? []).map((n) => ({
    file: `${dir}/${n}`,
    text: safe(() => fs.readText(`${dir}/${n}`)) ?? "",
  }));
  return aptConfValue(files, "Dir::Cache::pkgcache")?.value === "";
}

function readListening(
  procs: readonly { name: string; pid: number; socketInodes: string[] }[],
  netnsPid?: number,
): Fact<readonly ListeningSocket[]> {
  const owner = new Map<string, string>();
  for (const p of procs) for (const inode of p.socketInodes) owner.set(inode, `${p.name}[${p.pid}]`);
  const out: ListeningSocket[] = [];
  let read = 0;
  const base = netnsPid === undefined ? "/proc/net" : `/proc/${netnsPid}/net`;
  for (const [file, version] of [
    [`${base}/tcp`, 4],
    [`${base}/tcp6`, 6],
  ] as const) {
    const text = safe(() => new RootedFs("/").readText(file));
    if (text === undefined) continue;
    read++;
    for (const s of parseProcNetTcp(text, version)) {
      const process = owner.get(s.inode);
      out.push({
        address: s.address,
        port: s.port,
        version: s.address.includes(":") ? 6 : 4,
        ...(process ? { process } : {}),
      });
    }
  }
  return read ? factOk(out, `${base}/tcp, ${base}/tcp6`) : factError(`cannot read ${base}/tcp`);
}

function readAccounts(fs: RootedFs): Fact<AccountsDb> {
  const problems: Problem[] = [];
  let passwdText: string | undefined;
  try {
    passwdText = fs.readText("/etc/passwd");
  } catch (error) {
    return factError(`cannot read /etc/passwd: ${(error as Error).message}`);
  }
  if (passwdText === undefined) return factError("/etc/passwd does not exist");
  const passwd = parsePasswd(passwdText, "/etc/passwd");
  problems.push(...passwd.problems);
  let shadow: AccountsDb["shadow"];
  let shadowError: string | undefined;
  try {
    const text = fs.readText("/etc/shadow");
    if (text !== undefined) {
      const parsed = parseShadow(text, "/etc/shadow");
      shadow = parsed.entries;
      problems.push(...parsed.problems);
    }
  } catch (error) {
    shadow = undefined;
    shadowError = (error as Error).message;
  }
  const groupText = safe(() => fs.readText("/etc/group")) ?? "";
  const groups = parseGroup(groupText, "/etc/group");
  problems.push(...groups.problems);
  return factOk(
    {
      passwd: passwd.entries,
      passwdFile: "/etc/passwd",
      shadow,
      shadowFile: "/etc/shadow",
      ...(shadowError !== undefined ? { shadowError } : {}),
      groups: groups.entries,
      problems,
    },
    "/etc/passwd",
  );
}

function readSudoers(fs: RootedFs): Fact<readonly SudoGrant[]> {
  const grants: SudoGrant[] = [];
  const seen = new Set<string>();
  const visit = (file: string, depth: number): void => {
    if (seen.has(file) || depth > 8) return;
    seen.add(file);
    const text = fs.readText(file);
    if (text === undefined) return;
    const parsed = parseSudoers(text, file);
    grants.push(...parsed.grants);
    for (const inc of parsed.includes) visit(inc.startsWith("/") ? inc : `/etc/${inc}`, depth + 1);
    for (const dir of parsed.includeDirs) {
      // sudoers(5): files in an includedir containing '.' or ending in '~' are skipped.
      for (const name of fs.listDir(dir) ?? [])
        if (!name.includes(".") && !name.endsWith("~")) visit(`${dir}/${name}`, depth + 1);
    }
  };
  try {
    visit("/etc/sudoers", 0);
  } catch (error) {
    return factError(`cannot read sudoers: ${(error as Error).message}`);
  }
  return factOk(grants, "/etc/sudoers");
}

function readAuthorizedKeys(
  fs: RootedFs,
  accounts: Fact<AccountsDb>,
  ssh: Fact<SshSettings>,
): HostFacts["authorizedKeys"] {
  if (!accounts.ok) return factError(accounts.reason);
  const patterns = (
    ssh.ok ? ssh.value.get("authorizedkeysfile").value : ".ssh/authorized_keys .ssh/authorized_keys2"
  )
    .split(/\s+/)
    .filter((p) => p !== "" && p !== "none");
  const out = new Map<string, { path: string; keys: number }>();
  for (const user of accounts.value.passwd) {
    for (const pattern of patterns) {
      // sshd_config(5) TOKENS: %h home, %u user, %U uid, %% a percent; relative paths are under home.
      const expanded = pattern.replace(/%([%hHuU])/g, (_m, t: string) =>
        t === "%" ? "%" : t === "h" ? user.home : t === "U" ? String(user.uid) : user.name,
      );
      const path = expanded.startsWith("/") ? expanded : `${user.home}/${expanded}`;
      const text = safe(() => fs.readText(path));
      if (text === undefined) continue;
      const keys = text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#")).length;
      if (keys > 0) {
        out.set(user.name, { path, keys: (out.get(user.name)?.keys ?? 0) + keys });
      }
    }
  }
  return factOk(out, "authorized_keys");
}

function readHostKeys(fs: RootedFs, ssh: Fact<SshSettings>): HostFacts["hostKeys"] {
  if (!ssh.ok) return factError(ssh.reason);
  const paths = ssh.value.getAll("hostkey").flatMap((v) => v.value.split(/\s+/));
  const out: { path: string; type: string; bits: number }[] = [];
  for (const path of paths) {
    const text = safe(() => fs.readText(`${path}.pub`));
    const key = text ? parseSshPublicKey(text) : undefined;
    if (key) out.push({ path, ...key });
  }
  return factOk(out, "host keys");
}

function readAutoUpgrades(fs: RootedFs): HostFacts["autoUpgrades"] {
  const status = safe(() => fs.readText("/var/lib/dpkg/status"));
  if (status === undefined) return factUnavailable("No /var/lib/dpkg/status: not a Debian/Ubuntu system");
  const installed = dpkgInstalled(status, "unattended-upgrades");
  const dir = "/etc/apt/apt.conf.d";
  const files = (fs.listDir(dir) ?? []).map((n) => ({
    file: `${dir}/${n}`,
    text: safe(() => fs.readText(`${dir}/${n}`)) ?? "",
  }));
  const main = safe(() => fs.readText("/etc/apt/apt.conf"));
  if (main !== undefined) files.push({ file: "/etc/apt/apt.conf", text: main });
  const v = aptConfValue(files, "APT::Periodic::Unattended-Upgrade");
  const evidence = [`/var/lib/dpkg/status: unattended-upgrades ${installed ? "installed" : "not installed"}`];
  evidence.push(
    v
      ? `${v.at}: APT::Periodic::Unattended-Upgrade "${v.value}"`
      : `${dir}: APT::Periodic::Unattended-Upgrade not set`,
  );
  return factOk({ installed, enabled: v !== undefined && v.value !== "0" && v.value !== "", evidence }, dir);
}

function readSshSocket(
  fs: RootedFs,
  units: HostFacts["enabledUnits"],
  live: boolean,
): HostFacts["sshSocket"] {
  if (!units.ok || !units.value.has("ssh.socket")) return undefined;
  const files: { file: string; text: string }[] = [];
  const unit = [
    "/etc/systemd/system/ssh.socket",
    "/usr/lib/systemd/system/ssh.socket",
    "/lib/systemd/system/ssh.socket",
  ].find((p) => fs.exists(p));
  const dropinDirs = [
    "/usr/lib/systemd/system/ssh.socket.d",
    "/lib/systemd/system/ssh.socket.d",
    "/etc/systemd/system/ssh.socket.d",
  ];
  // Ubuntu 24.04's sshd-socket-generator writes sshd_config's ports here at boot (live only).
  if (live) dropinDirs.push("/run/systemd/generator/ssh.socket.d");
  for (const path of [
    unit,
    ...dropinDirs.flatMap((d) =>
      (fs.listDir(d) ?? []).filter((n) => n.endsWith(".conf")).map((n) => `${d}/${n}`),
    ),
  ]) {
    if (path === undefined) continue;
    const text = safe(() => fs.readText(path));
    if (text !== undefined) files.push({ file: path, text });
  }
  const { ports, evidence } = socketListenPorts(files);
  return {
    ports,
    evidence: [
      "ssh.socket is enabled: systemd listens for sshd, sshd_config's Port is not used",
      ...evidence,
    ],
  };
}

function readEnabledUnits(fs: RootedFs): HostFacts["enabledUnits"] {
  const units = new Set<string>();
  for (const base of ["/etc/systemd/system"]) {
    for (const name of fs.listDir(base) ?? []) {
      if (!name.endsWith(".wants")) continue;
      for (const unit of fs.listDir(`${base}/${name}`) ?? []) units.add(unit);
    }
  }
  return factOk(units, "/etc/systemd/system/*.wants");
}

function readFail2ban(fs: RootedFs): Fact<readonly JailState[]> {
  const base = "/etc/fail2ban";
  if (!fs.exists(base)) return factOk([], base);
  const files: { file: string; text: string }[] = [];
  const add = (p: string) => {
    const t = safe(() => fs.readText(p));
    if (t !== undefined) files.push({ file: p, text: t });
  };
  const dropins = fs.listDir(`${base}/jail.d`) ?? [];
  add(`${base}/jail.conf`);
  for (const n of dropins) if (n.endsWith(".conf")) add(`${base}/jail.d/${n}`);
  add(`${base}/jail.local`);
  for (const n of dropins) if (n.endsWith(".local")) add(`${base}/jail.d/${n}`);
  return factOk(parseFail2banJails(files), base);
}

function readRampartJails(fs: RootedFs, path: string): Fact<readonly JailState[]> {
  let text: string | undefined;
  try {
    text = fs.readText(path);
  } catch (error) {
    return factError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (text === undefined) return factOk([], path);
  const { data, context } = parseYamlWithPositions(text, path);
  if (context.problems.length) return factError(`${path} is not valid YAML`);
  const guard = isRecord(data) ? data.guard : undefined;
  const jails = isRecord(guard) ? guard.jails : undefined;
  const out: JailState[] = [];
  const push = (name: string, spec: unknown, yamlPath: (string | number)[]) => {
    const pos = context.positionOf(yamlPath);
    const enabled = isRecord(spec) ? spec.enabled !== false : spec !== false;
    out.push({ name, enabled, evidence: pos ? `${path}:${pos.line}` : path });
  };
  if (isRecord(jails))
    for (const [name, spec] of Object.entries(jails)) push(name, spec, ["guard", "jails", name]);
  if (Array.isArray(jails)) {
    for (const [i, j] of jails.entries())
      if (isRecord(j) && typeof j.name === "string") push(j.name, j, ["guard", "jails", i]);
  }
  return factOk(out, path);
}

function readFtp(fs: RootedFs): Fact<readonly FtpServer[]> {
  const out: FtpServer[] = [];
  const nonComment = (t: string) =>
    t
      .split("\n")
      .map((l, i) => ({ l: l.trim(), n: i + 1 }))
      .filter(({ l }) => l !== "" && !l.startsWith("#"));
  const proftpd = safe(() => fs.readText("/etc/proftpd/proftpd.conf"));
  if (proftpd !== undefined) {
    const lines = nonComment(proftpd);
    const portLine = lines.find(({ l }) => /^Port\s+\d+/i.test(l));
    const tlsIncluded = lines.some(({ l }) => /^Include\s+\/etc\/proftpd\/tls\.conf/i.test(l));
    const tlsText = tlsIncluded ? (safe(() => fs.readText("/etc/proftpd/tls.conf")) ?? "") : "";
    const tls = [...lines, ...nonComment(tlsText)].some(({ l }) => /^TLSEngine\s+on/i.test(l));
    out.push({
      name: "proftpd",
      port: portLine ? Number(portLine.l.split(/\s+/)[1]) : 21,
      tls,
      evidence: `/etc/proftpd/proftpd.conf${portLine ? `:${portLine.n}` : ""}`,
    });
  }
  const vsftpd = safe(() => fs.readText("/etc/vsftpd.conf"));
  if (vsftpd !== undefined) {
    const lines = nonComment(vsftpd);
    const portLine = lines.find(({ l }) => /^listen_port=\d+/.test(l));
    const tls = lines.some(({ l }) => /^ssl_enable=YES/i.test(l));
    out.push({
      name: "vsftpd",
      port: portLine ? Number(portLine.l.split("=")[1]) : 21,
      tls,
      evidence: `/etc/vsftpd.conf${portLine ? `:${portLine.n}` : ""}`,
    });
  }
  if (fs.exists("/etc/pure-ftpd/conf")) {
    const bind = safe(() => fs.readText("/etc/pure-ftpd/conf/Bind"))?.trim();
    const tlsLevel = Number(safe(() => fs.readText("/etc/pure-ftpd/conf/TLS"))?.trim() ?? "0");
    out.push({
      name: "pure-ftpd",
      port: bind ? Number(bind.split(",").pop()) : 21,
      tls: tlsLevel >= 2,
      evidence: "/etc/pure-ftpd/conf",
    });
  }
  return factOk(out, "FTP server configuration");
}

function readBackups(fs: RootedFs): Fact<readonly BackupJob[]> {
  const jobs: BackupJob[] = [];
  const scan = (path: string, crontab: boolean) => {
    const text = safe(() => fs.readText(path));
    if (text !== undefined) jobs.push(...findBackupJobs(path, text, { crontab }));
  };
  scan("/etc/crontab", true);
  for (const n of fs.listDir("/etc/cron.d") ?? []) scan(`/etc/cron.d/${n}`, true);
  for (const n of fs.listDir("/var/spool/cron/crontabs") ?? []) scan(`/var/spool/cron/crontabs/${n}`, true);
  for (const period of ["hourly", "daily", "weekly", "monthly"])
    for (const n of fs.listDir(`/etc/cron.${period}`) ?? []) scan(`/etc/cron.${period}/${n}`, false);
  for (const dir of ["/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"]) {
    for (const timer of (fs.listDir(dir) ?? []).filter((n) => n.endsWith(".timer"))) {
      const timerText = safe(() => fs.readText(`${dir}/${timer}`)) ?? "";
      const unit = /^Unit\s*=\s*(\S+)/m.exec(timerText)?.[1] ?? timer.replace(/\.timer$/, ".service");
      const service = `${dir}/${unit}`;
      const found = findBackupJobs(service, safe(() => fs.readText(service)) ?? "", { crontab: false });
      const stamp = fs.mtimeMs(`/var/lib/systemd/timers/stamp-${timer}`);
      for (const j of found)
        jobs.push({
          ...j,
          evidence: `${dir}/${timer} → ${j.evidence}`,
          ...(stamp !== undefined ? { lastRun: stamp } : {}),
        });
    }
  }
  return factOk(jobs, "cron and systemd timers");
}
