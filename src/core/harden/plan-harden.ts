import { type AccountsDb, classifyHash, parseGroup, parsePasswd, parseShadow } from "../audit/accounts.js";
import { evaluatePort } from "../audit/firewall-model.js";
import type { HostFacts, ListeningSocket } from "../audit/host-facts.js";
import type { NftRuleset } from "../audit/nft-ruleset.js";
import { parseSshPublicKey } from "../audit/ssh-public-key.js";
import { type Problem, problem } from "../errors/problem.js";
import { applyCommand } from "../firewall/apply-command.js";
import { parseFirewallCommand } from "../firewall/firewall-command.js";
import { type FirewallState, INITIAL_STATE } from "../firewall/firewall-rule.js";
import { parseFirewallState, serializeFirewallState } from "../firewall/firewall-state.js";
import { evaluatePacket } from "../firewall/packet-evaluator.js";
import { parseServices } from "../firewall/services-file.js";
import type { AddressSet } from "../firewall/set-file.js";
import { parseIp } from "../ip/ip-address.js";
import { matchGlobSegment } from "../sshd/glob-pattern.js";
import type { SshdConfigSource } from "../sshd/read-sshd-config.js";
import { readSshdConfig } from "../sshd/read-sshd-config.js";
import { firstDirective, type SshdConfig } from "../sshd/sshd-config.js";
import { SSHD_DEFAULTS } from "../sshd/sshd-keywords.js";
import type { Change, FileOwner, HardenDesired, HardenPlan } from "./harden-types.js";
import { configuredPorts, MAIN_FILE, planSshdEdits } from "./sshd-edits.js";
import { unifiedDiff } from "./unified-diff.js";

/** The tree harden reads (the live "/" or an offline --root), as the sshd reader sees files. */
export interface HardenTree extends SshdConfigSource {
  /** Owner and mode, undefined when the path does not exist. */
  stat(path: string): { uid: number; gid: number; mode: number } | undefined;
}

export interface HardenInput {
  readonly tree: HardenTree;
  /** The audit's facts about the same tree (src/adapters/system/gather-host-facts.ts). */
  readonly facts: HostFacts;
  readonly live: boolean;
  /** Listening TCP sockets (live only). */
  readonly listening?: readonly ListeningSocket[];
  /** Rampart's firewall rules, when it has any. */
  readonly firewall?: { readonly state: FirewallState; readonly sets: ReadonlyMap<string, AddressSet> };
  /** Rampart's config file (guard jails live there). */
  readonly rampartConfig: string;
  /** The live nftables ruleset (`nft -j list ruleset`), to see firewalls that are not Rampart's. */
  readonly ruleset?: NftRuleset;
  /** Rampart's own nft table (its rules come from `firewall` above). */
  readonly rampartTable?: string;
  /** Offline trees: the firewall's rules.json inside the tree, edited as a file (no nft to run). */
  readonly firewallRulesPath?: string;
  /** Offline trees: the guard's unit text, installed as a file plus the enabling symlink. */
  readonly guardUnit?: string;
  /** Days since 1970-01-01, for shadow(5)'s "last change" field. */
  readonly today: number;
}

const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const ADMIN_GROUPS = ["sudo", "wheel", "admin"];
const LOGIN_SHELL = (shell: string) => shell !== "" && !/(nologin|false|sync|shutdown|halt)$/.test(shell);
export const SUDOERS_DROP_IN = "/etc/sudoers.d/90-rampart-admin";
export const AUTO_UPGRADES = "/etc/apt/apt.conf.d/20auto-upgrades";

class Builder {
  readonly changes: Change[] = [];
  readonly onConfirm: Change[] = [];
  readonly refusals: Problem[] = [];
  readonly notes: string[] = [];
  readonly createdUsers: string[] = [];
  /** Pending text per path, so several steps can edit one file (passwd, group...). */
  readonly texts = new Map<
    string,
    { before: string | undefined; after: string; reason: string[]; mode?: number; owner?: FileOwner }
  >();

  constructor(readonly tree: HardenTree) {}

  current(path: string): string | undefined {
    return this.texts.get(path)?.after ?? this.tree.readFile(path);
  }

  edit(path: string, after: string, reason: string, create?: { mode: number; owner: FileOwner }): void {
    const entry = this.texts.get(path);
    if (entry) {
      entry.after = after;
      if (!entry.reason.includes(reason)) entry.reason.push(reason);
      return;
    }
    const before = this.tree.readFile(path);
    this.texts.set(path, {
      before,
      after,
      reason: [reason],
      ...(before === undefined && create ? { mode: create.mode, owner: create.owner } : {}),
    });
  }

  refuse(code: string, message: string): void {
    this.refusals.push(problem(code, message));
  }
}

