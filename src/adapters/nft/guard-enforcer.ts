import { RampartError } from "../../core/errors/rampart-error.js";
import type { BanTarget } from "../../core/guard/ban-target.js";
import {
  type GuardTableOptions,
  type KernelBan,
  renderAllowUpdate,
  renderGuardChanges,
  renderGuardTable,
} from "../../core/guard/guard-nft-script.js";
import { runCommand } from "../process/run-command.js";

/** Puts bans into the kernel. The daemon only talks to this interface. */
export interface GuardEnforcer {
  /** Recreates the table and loads every ban in one transaction. */
  install(options: GuardTableOptions, bans: readonly KernelBan[], now: number): Promise<void>;
  /**
   * Sets (add or replace the timeout) and removes elements in one transaction; `fresh` elements
   * are known to be absent from the kernel and are only added (cheaper).
   */
  apply(set: readonly KernelBan[], remove: readonly BanTarget[], now: number, fresh?: readonly KernelBan[]): Promise<void>;
  updateAllow(allow4: readonly string[], allow6: readonly string[]): Promise<void>;
  /** False when the table is gone (reboot, `nft flush ruleset`): the caller re-installs. */
  exists(): Promise<boolean>;
  /** Deletes the table (uninstall); the daemon never does this on stop, bans outlive it. */
  remove(): Promise<void>;
}

export interface NftEnforcerOptions {
  readonly table: string;
  /**
   * argv that runs nft, default ["nft"]; tests pass ["ip", "netns", "exec", NS, "nft"] so the
   * kernel state they change is a namespace's, never the host's.
   */
  readonly command?: readonly string[];
  readonly timeoutMs?: number;
}

/** nftables through `nft -f -`: argv only, the script on stdin, never a shell. */
export class NftGuardEnforcer implements GuardEnforcer {
  private readonly command: readonly string[];

  constructor(private readonly options: NftEnforcerOptions) {
    this.command = options.command ?? ["nft"];
  }

  async install(o: GuardTableOptions, bans: readonly KernelBan[], now: number): Promise<void> {
    await this.run(renderGuardTable(o, bans, now), "install the guard table");
  }

  async apply(
    set: readonly KernelBan[],
    remove: readonly BanTarget[],
    now: number,
    fresh: readonly KernelBan[] = [],
  ): Promise<void> {
    const script = renderGuardChanges(this.options.table, set, remove, now, fresh);
    if (script !== "") await this.run(script, "update the ban sets");
  }

  async updateAllow(allow4: readonly string[], allow6: readonly string[]): Promise<void> {
    await this.run(renderAllowUpdate(this.options.table, allow4, allow6), "update the allow sets");
  }

  async exists(): Promise<boolean> {
    const r = await this.exec(["-t", "list", "table", "inet", this.options.table]);
    return r.code === 0;
  }

  async remove(): Promise<void> {
    await this.run(
      `table inet ${this.options.table} {}\ndelete table inet ${this.options.table}\n`,
      "remove the guard table",
    );
  }

  private exec(args: readonly string[], input?: string) {
    const [file, ...prefix] = this.command;
    return runCommand(file ?? "nft", [...prefix, ...args], {
      ...(input === undefined ? {} : { input }),
      timeoutMs: this.options.timeoutMs ?? 30_000,
    });
  }

  private async run(script: string, what: string): Promise<void> {
    let result: Awaited<ReturnType<NftGuardEnforcer["exec"]>>;
    try {
      result = await this.exec(["-f", "-"], script);
    } catch (cause) {
      throw new RampartError("nft.spawn", `Cannot ${what}: cannot run "${this.command.join(" ")}"`, {
        cause,
      });
    }
    if (result.code !== 0) {
      const detail = result.stderr.split("\n").filter(Boolean).slice(0, 3).join("; ");
      throw new RampartError(
        "nft.failed",
        `Cannot ${what}: nft exited with ${result.code ?? result.signal}: ${detail}`,
      );
    }
  }
}
