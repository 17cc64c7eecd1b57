import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FirewallConfig } from "../../core/config/firewall-section.js";
import { type Problem, problem } from "../../core/errors/problem.js";
import { ExitCode, RampartError } from "../../core/errors/rampart-error.js";
import { type CloudflareRanges, formatRangeList } from "../../core/firewall/cloudflare-ranges.js";
import { type FirewallState, INITIAL_STATE } from "../../core/firewall/firewall-rule.js";
import { parseFirewallState, serializeFirewallState } from "../../core/firewall/firewall-state.js";
import { type AddressSet, parseSetFile } from "../../core/firewall/set-file.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { acquirePidLock } from "../fs/pid-lock.js";

/** Cloudflare's ranges as shipped in the package (data/), the fallback before any update. */
export const SHIPPED_DATA_DIR = fileURLToPath(new URL("../../../../data/", import.meta.url));

/**
 * The firewall's files under `state_dir`/firewall: rules.json (the rules as data), sets/ (last
 * good Cloudflare lists) and applied.nft (the script last loaded, for inspection). Every write is
 * atomic (temp + fsync + rename), so a crash never leaves half a rules file.
 */
export class FirewallStore {
  readonly dir: string;
  constructor(readonly stateDir: string) {
    this.dir = join(stateDir, "firewall");
  }

  get rulesPath(): string {
    return join(this.dir, "rules.json");
  }

  get appliedPath(): string {
    return join(this.dir, "applied.nft");
  }

  cloudflarePath(family: 4 | 6): string {
    return join(this.dir, "sets", `cloudflare-v${family}.txt`);
  }

  /**
   * Serialises read-modify-write of rules.json between concurrent `rampart firewall` commands:
   * an O_EXCL lock file holding the owner's pid; a lock whose owner is gone is taken over.
   */
  lock(): () => void {
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, ".lock");
    return acquirePidLock(
      path,
      (owner) =>
        new RampartError(
          "firewall.locked",
          `Another "rampart firewall" command is changing the rules (pid ${owner}); try again`,
        ),
    );
  }

  readState(): FirewallState {
    let text: string;
    try {
      text = readFileSync(this.rulesPath, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return INITIAL_STATE;
      throw new RampartError(
        "firewall.state-read",
        `Cannot read ${this.rulesPath}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const parsed = parseFirewallState(text, this.rulesPath);
    if (!parsed.ok) {
      throw new RampartError("firewall.state", `Cannot load the firewall rules`, {
        problems: parsed.problems,
        exitCode: ExitCode.usage,
      });
    }
    return parsed.value;
  }

  writeState(state: FirewallState): void {
    writeFileAtomic(this.rulesPath, serializeFirewallState(state));
  }

  writeApplied(script: string): void {
    writeFileAtomic(this.appliedPath, script);
  }

  writeCloudflare(ranges: CloudflareRanges, source: string): void {
    const header = `Cloudflare ranges from ${source}, validated by rampart firewall update-sets`;
    writeFileAtomic(this.cloudflarePath(4), formatRangeList(ranges.v4, header));
    writeFileAtomic(this.cloudflarePath(6), formatRangeList(ranges.v6, header));
  }
}

function readSet(name: string, files: readonly string[], problems: Problem[]): AddressSet | undefined {
  let v4: AddressSet["v4"] = [];
  let v6: AddressSet["v6"] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      problems.push(
        problem("firewall.set-read", `Cannot read set "${name}" from ${file}: ${(error as Error).message}`),
      );
      return undefined;
    }
    const parsed = parseSetFile(text, file, name);
    if (!parsed.ok) {
      problems.push(...parsed.problems);
      return undefined;
    }
    v4 = [...v4, ...parsed.value.v4];
    v6 = [...v6, ...parsed.value.v6];
  }
  return { name, v4, v6, source: files.join(" + ") };
}

/**
 * Every named set the rules may use: the built-in `cloudflare` (last good list under state_dir,
 * else the shipped one) and the config's sets; a config set with a built-in's name replaces it.
 * Problems (missing file, bad line with file:line:col) are collected, never half-loaded.
 */
export function loadSets(
  config: FirewallConfig,
  store: FirewallStore,
): { sets: Map<string, AddressSet>; problems: Problem[] } {
  const problems: Problem[] = [];
  const sets = new Map<string, AddressSet>();
  if (config.sets.cloudflare === undefined) {
    const stored = [store.cloudflarePath(4), store.cloudflarePath(6)];
    const files = stored.every((f) => existsSync(f))
      ? stored
      : [join(SHIPPED_DATA_DIR, "cloudflare-ips-v4.txt"), join(SHIPPED_DATA_DIR, "cloudflare-ips-v6.txt")];
    const set = readSet("cloudflare", files, problems);
    if (set) sets.set("cloudflare", set);
  }
  for (const [name, file] of Object.entries(config.sets)) {
    const set = readSet(name, [file], problems);
    if (set) sets.set(name, set);
  }
  return { sets, problems };
}

/** services(5) text; a missing file yields "" so only commands naming a service fail. */
export function readServicesText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
