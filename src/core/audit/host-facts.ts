import type { AccountsDb } from "./accounts.js";
import type { Area, CheckOutcome, Fact, Severity } from "./audit-types.js";
import type { NftRuleset } from "./nft-ruleset.js";
import type { SshSettings } from "./ssh-settings.js";
import type { SudoGrant } from "./sudoers.js";

export interface PendingPackage {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly origin: string;
  readonly security: boolean;
}

export interface ListeningSocket {
  readonly address: string;
  readonly port: number;
  readonly version: 4 | 6;
  readonly process?: string;
}

export interface ProcessInfo {
  readonly pid: number;
  readonly name: string;
  readonly cmdline: string;
}

export interface JailState {
  readonly name: string;
  readonly enabled: boolean;
  readonly evidence: string;
}

export interface FtpServer {
  readonly name: string;
  readonly port: number;
  readonly tls: boolean;
  readonly evidence: string;
}

export interface BackupJob {
  readonly tool: string;
  readonly evidence: string;
  /** Last run time (ms since epoch) when the scheduler records it (systemd timer stamps). */
  readonly lastRun?: number;
}

export interface AuditSettings {
  readonly behindCloudflare: boolean;
}

/**
 * Everything the checks read, gathered once by the host reader (src/adapters/system). Checks are
 * pure functions of these facts, so a fixture tree and a live host go through the same code.
 */
export interface HostFacts {
  readonly mode: "live" | "offline";
  readonly root: string;
  readonly now: number;
  readonly settings: AuditSettings;
  /** systemd is PID 1 (sd_booted(3): /run/systemd/system exists); undefined offline. */
  readonly systemdRunning?: boolean;
  readonly ssh: Fact<SshSettings>;
  /** Socket-activated sshd (ssh.socket enabled, Ubuntu >= 22.10): systemd owns the listening ports. */
  readonly sshSocket?: { readonly ports: readonly number[]; readonly evidence: readonly string[] };
  readonly accounts: Fact<AccountsDb>;
  readonly sudoGrants: Fact<readonly SudoGrant[]>;
  /** Users with a non-empty authorized_keys file: name → path and number of keys. */
  readonly authorizedKeys: Fact<ReadonlyMap<string, { path: string; keys: number }>>;
  readonly pamSshd: Fact<{ file: string; text: string }>;
  readonly hostKeys: Fact<readonly { path: string; type: string; bits: number }[]>;
  readonly upgrades: Fact<{ packages: readonly PendingPackage[]; command: string; listsAgeDays?: number }>;
  readonly autoUpgrades: Fact<{ installed: boolean; enabled: boolean; evidence: readonly string[] }>;
  readonly ruleset: Fact<NftRuleset>;
  readonly listening: Fact<readonly ListeningSocket[]>;
  readonly processes: Fact<readonly ProcessInfo[]>;
  /** systemd units enabled at boot (from the *.wants/ symlinks, so it works offline too). */
  readonly enabledUnits: Fact<ReadonlySet<string>>;
  readonly fail2banJails: Fact<readonly JailState[]>;
  readonly rampartJails: Fact<readonly JailState[]>;
  readonly ftpServers: Fact<readonly FtpServer[]>;
  readonly backups: Fact<readonly BackupJob[]>;
}

/** A check as data: a stable id, what it is about, and a pure function of the facts. */
export interface CheckDefinition {
  readonly id: string;
  readonly title: string;
  readonly area: Area;
  readonly severity: Severity;
  run(facts: HostFacts): CheckOutcome;
}