function fileChange(
  path: string,
  e: { before: string | undefined; after: string; reason: string[]; mode?: number; owner?: FileOwner },
): Change {
  return {
    kind: "file",
    path,
    before: e.before,
    after: e.after,
    ...(e.mode !== undefined ? { mode: e.mode } : {}),
    ...(e.owner !== undefined ? { owner: e.owner } : {}),
    reason: e.reason.join("; "),
    diff: unifiedDiff(path, e.before, e.after),
  };
}

function effective(config: SshdConfig, keyword: string): string {
  return (firstDirective(config, keyword)?.args.join(" ") ?? SSHD_DEFAULTS[keyword] ?? "").toLowerCase();
}

function servicesOn(text: string | undefined, port: number): string[] {
  const names: string[] = [];
  for (const raw of (text ?? "").split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    const [name, portProto] = line.split(/\s+/);
    if (name && portProto === `${port}/tcp`) names.push(name);
  }
  return names;
}

/** sshd's AllowUsers/DenyUsers patterns are USER or USER@HOST globs (sshd_config(5) PATTERNS). */
function userPatternMatches(pattern: string, user: string): boolean {
  const name = pattern.includes("@") ? pattern.slice(0, pattern.indexOf("@")) : pattern;
  return matchGlobSegment(name, user);
}

function groupsOf(
  db: { groups: readonly { name: string; gid: number; members: readonly string[] }[] },
  user: string,
  gid: number,
): string[] {
  return db.groups.filter((g) => g.members.includes(user) || g.gid === gid).map((g) => g.name);
}

/**
 * Desired state + the facts → the change set, and the reasons it may not be applied. Pure: the
 * CLI shows the result, the executor (src/adapters/harden) applies exactly these changes.
 */
