import { type ChildProcess, spawn } from "node:child_process";

const GENERATION = "# new generation";

/**
 * One long-lived `nft -e -i` process for the guard's small, frequent transactions. Each request is
 * one input line, which nft runs as one transaction; in echo mode a committed transaction ends
 * with "# new generation N". Forking nft per ban costs 4-35 ms (more, the larger the daemon's
 * memory); a line to a running nft costs ~0.4 ms. Anything unexpected (stderr output, exit,
 * timeout) ends the session and reports failure, and the caller falls back to `nft -f -`, which
 * gives exit codes and full error messages; the next request starts a new session.
 */
export class NftSession {
  private child: ChildProcess | undefined;
  private stdout = "";
  private pending: ((ok: boolean) => void) | undefined;

  constructor(private readonly command: readonly string[]) {}

  /** Runs `line` (commands separated by ";", ending with one that always echoes) as one transaction. */
  run(line: string, timeoutMs: number): Promise<boolean> {
    if (this.pending) return Promise.resolve(false);
    const child = this.child ?? this.start();
    if (!child) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => this.finish(false, true), timeoutMs);
      this.pending = (ok) => {
        clearTimeout(timer);
        resolve(ok);
      };
      this.stdout = "";
      child.stdin?.write(`${line}\n`);
    });
  }

  close(): void {
    const child = this.child;
    this.child = undefined;
    child?.stdin?.end();
    child?.kill("SIGTERM");
    this.finish(false, false);
  }

  private start(): ChildProcess | undefined {
    const [file, ...prefix] = this.command;
    let child: ChildProcess;
    try {
      child = spawn(file ?? "nft", [...prefix, "-e", "-i"], { stdio: ["pipe", "pipe", "pipe"] });
    } catch {
      return undefined;
    }
    this.child = child;
    child.stdout?.setEncoding("utf8");
    child.stderr?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      this.stdout += chunk;
      if (this.stdout.includes(GENERATION)) {
        this.stdout = "";
        this.finish(true, false);
      }
    });
    child.stderr?.on("data", () => this.finish(false, true));
    child.on("error", () => this.finish(false, true));
    child.on("exit", () => {
      if (this.child === child) this.child = undefined;
      this.finish(false, false);
    });
    child.stdin?.on("error", () => this.finish(false, true));
    return child;
  }

  private finish(ok: boolean, kill: boolean): void {
    if (kill && this.child) {
      const child = this.child;
      this.child = undefined;
      child.kill("SIGKILL");
    }
    const pending = this.pending;
    this.pending = undefined;
    pending?.(ok);
  }
}
