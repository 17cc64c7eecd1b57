import { parseSshdPorts } from "../../core/firewall/lockout-check.js";
import { runCommand } from "../process/run-command.js";
import { programExists } from "./nft-runner.js";

export interface SshdPorts {
  readonly ports: readonly number[];
  /** Set when sshd could not be asked and a fallback was used. */
  readonly warning?: string;
}

/**
 * sshd's effective ports from `sshd -T` (sshd(8): prints the effective configuration, Include
 * files and defaults resolved). If sshd exists but cannot answer (no host keys, no /run/sshd), 22
 * is assumed: guessing open is the safe side for lockout protection.
 */
export async function readSshdPorts(sshd: string, path = process.env.PATH ?? ""): Promise<SshdPorts> {
  // Not installed: no sshd to lock out of. (Checked first: a spawn that fails with ENOENT
  // leaves runCommand's timeout timer holding the process open.)
  if (!programExists(sshd, path)) return { ports: [] };
  try {
    const result = await runCommand(sshd, ["-T"], { timeoutMs: 10_000 });
    const ports = parseSshdPorts(result.stdout);
    if (result.code === 0 && ports.length > 0) return { ports };
    const why = result.stderr.trim().split("\n")[0] ?? `exit status ${result.code}`;
    return { ports: [22], warning: `Cannot read sshd's ports with "${sshd} -T" (${why}); assuming port 22` };
  } catch (error) {
    // Not installed: no sshd to lock out of.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { ports: [] };
    return {
      ports: [22],
      warning: `Cannot run "${sshd} -T" (${(error as Error).message}); assuming port 22`,
    };
  }
}

/** GETs a URL with a deadline; failures become messages, never partial bodies. */
export async function fetchText(
  url: string,
  timeoutMs = 15_000,
): Promise<{ ok: true; body: string } | { ok: false; reason: string }> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
    if (!response.ok) return { ok: false, reason: `HTTP ${response.status}` };
    return { ok: true, body: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, reason: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}
