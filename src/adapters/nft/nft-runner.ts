import { existsSync } from "node:fs";
import { join } from "node:path";
import { RampartError } from "../../core/errors/rampart-error.js";
import { runCommand } from "../process/run-command.js";

/**
 * The one door to nftables. Scripts go in on stdin (`nft -f -`), never through a shell or argv,
 * so addresses and comments cannot become syntax; one script = one kernel transaction (nft(8)).
 */
export interface NftRunner {
  /** Loads a script atomically: all of it or nothing. Rejects with RampartError "nft.apply". */
  apply(script: string): Promise<void>;
  /** Checks a script against the kernel without committing (`nft -c -f -`). Rejects "nft.check". */
  check(script: string): Promise<void>;
  /** The whole ruleset as libnftables-json(5) (`nft -j list ruleset`). */
  listJson(): Promise<unknown>;
}

export interface NftRunnerOptions {
  /** nft program (config `firewall.nft`), default "nft". */
  readonly binary?: string;
  /** Run inside this network namespace (`ip netns exec NAME nft …`), for tests and labs. */
  readonly netns?: string;
  readonly timeoutMs?: number;
}

/** Keeps the first lines of nft's complaint: they name the line and column in the script. */
function summarise(stderr: string): string {
  const lines = stderr.trim().split("\n").filter(Boolean);
  return lines.slice(0, 12).join("\n") + (lines.length > 12 ? `\n… (${lines.length - 12} more lines)` : "");
}

/**
 * Whether a program can be started: checked before spawning because a spawn failing with ENOENT
 * leaves runCommand's timeout timer holding the process open until it fires.
 */
export function programExists(program: string, path = process.env.PATH ?? ""): boolean {
  const candidates = program.includes("/")
    ? [program]
    : [...path.split(":"), "/usr/sbin", "/sbin"].map((d) => join(d, program));
  return candidates.some((c) => c !== "" && existsSync(c));
}

export function createNftRunner(options: NftRunnerOptions = {}): NftRunner {
  const binary = options.binary ?? "nft";
  const timeoutMs = options.timeoutMs ?? 60_000;
  const run = async (code: string, args: readonly string[], input?: string) => {
    const [file, argv] =
      options.netns !== undefined
        ? ["ip", ["netns", "exec", options.netns, binary, ...args]]
        : [binary, args];
    let result: Awaited<ReturnType<typeof runCommand>>;
    if (!programExists(file)) throw new RampartError(code, `Cannot run "${file}": not found`);
    try {
      result = await runCommand(file, argv, { ...(input !== undefined ? { input } : {}), timeoutMs });
    } catch (cause) {
      throw new RampartError(code, `Cannot run "${binary}": ${(cause as Error).message}`, { cause });
    }
    if (result.code !== 0) {
      const why = result.signal
        ? `killed by ${result.signal}`
        : summarise(result.stderr) || `exit status ${result.code}`;
      throw new RampartError(code, `nft refused the ${code === "nft.list" ? "listing" : "ruleset"}:\n${why}`);
    }
    return result.stdout;
  };
  return {
    async apply(script) {
      await run("nft.apply", ["-f", "-"], script);
    },
    async check(script) {
      await run("nft.check", ["-c", "-f", "-"], script);
    },
    async listJson() {
      const text = await run("nft.list", ["-j", "list", "ruleset"]);
      try {
        return text.trim() === "" ? { nftables: [] } : (JSON.parse(text) as unknown);
      } catch (cause) {
        throw new RampartError("nft.list", "nft printed a ruleset that is not JSON", { cause });
      }
    },
  };
}

/** True when `table inet NAME` is loaded, from a listJson() answer. */
export function hasTable(ruleset: unknown, family: string, name: string): boolean {
  const items = (ruleset as { nftables?: unknown[] } | null)?.nftables;
  if (!Array.isArray(items)) return false;
  return items.some((item) => {
    const table = (item as { table?: { family?: string; name?: string } }).table;
    return table?.family === family && table.name === name;
  });
}