export function planHarden(desired: HardenDesired, input: HardenInput): HardenPlan {
  const { tree, facts } = input;
  const b = new Builder(tree);
  const config = readSshdConfig(tree, MAIN_FILE);
  const hasSshd = tree.readFile(MAIN_FILE) !== undefined;
  const portsBefore = input.facts.sshSocket?.ports.length
    ? [...input.facts.sshSocket.ports]
    : configuredPorts(config);
  const servicesText = tree.readFile("/etc/services");

  // ---- sshd settings: only those that differ from what sshd would use now.
  const settings = new Map<string, readonly string[]>();
  const want = (keyword: string, value: string) => {
    const matchUndo = config.matchBlocks.some((bl) =>
      bl.directives.some(
        (d) => d.keyword === keyword && d.args.join(" ").toLowerCase() !== value.toLowerCase(),
      ),
    );
    if (effective(config, keyword) !== value.toLowerCase() || matchUndo) settings.set(keyword, [value]);
  };
  if (desired.noRootLogin) want("permitrootlogin", "no");
  if (desired.noPasswordAuth) {
    want("passwordauthentication", "no");
    want("kbdinteractiveauthentication", "no");
    want("permitemptypasswords", "no");
  }
  if (desired.maxAuthTries !== undefined) {
    const now = Number(effective(config, "maxauthtries"));
    const looser = config.matchBlocks.some((bl) =>
      bl.directives.some((d) => d.keyword === "maxauthtries" && Number(d.args[0]) > desired.maxAuthTries!),
    );
    if (now > desired.maxAuthTries || looser) settings.set("maxauthtries", [String(desired.maxAuthTries)]);
  }
  const newPort = desired.sshPort;
  const portChanges = newPort !== undefined && !(portsBefore.length === 1 && portsBefore[0] === newPort);
  const socketOwnsPorts = (input.facts.sshSocket?.ports.length ?? 0) > 0;
  if (newPort !== undefined && portChanges) {
    if (!Number.isInteger(newPort) || newPort < 1 || newPort > 65535) {
      b.refuse("harden.port-invalid", `SSH port "${newPort}" is not a port number (1-65535)`);
    } else {
      const others = servicesOn(servicesText, newPort).filter((n) => n !== "ssh");
      if (others.length > 0)
        b.refuse(
          "harden.port-service",
          `Port ${newPort}/tcp belongs to "${others.join('", "')}" in /etc/services; pick a port no service claims`,
        );
      const busy = (input.listening ?? []).filter((s) => s.port === newPort && !/sshd/.test(s.process ?? ""));
      if (busy.length > 0)
        b.refuse(
          "harden.port-in-use",
          `Port ${newPort}/tcp is already in use by ${busy.map((s) => `${s.process ?? "an unknown process"} on ${s.address}`).join(", ")}`,
        );
    }
    if (!socketOwnsPorts)
      settings.set("port", [String(newPort), ...portsBefore.filter((p) => p !== newPort).map(String)]);
  }

  let sshdFinal: SshdConfig = config;
  if (settings.size > 0 && hasSshd) {
    const edits = planSshdEdits(tree, settings);
    for (const [path, text] of edits.files) b.edit(path, text, "sshd settings");
    sshdFinal = edits.candidate;
    if (portChanges && !socketOwnsPorts && newPort !== undefined) {
      // After confirmation only the new port stays (a second application on the candidate).
      const confirmTree: HardenTree = { ...tree, readFile: (p) => edits.files.get(p) ?? tree.readFile(p) };
      const fin = planSshdEdits(confirmTree, new Map([["port", [String(newPort)]]]));
      for (const [path, text] of fin.files)
        b.onConfirm.push(
          fileChange(path, {
            before: edits.files.get(path) ?? tree.readFile(path),
            after: text,
            reason: ["close the old SSH port"],
          }),
        );
      sshdFinal = fin.candidate;
    }
  } else if (settings.size > 0 && !hasSshd) {
    b.refuse("harden.no-sshd", `No ${MAIN_FILE}: the OpenSSH server is not installed`);
  }
  if (portChanges && socketOwnsPorts && newPort !== undefined) {
    // Ubuntu's ssh.socket owns the port: ListenStream= empties the list, then ours (systemd.socket(5)).
    const path = "/etc/systemd/system/ssh.socket.d/rampart-port.conf";
    const render = (ports: number[]) =>
      `# Written by rampart harden\n[Socket]\nListenStream=\n${ports.map((p) => `ListenStream=${p}`).join("\n")}\n`;
    const during = [newPort, ...portsBefore.filter((p) => p !== newPort)];
    b.edit(path, render(during), "SSH port (ssh.socket owns it)", { mode: 0o644, owner: { uid: 0, gid: 0 } });
    b.onConfirm.push(
      fileChange(path, {
        before: render(during),
        after: render([newPort]),
        reason: ["close the old SSH port"],
      }),
    );
  }
  // ---- admin user and key.
  const passwdText = tree.readFile("/etc/passwd");
  const groupText = tree.readFile("/etc/group");
  const shadowText = tree.readFile("/etc/shadow");
  let adminReady: string | undefined;
  let adminKeyText: string | undefined;
  if (desired.adminKey !== undefined) {
    const key = desired.adminKey.trim();
    if (key.includes("\n") || !parseSshPublicKey(key))
      b.refuse(
        "harden.admin-key",
        'The admin key is not one OpenSSH public key line ("ssh-ed25519 AAAA… comment")',
      );
    else if (/PRIVATE KEY/.test(key))
      b.refuse("harden.admin-key", "The admin key is a private key; give the .pub file");
    else adminKeyText = key;
  }
  if (desired.adminUser !== undefined) {
    const name = desired.adminUser;
    if (!USER_NAME.test(name) || name === "root") {
      b.refuse(
        "harden.admin-user",
        `Admin user name "${name}" is not a valid user name (lower-case letters, digits, _ and -; not root)`,
      );
    } else if (passwdText === undefined || groupText === undefined) {
      b.refuse("harden.accounts", "Cannot read /etc/passwd and /etc/group");
    } else {
      adminReady = planAdmin(b, name, adminKeyText, input, passwdText, groupText, shadowText);
    }
  } else if (adminKeyText !== undefined) {
    b.refuse("harden.admin-key", "--admin-key needs --admin-user (whose authorized_keys to put it in)");
  }

  // ---- root password.
  if (desired.rootPasswordHash !== undefined) {
    const hash = desired.rootPasswordHash;
    if (classifyHash(hash) !== "hash-strong" || /[:\n]/.test(hash))
      b.refuse(
        "harden.root-password",
        "The root password must be a current crypt(5) hash ($y$, $6$...), e.g. from: mkpasswd -m yescrypt",
      );
    else if (shadowText !== undefined) {
      const shadow = b.current("/etc/shadow") ?? shadowText;
      const lines = shadow.split("\n");
      const i = lines.findIndex((l) => l.startsWith("root:"));
      if (i === -1) b.refuse("harden.root-password", "No root entry in /etc/shadow");
      else {
        const fields = (lines[i] as string).split(":");
        if (fields[1] !== hash) {
          fields[1] = hash;
          fields[2] = String(input.today);
          lines[i] = fields.join(":");
          b.edit("/etc/shadow", lines.join("\n"), "root password");
        }
      }
    }
  }

  // ---- preflight: somebody must still be able to log in with a key and become root.
  if (desired.noPasswordAuth || desired.noRootLogin) {
    const ready = keyAdmins(b, input, sshdFinal, adminReady);
    const rootKeys = facts.authorizedKeys.ok ? (facts.authorizedKeys.value.get("root")?.keys ?? 0) : 0;
    const rootStillIn =
      !desired.noRootLogin && effective(sshdFinal, "permitrootlogin") !== "no" && rootKeys > 0;
    if (ready.length === 0 && !rootStillIn) {
      b.refuse(
        "harden.no-admin-key",
        `Refusing to turn off ${[desired.noPasswordAuth ? "password logins" : "", desired.noRootLogin ? "root login" : ""].filter(Boolean).join(" and ")}: no account that can become root has an authorized SSH key, so nobody could log in as an administrator. Add one: --admin-user NAME --admin-key ~/.ssh/id_ed25519.pub`,
      );
    }
  }
  if (desired.noPasswordAuth) {
    const methods = effective(sshdFinal, "authenticationmethods");
    if (methods !== "any" && methods !== "") {
      const chains = methods.split(/\s+/);
      const blocked = chains.filter((c) =>
        c.split(",").some((m) => m.startsWith("password") || m.startsWith("keyboard-interactive")),
      );
      if (blocked.length > 0)
        b.refuse(
          "harden.authentication-methods",
          `AuthenticationMethods "${methods}" needs password or keyboard-interactive in ${blocked.map((c) => `"${c}"`).join(", ")}, which --no-password-auth turns off; change AuthenticationMethods first (e.g. "publickey")`,
        );
    }
  }

  // ---- firewall: the new SSH port must get through before sshd moves to it.
  const fwEnabled = input.firewall?.state.enabled === true;
  if (portChanges && newPort !== undefined && input.ruleset) {
    // Rampart's table is judged (and opened) through its own rules above; any other table that
    // drops the new port would cut the admin off after confirm, and harden cannot open it.
    const own = (x: { family: string; table?: string; name?: string }) =>
      x.family === "inet" && (x.table ?? x.name) === (input.rampartTable ?? "rampart_fw");
    const others: NftRuleset = {
      tables: input.ruleset.tables.filter((t) => !own(t)),
      chains: input.ruleset.chains.filter((c) => !own(c)),
      rules: input.ruleset.rules.filter((r) => !own(r)),
      sets: input.ruleset.sets.filter((x) => !own(x)),
    };
    const v = evaluatePort(others, newPort, 4);
    if (v.verdict === "drop")
      b.refuse(
        "harden.firewall-other",
        `Another firewall would drop the new SSH port ${newPort}/tcp (${v.evidence.join("; ")}); open it there first`,
      );
  }
  if (desired.firewall)
    planFirewall(b, input, portChanges ? newPort : undefined, portsBefore, newPort ?? portsBefore[0] ?? 22);
  else if (fwEnabled && portChanges && newPort !== undefined && input.firewall) {
    const server = parseIp("192.0.2.1")!;
    const client = parseIp("198.51.100.7")!;
    const v = evaluatePacket(
      input.firewall.state,
      input.firewall.sets,
      { direction: "in", saddr: client, daddr: server, proto: "tcp", sport: 40000, dport: newPort },
      { unknownIface: "pessimistic" },
    );
    if (v.verdict !== "accept") {
      b.changes.push({
        kind: "firewall",
        argv: ["limit", `${newPort}/tcp`],
        reason: `Rampart's firewall would not admit the new SSH port ${newPort}: open it first`,
      });
      b.notes.push(`The firewall is opened for ${newPort}/tcp before sshd moves`);
    }
  }

  if (!input.live) foldFirewallOffline(b, input);
  if (desired.updates) planUpdates(b, input);
  if (desired.guard) planGuard(b, input);
  if (desired.ftpPort !== undefined) planFtp(b, input, desired.ftpPort, servicesText);

  // Firewall steps first (the port must be open before sshd listens there), then files, then the rest.
  if (!input.live) {
    // On an offline tree the confirm-time firewall step edits rules.json too.
    const fwConfirm = b.onConfirm.filter((c) => c.kind === "firewall");
    if (fwConfirm.length > 0 && input.firewallRulesPath !== undefined) {
      const path = input.firewallRulesPath;
      const during = b.texts.get(path)?.after ?? tree.readFile(path);
      const after = foldFirewall(
        input,
        during,
        fwConfirm.map((c) => (c.kind === "firewall" ? c.argv : [])),
        b,
      );
      b.onConfirm.splice(0, b.onConfirm.length, ...b.onConfirm.filter((c) => c.kind !== "firewall"));
      if (after !== undefined && after !== during)
        b.onConfirm.push(
          fileChange(path, { before: during, after, reason: ["close the old SSH port in the firewall"] }),
        );
    }
  }
  const fw = b.changes.filter((c) => c.kind === "firewall");
  const mkdirs = b.changes.filter((c) => c.kind === "mkdir");
  const files = [...b.texts].map(([path, e]) => fileChange(path, e));
  const rest = b.changes.filter((c) => c.kind !== "firewall" && c.kind !== "mkdir");
  // Symlinks point at files written above, so they come after them.
  rest.sort((x, y) => Number(x.kind === "symlink") - Number(y.kind === "symlink"));
  const touchesSshd = files.some((c) => c.kind === "file" && c.path.startsWith("/etc/ssh/"));
  if (touchesSshd && input.live) {
    // Check and reload are done by the executor itself (sshd -t, then systemd or SIGHUP).
  }
  const portsAfter = portChanges && newPort !== undefined ? [newPort] : portsBefore;
  return {
    changes: [...fw, ...mkdirs, ...files, ...rest],
    onConfirm: b.onConfirm,
    createdUsers: b.createdUsers,
    sshPorts: { before: portsBefore, after: portsAfter },
    refusals: b.refusals,
    notes: b.notes,
    touchesSshd,
  };
}

