import type { Change } from "./harden-types.js";

export type TransactionState = "applying" | "armed" | "confirmed" | "rolled-back";

export interface SavedFile {
  readonly path: string;
  readonly existed: boolean;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** File name of the snapshot inside the transaction directory. */
  readonly backup?: string;
}

export interface ReloadSpec {
  readonly method: "systemd" | "signal" | "none";
  readonly sshd: string;
  readonly pidFile: string;
  /** systemd unit to reload (Debian: ssh.service). */
  readonly unit: string;
}

/**
 * One `harden --apply`, on disk as transaction.json next to the snapshots of every file it
 * changes: enough for a rollback run by a different process (the timer) long after the applying
 * one and its SSH session are gone.
 */
export interface TransactionRecord {
  readonly version: 1;
  readonly id: string;
  readonly createdAt: string;
  readonly root: string;
  state: TransactionState;
  readonly sshConnection?: string;
  readonly sessionId?: string;
  readonly timeoutSeconds: number;
  readonly deadline: string;
  files: SavedFile[];
  createdDirs: string[];
  readonly createdUsers: readonly string[];
  readonly onConfirm: readonly Change[];
  readonly reload: ReloadSpec;
  /** sshd was reloaded with this transaction's files (so a rollback must reload it again). */
  reloaded?: boolean;
  /** `rampart firewall` ran: a rollback restores rules.json (in files) and reloads the firewall. */
  readonly firewall?: boolean;
  timer?: { readonly kind: "systemd" | "process"; readonly unit?: string; readonly pid?: number };
  readonly log: { at: string; message: string }[];
}

export function newTransactionId(now: Date, random: string): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}-${random}`;
}

export const TRANSACTION_ID = /^\d{8}T\d{6}Z-[0-9a-f]{6,16}$/;

/** Reads a record back; throws with a readable message on anything that is not one. */
export function parseTransaction(text: string, file: string): TransactionRecord {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const r = data as Partial<TransactionRecord>;
  if (
    typeof r !== "object" ||
    r === null ||
    r.version !== 1 ||
    typeof r.id !== "string" ||
    !TRANSACTION_ID.test(r.id) ||
    typeof r.root !== "string" ||
    !Array.isArray(r.files) ||
    !Array.isArray(r.createdDirs) ||
    typeof r.state !== "string"
  )
    throw new Error(`${file} is not a rampart harden transaction record`);
  return r as TransactionRecord;
}
