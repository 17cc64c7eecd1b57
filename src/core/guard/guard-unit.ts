/** What the guard's systemd unit depends on; every path absolute. */
export interface GuardUnitOptions {
  /** The Node.js binary (process.execPath): the shebang's `env node` may find another under systemd's PATH. */
  readonly node: string;
  /** Absolute path of bin/rampart. */
  readonly rampart: string;
  readonly config: string;
  /** The only places the guard writes: database directory, socket directory, optional log file directory. */
  readonly writablePaths: readonly string[];
}

/**
 * Renders `rampart-guard.service`, hardened per systemd.exec(5): the guard needs CAP_NET_ADMIN
 * (nftables over netlink) and CAP_DAC_READ_SEARCH (reading logs it does not own) and nothing
 * else; the rest of the system is read-only. No MemoryDenyWriteExecute: V8's JIT needs W+X pages.
 * After nftables.service, whose `flush ruleset` would otherwise wipe the guard's table at boot.
 */
export function renderGuardUnit(options: GuardUnitOptions): string {
  for (const p of [options.node, options.rampart, options.config, ...options.writablePaths]) {
    if (!p.startsWith("/")) throw new Error(`The unit needs absolute paths, got "${p}"`);
  }
  const exec = (args: readonly string[]) => args.map(quoteUnitArg).join(" ");
  const base = [options.node, options.rampart];
  const dirs = writableDirectives(options.writablePaths);
  return `# Installed by \`rampart guard install\`; re-run it after moving Rampart or its config.
[Unit]
Description=Rampart guard: bans addresses that fail to log in (Fail2Ban replacement)
After=network.target nftables.service systemd-journald.service
Wants=network.target

[Service]
Type=simple
ExecStart=${exec([...base, "guard", "--config", options.config])}
ExecReload=${exec([...base, "guard", "reload", "--config", options.config])}
Restart=on-failure
RestartSec=2s
# One readable line per ban/unban goes to stderr, i.e. the journal.
StandardOutput=journal
StandardError=journal
UMask=0077

CapabilityBoundingSet=CAP_NET_ADMIN CAP_DAC_READ_SEARCH
AmbientCapabilities=CAP_NET_ADMIN CAP_DAC_READ_SEARCH
NoNewPrivileges=yes
ProtectSystem=strict
${dirs}ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM

[Install]
WantedBy=multi-user.target
`;
}

const MANAGED: readonly [RegExp, string][] = [
  [/^\/run\/([^/]+)$/, "RuntimeDirectory"],
  [/^\/var\/lib\/([^/]+)$/, "StateDirectory"],
  [/^\/var\/log\/([^/]+)$/, "LogsDirectory"],
];

/**
 * /run is a tmpfs: a ReadWritePaths= entry there would not exist at boot and fail the namespace
 * setup, so the standard places become systemd-managed directories (created 0700 before start);
 * other paths are listed with "-" (a missing one is skipped, and the guard then reports it).
 */
function writableDirectives(paths: readonly string[]): string {
  const out: string[] = [];
  const other: string[] = [];
  for (const path of [...new Set(paths.map((p) => p.replace(/\/+$/, "") || "/"))].sort()) {
    const managed = MANAGED.find(([re]) => re.test(path));
    if (managed) {
      const name = managed[0].exec(path)![1]!;
      out.push(`${managed[1]}=${quotePathArg(name)}`, `${managed[1]}Mode=0700`);
    } else {
      other.push(`-${path}`);
    }
  }
  if (other.length > 0) out.push(`ReadWritePaths=${other.map(quotePathArg).join(" ")}`);
  return out.map((l) => `${l}\n`).join("");
}

/** A path in a space-separated list setting: `%` specifiers doubled, quoted when needed. */
function quotePathArg(path: string): string {
  const escaped = path.replace(/%/g, "%%");
  if (!/[\s"'\\]/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * Quotes one command-line word for systemd.service(5) "Command lines": `%` starts a specifier and
 * `$` a variable, so both are doubled; whitespace, quotes and backslashes need a quoted word.
 */
export function quoteUnitArg(arg: string): string {
  const escaped = arg.replace(/%/g, "%%").replace(/\$/g, "$$$$");
  if (escaped !== "" && !/[\s"'\\;]/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\t/g, "\\t")}"`;
}