/** Creates or completes the admin account; returns its name when it will be ready to use. */
function planAdmin(
  b: Builder,
  name: string,
  key: string | undefined,
  input: HardenInput,
  passwdText: string,
  groupText: string,
  shadowText: string | undefined,
): string | undefined {
  const passwd = parsePasswd(passwdText, "/etc/passwd").entries;
  const groups = parseGroup(groupText, "/etc/group").entries;
  const user = passwd.find((p) => p.name === name);
  let uid: number;
  let gid: number;
  let home: string;
  if (!user) {
    if (!key) {
      b.refuse(
        "harden.admin-key",
        `Creating admin user "${name}" needs --admin-key (it will have no password)`,
      );
      return undefined;
    }
    const used = new Set([...passwd.map((p) => p.uid), ...groups.map((g) => g.gid)]);
    uid = 1000;
    while (used.has(uid)) uid++;
    gid = uid;
    home = `/home/${name}`;
    b.createdUsers.push(name);
    b.edit(
      "/etc/passwd",
      appendLine(passwdText, `${name}:x:${uid}:${gid}::${home}:/bin/bash`),
      `create admin user "${name}"`,
    );
    b.edit("/etc/group", appendLine(groupText, `${name}:x:${gid}:`), `create admin user "${name}"`);
    if (shadowText !== undefined) {
      // "*": no password, but not locked ("!"), so sshd lets the key in even with UsePAM no.
      b.edit(
        "/etc/shadow",
        appendLine(shadowText, `${name}:*:${input.today}:0:99999:7:::`),
        `create admin user "${name}"`,
      );
    }
    if (input.tree.stat(home) === undefined)
      b.changes.push({
        kind: "mkdir",
        path: home,
        mode: 0o750,
        owner: { uid, gid },
        reason: `home of "${name}"`,
      });
  } else {
    uid = user.uid;
    gid = user.gid;
    home = user.home;
    if (!LOGIN_SHELL(user.shell))
      b.refuse("harden.admin-shell", `Admin user "${name}" has no login shell ("${user.shell}")`);
  }
  // sudo group membership (Debian's sudoers grants %sudo ALL).
  const adminGroup = groups.find((g) => ADMIN_GROUPS.includes(g.name));
  const currentGroups = b.current("/etc/group") ?? groupText;
  if (adminGroup && !adminGroup.members.includes(name)) {
    const lines = currentGroups.split("\n");
    const i = lines.findIndex((l) => l.startsWith(`${adminGroup.name}:`));
    const line = lines[i] as string;
    lines[i] = line.endsWith(":") ? `${line}${name}` : `${line},${name}`;
    b.edit("/etc/group", lines.join("\n"), `let "${name}" use sudo (group "${adminGroup.name}")`);
  }
  // With keys only the admin has no password to give sudo; a NOPASSWD grant keeps "sudo" usable.
  const shadowEntry = shadowText
    ? parseShadow(shadowText, "/etc/shadow").entries.find((s) => s.name === name)
    : undefined;
  const hasPassword = shadowEntry !== undefined && classifyHash(shadowEntry.hash).startsWith("hash");
  const grants = input.facts.sudoGrants.ok ? input.facts.sudoGrants.value : [];
  const sudoersText = input.tree.readFile("/etc/sudoers");
  const nopasswdLine = `${name} ALL=(ALL:ALL) NOPASSWD: ALL`;
  const existingDropIn = input.tree.readFile(SUDOERS_DROP_IN);
  if (!hasPassword && !(existingDropIn ?? "").split("\n").includes(nopasswdLine)) {
    if (sudoersText === undefined)
      b.refuse("harden.sudo", "No /etc/sudoers: install sudo first (apt-get install sudo)");
    else if (!/^[@#]includedir\s+\/etc\/sudoers\.d\s*$/m.test(sudoersText))
      b.refuse("harden.sudo", "/etc/sudoers does not include /etc/sudoers.d; cannot grant the admin sudo");
    else {
      b.edit(
        SUDOERS_DROP_IN,
        appendLine(
          existingDropIn ?? "# Written by rampart harden: the admin logs in with a key and has no password\n",
          nopasswdLine,
        ),
        `let "${name}" use sudo without a password (keys only)`,
        { mode: 0o440, owner: { uid: 0, gid: 0 } },
      );
    }
  } else if (!adminGroup && !grants.some((g) => g.principal === name)) {
    b.refuse("harden.sudo", `No sudo/wheel/admin group and no sudoers grant for "${name}"`);
  }
  // authorized_keys with sshd's StrictModes in mind: ~/.ssh 0700, the file 0600, owned by the user.
  if (key) {
    const sshDir = `${home}/.ssh`;
    const akPath = `${sshDir}/authorized_keys`;
    const existing = input.tree.readFile(akPath);
    const blob = key.split(/\s+/).slice(0, 2).join(" ");
    const present = (existing ?? "").split("\n").some((l) => l.split(/\s+/).slice(0, 2).join(" ") === blob);
    if (!present) {
      if (input.tree.stat(sshDir) === undefined)
        b.changes.push({
          kind: "mkdir",
          path: sshDir,
          mode: 0o700,
          owner: { uid, gid },
          reason: `SSH directory of "${name}"`,
        });
      b.edit(akPath, appendLine(existing ?? "", key), `authorize the admin key for "${name}"`, {
        mode: 0o600,
        owner: { uid, gid },
      });
    }
  }
  return name;
}

function appendLine(text: string, line: string): string {
  if (text === "") return `${line}\n`;
  return text.endsWith("\n") ? `${text}${line}\n` : `${text}\n${line}\n`;
}

/**
 * Accounts that, after the plan, can log in with a key and become root — the audit's
 * accounts.admin-user definition, narrowed by AllowUsers/DenyUsers/AllowGroups/DenyGroups and,
 * with UsePAM no, by a locked password ("!"), which sshd then treats as a locked account.
 */
function keyAdmins(b: Builder, input: HardenInput, sshd: SshdConfig, planned: string | undefined): string[] {
  const passwd = parsePasswd(b.current("/etc/passwd") ?? "", "/etc/passwd").entries;
  const groups = parseGroup(b.current("/etc/group") ?? "", "/etc/group").entries;
  const shadow = parseShadow(b.current("/etc/shadow") ?? "", "/etc/shadow").entries;
  const db: Pick<AccountsDb, "groups"> = { groups };
  const grants = input.facts.sudoGrants.ok ? input.facts.sudoGrants.value : [];
  const adminGroups = new Set(ADMIN_GROUPS);
  for (const g of grants) if (g.principal.startsWith("%")) adminGroups.add(g.principal.slice(1));
  const sudoDropIn = b.current(SUDOERS_DROP_IN) ?? "";
  const keys = input.facts.authorizedKeys.ok
    ? input.facts.authorizedKeys.value
    : new Map<string, { keys: number }>();
  const args = (kw: string) => firstDirective(sshd, kw)?.args ?? [];
  const allowUsers = args("allowusers");
  const denyUsers = args("denyusers");
  const allowGroups = args("allowgroups");
  const denyGroups = args("denygroups");
  const usePam = effective(sshd, "usepam") === "yes";
  const ready: string[] = [];
  for (const e of passwd) {
    if (e.uid === 0 || !LOGIN_SHELL(e.shell)) continue;
    const mine = groupsOf(db, e.name, e.gid);
    const canRoot =
      mine.some((g) => adminGroups.has(g)) ||
      grants.some((g) => g.principal === e.name) ||
      sudoDropIn.split("\n").some((l) => l.startsWith(`${e.name} `));
    if (!canRoot) continue;
    const hasKey =
      (keys.get(e.name)?.keys ?? 0) > 0 ||
      (e.name === planned && b.texts.has(`${e.home}/.ssh/authorized_keys`)) ||
      (e.name === planned && (input.tree.readFile(`${e.home}/.ssh/authorized_keys`) ?? "").trim() !== "");
    if (!hasKey) continue;
    const why: string[] = [];
    if (denyUsers.some((p) => userPatternMatches(p, e.name))) why.push(`DenyUsers ${denyUsers.join(" ")}`);
    if (allowUsers.length > 0 && !allowUsers.some((p) => userPatternMatches(p, e.name)))
      why.push(`AllowUsers ${allowUsers.join(" ")}`);
    if (denyGroups.some((p) => mine.some((g) => matchGlobSegment(p, g))))
      why.push(`DenyGroups ${denyGroups.join(" ")}`);
    if (allowGroups.length > 0 && !allowGroups.some((p) => mine.some((g) => matchGlobSegment(p, g))))
      why.push(`AllowGroups ${allowGroups.join(" ")}`);
    const hash = shadow.find((s) => s.name === e.name)?.hash ?? "";
    if (!usePam && hash.startsWith("!")) why.push('UsePAM no and the account is locked ("!" in /etc/shadow)');
    if (why.length > 0) {
      if (e.name === planned)
        b.refuse("harden.admin-excluded", `sshd would refuse admin user "${e.name}": ${why.join("; ")}`);
      continue;
    }
    ready.push(e.name);
  }
  return ready;
}

function planFirewall(
  b: Builder,
  input: HardenInput,
  newPort: number | undefined,
  before: readonly number[],
  sshPort: number,
): void {
  const state = input.firewall?.state;
  const limited = (port: number) =>
    state?.rules.some(
      (r) =>
        r.direction === "in" &&
        r.action === "limit" &&
        r.proto !== "udp" &&
        (r.toPorts ?? []).some((p) => p.from <= port && port <= p.to),
    ) ?? false;
  const ports = newPort !== undefined ? [newPort, ...before.filter((p) => p !== newPort)] : [sshPort];
  for (const port of ports) {
    if (!limited(port))
      b.changes.push({
        kind: "firewall",
        argv: ["limit", `${port}/tcp`],
        reason: `admit SSH on ${port}/tcp with a rate limit`,
      });
  }
  if (newPort !== undefined)
    for (const port of before.filter((p) => p !== newPort))
      b.onConfirm.push({
        kind: "firewall",
        argv: ["delete", "limit", `${port}/tcp`],
        reason: `close the old SSH port ${port} in the firewall`,
      });
  if (state?.defaults.incoming !== "deny")
    b.changes.push({
      kind: "firewall",
      argv: ["default", "deny", "incoming"],
      reason: "deny incoming connections by default",
    });
  if (!state?.enabled) b.changes.push({ kind: "firewall", argv: ["enable"], reason: "turn the firewall on" });
}

function planUpdates(b: Builder, input: HardenInput): void {
  const auto = input.facts.autoUpgrades;
  if (!auto.ok) {
    b.notes.push(`Updates: ${auto.reason}`);
    return;
  }
  if (!auto.value.installed) {
    b.changes.push({
      kind: "command",
      argv: ["apt-get", "update"],
      reason: "refresh the package lists",
      liveOnly: true,
    });
    b.changes.push({
      kind: "command",
      argv: ["apt-get", "-y", "upgrade"],
      reason: "install pending updates",
      liveOnly: true,
    });
    b.changes.push({
      kind: "command",
      argv: ["apt-get", "-y", "install", "unattended-upgrades"],
      reason: "install unattended-upgrades",
      liveOnly: true,
    });
  }
  if (!auto.value.enabled) {
    const text = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';
    const existing = b.current(AUTO_UPGRADES);
    const after =
      existing === undefined
        ? text
        : existing.replace(
            /APT::Periodic::Unattended-Upgrade\s+"[^"]*";?/,
            'APT::Periodic::Unattended-Upgrade "1";',
          );
    b.edit(
      AUTO_UPGRADES,
      after.includes('Unattended-Upgrade "1"') ? after : `${after}${text}`,
      "enable unattended upgrades",
      { mode: 0o644, owner: { uid: 0, gid: 0 } },
    );
  }
}

function planGuard(b: Builder, input: HardenInput): void {
  const jails = input.facts.rampartJails;
  const sshd = jails.ok ? jails.value.find((j) => /^sshd?(-|$)/.test(j.name)) : undefined;
  if (sshd?.enabled) {
    planGuardUnit(b, input);
    if (
      input.live &&
      !(input.facts.enabledUnits.ok && input.facts.enabledUnits.value.has("rampart-guard.service"))
    )
      b.changes.push({ kind: "guard-install", reason: "install and enable rampart-guard.service" });
    return;
  }
  if (!jails.ok) {
    b.refuse("harden.guard", `Cannot read the guard's jails: ${jails.reason}`);
    return;
  }
  const path = input.rampartConfig;
  const existing = b.current(path);
  if (existing !== undefined && /^guard\s*:/m.test(existing)) {
    b.refuse(
      "harden.guard",
      `${path} has a "guard:" section without an enabled sshd jail; add "sshd: {enabled: true}" under guard.jails`,
    );
    return;
  }
  const section = "guard:\n  jails:\n    sshd:\n      enabled: true\n";
  planGuardUnit(b, input);
  b.edit(
    path,
    existing === undefined
      ? section
      : `${existing}${existing.endsWith("\n") || existing === "" ? "" : "\n"}${section}`,
    "guard with an sshd jail",
    { mode: 0o644, owner: { uid: 0, gid: 0 } },
  );
  if (input.live)
    b.changes.push({ kind: "guard-install", reason: "install and enable rampart-guard.service" });
}

function planFtp(b: Builder, input: HardenInput, port: number, servicesText: string | undefined): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    b.refuse("harden.ftp-port", `FTP port "${port}" is not a port number (1-65535)`);
    return;
  }
  const others = servicesOn(servicesText, port).filter((n) => !/ftp/.test(n));
  if (others.length > 0)
    b.refuse(
      "harden.ftp-port",
      `Port ${port}/tcp belongs to "${others.join('", "')}" in /etc/services; pick a port no service claims`,
    );
  const servers = input.facts.ftpServers.ok ? input.facts.ftpServers.value : [];
  if (servers.length === 0) b.notes.push("--ftp-port: no proftpd/vsftpd/pure-ftpd configuration found");
  for (const s of servers) {
    if (s.port === port) continue;
    if (s.name === "proftpd") {
      const path = "/etc/proftpd/proftpd.conf";
      const text = b.current(path) ?? "";
      const after = /^\s*Port\s+\d+/m.test(text)
        ? text.replace(/^(\s*)Port\s+\d+/m, `$1Port ${port}`)
        : appendLine(text, `Port ${port}`);
      b.edit(path, after, `FTP port ${port}`);
      b.changes.push({
        kind: "command",
        argv: ["systemctl", "restart", "proftpd"],
        reason: "proftpd reads its port at start",
        liveOnly: true,
      });
    } else if (s.name === "vsftpd") {
      const path = "/etc/vsftpd.conf";
      const text = b.current(path) ?? "";
      const after = /^listen_port=\d+/m.test(text)
        ? text.replace(/^listen_port=\d+/m, `listen_port=${port}`)
        : appendLine(text, `listen_port=${port}`);
      b.edit(path, after, `FTP port ${port}`);
      b.changes.push({
        kind: "command",
        argv: ["systemctl", "restart", "vsftpd"],
        reason: "vsftpd reads its port at start",
        liveOnly: true,
      });
    } else if (s.name === "pure-ftpd") {
      const path = "/etc/pure-ftpd/conf/Bind";
      b.edit(path, `,${port}\n`, `FTP port ${port}`, { mode: 0o644, owner: { uid: 0, gid: 0 } });
      b.changes.push({
        kind: "command",
        argv: ["systemctl", "restart", "pure-ftpd"],
        reason: "pure-ftpd reads its port at start",
        liveOnly: true,
      });
    }
  }
}

