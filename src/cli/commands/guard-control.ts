import { readFileSync } from "node:fs";
import { sendControlRequest } from "../../adapters/control/control-client.js";
import { isRecord, parseYamlWithPositions } from "../../core/config/config-context.js";
import { GUARD_DEFAULTS } from "../../core/config/guard-section.js";
import { ExitCode, RampartError } from "../../core/errors/rampart-error.js";
import type { ControlRequest } from "../../core/protocol/control-protocol.js";
import { DEFAULT_CONFIG_PATH } from "../../daemon/load-guard-config.js";

/**
 * The socket the daemon listens on: `guard.socket` from the config, else the default. Read
 * leniently: `guard reload` must reach the daemon even when the rest of the file is invalid, so
 * the daemon can refuse it and report every problem.
 */
export function guardSocketPath(configPath: string | undefined): string {
  let text: string;
  try {
    text = readFileSync(configPath ?? DEFAULT_CONFIG_PATH, "utf8");
  } catch (error) {
    if (configPath === undefined) return GUARD_DEFAULTS.socket;
    throw new RampartError(
      "config.read",
      `Cannot read config file "${configPath}": ${(error as Error).message}`,
      {
        exitCode: ExitCode.usage,
      },
    );
  }
  const { data } = parseYamlWithPositions(text, configPath ?? DEFAULT_CONFIG_PATH);
  const guard = isRecord(data) ? data.guard : undefined;
  const socket = isRecord(guard) ? guard.socket : undefined;
  return typeof socket === "string" && socket.startsWith("/") ? socket : GUARD_DEFAULTS.socket;
}

/** Sends a request; a refusal becomes a RampartError carrying the daemon's message and problems. */
export async function askGuard(configPath: string | undefined, request: ControlRequest): Promise<unknown> {
  const response = await sendControlRequest(guardSocketPath(configPath), request);
  if (!response.ok) {
    throw new RampartError("guard.refused", response.error, {
      problems: (response.problems ?? []).map((message) => ({ code: "guard.problem", message })),
    });
  }
  return response.result;
}
