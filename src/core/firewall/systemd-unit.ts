export interface UnitOptions {
  /** Absolute argv that starts Rampart, e.g. ["/usr/bin/node", "/opt/rampart/bin/rampart"]. */
  readonly rampart: readonly string[];
  readonly configPath: string;
  readonly table: string;
}

/** systemd.syntax(7) quoting: double quotes, backslash-escaped quotes and backslashes, % doubled. */
function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg.replace(/%/g, "%%");
  return `"${arg.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%")}"`;
}

/**
 * The boot unit: loads the stored rules with the same `reload` code path as at runtime, before
 * the network comes up (network-pre.target, as nftables.service does) so no window is open.
 */
export function renderFirewallUnit(options: UnitOptions): string {
  const exec = [...options.rampart, "firewall", "reload", "--config", options.configPath]
    .map(quoteArg)
    .join(" ");
  return `[Unit]
Description=Rampart firewall (nftables table inet ${options.table})
Documentation=man:nft(8)
DefaultDependencies=no
Wants=network-pre.target
Before=network-pre.target shutdown.target
After=local-fs.target
Conflicts=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${exec}
ExecReload=${exec}

[Install]
WantedBy=sysinit.target
`;
}
