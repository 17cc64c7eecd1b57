/**
 * The guard's control socket protocol: one JSON object per line each way (request, then its
 * response). JSON instead of fail2ban's pickle (which executes on load) keeps the socket safe to
 * parse and easy to script (`socat - UNIX:/run/rampart/rampart.sock`).
 */
export type ControlRequest =
  | { readonly op: "ping" }
  | { readonly op: "status"; readonly jail?: string }
  | { readonly op: "ban"; readonly jail: string; readonly address: string }
  | { readonly op: "unban"; readonly address: string; readonly jail?: string }
  | { readonly op: "banned" }
  | { readonly op: "reload" };

export interface JailStatusMessage {
  readonly jail: string;
  readonly filter: string;
  readonly backend: "file" | "journald";
  readonly filesWatched: readonly string[];
  readonly currentlyFailed: number;
  readonly totalFailed: number;
  readonly currentlyBanned: number;
  readonly totalBanned: number;
  readonly bannedList: readonly string[];
}

export interface BanMessage {
  readonly jail: string;
  readonly target: string;
  readonly since: number;
  readonly until: number | null;
  readonly bantime: number;
  readonly banCount: number;
}

export type ControlResponse =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: string; readonly problems?: readonly string[] };

export const MAX_MESSAGE_BYTES = 1 << 20;

/** Parses and validates one request line; returns an error message for anything else. */
export function parseControlRequest(line: string): ControlRequest | string {
  if (line.length > MAX_MESSAGE_BYTES) return "Request too large";
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return "Request is not valid JSON";
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "Request must be a JSON object";
  const r = value as Record<string, unknown>;
  const str = (k: string): string | undefined => (typeof r[k] === "string" ? (r[k] as string) : undefined);
  const has = (k: string): boolean => r[k] !== undefined;
  switch (r.op) {
    case "ping":
    case "banned":
    case "reload":
      return { op: r.op };
    case "status": {
      if (has("jail") && str("jail") === undefined) return '"jail" must be a string';
      const jail = str("jail");
      return jail === undefined ? { op: "status" } : { op: "status", jail };
    }
    case "ban": {
      const jail = str("jail");
      const address = str("address");
      if (jail === undefined || address === undefined) return '"ban" needs "jail" and "address" strings';
      return { op: "ban", jail, address };
    }
    case "unban": {
      const address = str("address");
      if (address === undefined) return '"unban" needs an "address" string';
      if (has("jail") && str("jail") === undefined) return '"jail" must be a string';
      const jail = str("jail");
      return jail === undefined ? { op: "unban", address } : { op: "unban", address, jail };
    }
    default:
      return `Unknown request ${JSON.stringify(r.op)}`;
  }
}
