import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { createNftRunner } from "../../../src/adapters/nft/nft-runner.js";
import type { CliIo } from "../../../src/cli/cli-io.js";
import { runFirewallCommand } from "../../../src/cli/commands/firewall.js";
import { reportError } from "../../../src/cli/main.js";
import { createLab, type Lab } from "../../support/netns.js";

export const LISTENER = fileURLToPath(new URL("./tcp-listener.js", import.meta.url));
export const PROBE = fileURLToPath(new URL("./tcp-probe.js", import.meta.url));
export const BIN = fileURLToPath(new URL("../../../../bin/rampart", import.meta.url));
export const PORTS = ["22", "80", "443", "2222", "3000", "8080"];

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The host's own tables: the labs must never change them (checked before and after). */
export function hostTables(): string {
  return execFileSync("nft", ["list", "tables"]).toString();
}

/**
 * A server with real listeners and two clients, plus a per-test state dir and config. Commands
 * run in-process with an NftRunner bound to the server's namespace: real nft, never the host's.
 */
export class FirewallLab {
  readonly lab: Lab;
  readonly table: string;
  readonly root: string;
  private listener: ChildProcess | undefined;
  private counter = 0;
  configPath = "";
  stateDir = "";

  constructor(prefix: string) {
    this.root = mkdtempSync(join(tmpdir(), `${prefix}-`));
    this.lab = createLab(prefix, ["server", "alice", "bob"]);
    this.table = `${prefix}_test`;
  }

  async start(): Promise<void> {
    const child = this.lab.spawn("server", process.execPath, [LISTENER, ...PORTS], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.listener = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("listener did not start")), 10_000);
      child.stdout?.on("data", (b: Buffer) => {
        if (b.toString().includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => reject(new Error(`listener exited with ${code}`)));
    });
  }

  destroy(): void {
    this.listener?.kill("SIGKILL");
    this.lab.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }

  /** A fresh state dir and config; `extra` is appended under `firewall:`. */
  fresh(extra = "", files: Record<string, string> = {}): string {
    const dir = join(this.root, `case${++this.counter}`);
    execFileSync("mkdir", ["-p", dir]);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    this.stateDir = join(dir, "state");
    this.configPath = join(dir, "rampart.yaml");
    writeFileSync(
      this.configPath,
      `state_dir: ${this.stateDir}\nfirewall:\n  table: ${this.table}\n  ssh_ports: [22]\n${extra}`,
    );
    return dir;
  }

  async fw(words: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on("data", (b: Buffer) => out.push(b));
    stderr.on("data", (b: Buffer) => err.push(b));
    const io: CliIo = { stdout, stderr, stdin: new PassThrough(), env, cwd: this.root };
    let code: number;
    try {
      code = await runFirewallCommand([...words, "--config", this.configPath], io, {
        nft: createNftRunner({ netns: this.lab.ns.server! }),
      });
    } catch (error) {
      code = reportError(error, io);
    }
    return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }

  /** Like fw() but fails the test on a non-zero exit, with the output in the message. */
  async ok(words: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
    const result = await this.fw(words, env);
    if (result.code !== 0)
      throw new Error(
        `"firewall ${words.join(" ")}" exited ${result.code}: ${result.stderr}${result.stdout}`,
      );
    return result;
  }

  probe(
    role: string,
    host: string,
    port: number,
    count: number,
    mode: "seq" | "hold" = "seq",
    timeoutMs = 600,
  ): string[] {
    const out = this.lab.exec(role, process.execPath, [
      PROBE,
      host,
      String(port),
      String(count),
      mode,
      String(timeoutMs),
    ]);
    return JSON.parse(out) as string[];
  }

  serverNft(args: readonly string[], input?: string): string {
    return this.lab.exec("server", "nft", args, input);
  }

  tables(): string {
    return this.serverNft(["list", "tables"]);
  }
}