const GUARD_UNIT = "/etc/systemd/system/rampart-guard.service";
const GUARD_WANTS = "/etc/systemd/system/multi-user.target.wants/rampart-guard.service";

/** Offline: the unit `rampart guard install` would write, enabled the way systemctl enable does. */
function planGuardUnit(b: Builder, input: HardenInput): void {
  if (input.live || input.guardUnit === undefined) return;
  if (input.facts.enabledUnits.ok && input.facts.enabledUnits.value.has("rampart-guard.service")) return;
  if (b.current(GUARD_UNIT) === undefined)
    b.edit(GUARD_UNIT, input.guardUnit, "the guard's systemd unit", {
      mode: 0o644,
      owner: { uid: 0, gid: 0 },
    });
  b.changes.push({
    kind: "symlink",
    path: GUARD_WANTS,
    target: GUARD_UNIT,
    reason: "enable rampart-guard.service at boot",
  });
}

/** Replays `rampart firewall` words on a rules.json text with the firewall's own pure core. */
function foldFirewall(
  input: HardenInput,
  text: string | undefined,
  steps: readonly (readonly string[])[],
  b: Builder,
): string | undefined {
  let state: FirewallState = INITIAL_STATE;
  if (text !== undefined) {
    const parsed = parseFirewallState(text, input.firewallRulesPath ?? "rules.json");
    if (!parsed.ok) {
      b.refuse(
        "harden.firewall",
        `Cannot read the firewall rules: ${parsed.problems.map((p) => p.message).join("; ")}`,
      );
      return undefined;
    }
    state = parsed.value;
  }
  const context = {
    services: parseServices(input.tree.readFile("/etc/services") ?? ""),
    servicesFile: "/etc/services",
    knownSets: [],
  };
  for (const argv of steps) {
    const command = parseFirewallCommand(argv, {}, context);
    if (!command.ok) {
      b.refuse("harden.firewall", command.problems.map((p) => p.message).join("; "));
      return undefined;
    }
    const t = applyCommand(state, command.value);
    if (!t.ok) {
      b.refuse("harden.firewall", t.problems.map((p) => p.message).join("; "));
      return undefined;
    }
    state = t.value.state;
  }
  return serializeFirewallState(state);
}

function foldFirewallOffline(b: Builder, input: HardenInput): void {
  const steps = b.changes.filter((c) => c.kind === "firewall");
  if (steps.length === 0) return;
  const path = input.firewallRulesPath;
  b.changes.splice(0, b.changes.length, ...b.changes.filter((c) => c.kind !== "firewall"));
  if (path === undefined) {
    b.notes.push("Firewall: not changed on an offline tree without a firewall state directory");
    return;
  }
  const before = b.current(path);
  const after = foldFirewall(
    input,
    before,
    steps.map((c) => (c.kind === "firewall" ? c.argv : [])),
    b,
  );
  if (after !== undefined && after !== before)
    b.edit(path, after, "firewall rules (loaded by rampart firewall at boot)", {
      mode: 0o644,
      owner: { uid: 0, gid: 0 },
    });
}
