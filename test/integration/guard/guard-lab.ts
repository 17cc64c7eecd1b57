import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { GuardDaemon } from "../../../src/daemon/guard-daemon.js";
import { GuardLogger } from "../../../src/daemon/guard-logger.js";
import { loadGuardConfig } from "../../../src/daemon/load-guard-config.js";
import { createLab, type Lab } from "../../support/netns.js";

/** A TCP listener (dual stack, port 2222) in a lab host, answering "hi". */
export function startListener(lab: Lab, role: string, port = 2222): void {
  const child = lab.spawn(
    role,
    process.execPath,
    [
      "-e",
      `require("net").createServer((s) => { s.on("error", () => {}); s.end("hi"); }).listen(${port}, "::")`,
    ],
    { stdio: "ignore", detached: false },
  );
  child.unref();
  // Wait until it listens (the namespace is killed by lab.destroy(), the process with it).
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (canConnect(lab, role, "::1", port)) return;
  }
  throw new Error(`listener in ${role} did not start`);
}

/** True when `from` completes a TCP handshake with `to:port` within the timeout. */
export function canConnect(lab: Lab, from: string, to: string, port = 2222, timeoutSeconds = 1): boolean {
  try {
    lab.exec(from, "nc", ["-z", "-w", String(timeoutSeconds), to, String(port)]);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 50 ms until it returns true or `ms` pass. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function nsNft(lab: Lab, args: readonly string[]): string {
  return execFileSync("ip", ["netns", "exec", lab.ns.server!, "nft", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 256 * 1024 * 1024,
  }).toString();
}

export { createLab };

/**
 * Loads `configPath` (it must be valid) and starts an in-process guard daemon whose `nft` runs in
 * the lab's server namespace; every line it logs is collected in `lines`.
 */
export async function startLabDaemon(
  lab: Lab,
  configPath: string,
): Promise<{ daemon: GuardDaemon; lines: string[] }> {
  const loaded = loadGuardConfig(configPath);
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
  const lines: string[] = [];
  const daemon = new GuardDaemon({
    config: loaded.config,
    logger: new GuardLogger(undefined, (l) => lines.push(l)),
    reloadConfig: () => loadGuardConfig(configPath),
    nftCommand: ["ip", "netns", "exec", lab.ns.server!, "nft"],
  });
  await daemon.start();
  return { daemon, lines };
}
