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
import { NftSession } from "./guard-nft-session.js";

/** Batches longer than this go through `nft -f -` (one line to `nft -i` should stay modest). */
const SESSION_MAX_BYTES = 64 * 1024;

/** Puts bans into the kernel. The daemon only talks to this interface. */
export interface GuardEnforcer {
  /** Recreates the table and loads every ban in one transaction. */
  install(options: GuardTableOptions, bans: readonly KernelBan[], now: number): Promise<void>;
  /**
   * Sets (add or replace the timeout) and removes elements in one transaction; `fresh` elements
   * are known to be absent from the kernel and are only added (cheaper).
   */
  apply(
    set: readonly KernelBan[],
    remove: readonly BanTarget[],
    now: number,
    fresh?: readonly KernelBan[],
  ): Promise<void>;
  updateAllow(allow4: readonly string[], allow6: readonly string[]): Promise<void>;
  /** False when the table is gone (reboot, `nft flush ruleset`): the caller re-installs. */
  exists(): Promise<boolean>;
  /** Deletes the table (uninstall); the daemon never does this on stop, bans outlive it. */
  remove(): Promise<void>;
  /** Releases helper processes. */
  close?(): void;
}

export interface NftEnforcerOptions {
  readonly table: string;
  /**
   * argv that runs nft, default ["nft"]; tests pass ["ip", "netns", "exec", NS, "nft"] so the
   * kernel state they change is a namespace's, never the host's.
   */
  readonly command?: readonly string[];
  readonly timeoutMs?: number;
  /** Send small batches to a long-lived `nft -e -i` (default true); false: one `nft -f -` each. */
  readonly persistent?: boolean;
}

/** nftables through `nft -f -`: argv only, the script on stdin, never a shell. */
export class NftGuardEnforcer implements GuardEnforcer {
  private readonly command: readonly string[];
  private readonly session: NftSession | undefined;
  /** Batches committed through the long-lived session / through `nft -f -`. */
  readonly counters = { session: 0, spawned: 0 };

  constructor(private readonly options: NftEnforcerOptions) {
    this.command = options.command ?? ["nft"];
    this.session = options.persistent === false ? undefined : new NftSession(this.command);
  }

  close(): void {
    this.session?.close();
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
    if (script === "") return;
    if (this.session && script.length < SESSION_MAX_BYTES) {
      // The ack set's add+delete always echoes, so even a no-op batch gets its "new generation".
      const t = this.options.table;
      const line = `${script.trim().split("\n").join("; ")}; add element inet ${t} ack { 0.0.0.1 }; delete element inet ${t} ack { 0.0.0.1 }`;
      if (await this.session.run(line, this.options.timeoutMs ?? 5000)) {
        this.counters.session++;
        return;
      }
    }
    this.counters.spawned++;
    await this.run(script, "update the ban sets");
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
