import type { Problem } from "../errors/problem.js";

/** What the admin asked for (flags or the `harden:` config section). */
export interface HardenDesired {
  readonly sshPort?: number;
  readonly adminUser?: string;
  /** One OpenSSH public key line. */
  readonly adminKey?: string;
  readonly noRootLogin: boolean;
  readonly noPasswordAuth: boolean;
  /** A crypt(5) hash for root (never a clear-text password). */
  readonly rootPasswordHash?: string;
  readonly maxAuthTries?: number;
  readonly updates: boolean;
  readonly firewall: boolean;
  readonly guard: boolean;
  readonly ftpPort?: number;
}

export const NOTHING_DESIRED: HardenDesired = {
  noRootLogin: false,
  noPasswordAuth: false,
  updates: false,
  firewall: false,
  guard: false,
};

export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * One step of a plan. File edits carry their whole before/after text (so the executor writes
 * exactly what was shown and a rollback restores byte-identical originals); commands are argv
 * arrays, never shell text.
 */
export type Change =
  | {
      readonly kind: "file";
      readonly path: string;
      readonly before: string | undefined;
      readonly after: string;
      /** For new files (existing files keep theirs). */
      readonly mode?: number;
      readonly owner?: FileOwner;
      readonly reason: string;
      readonly diff: string;
    }
  | {
      readonly kind: "mkdir";
      readonly path: string;
      readonly mode: number;
      readonly owner: FileOwner;
      readonly reason: string;
    }
  | {
      readonly kind: "command";
      readonly argv: readonly string[];
      readonly reason: string;
      /** Only on a live system: skipped (and said so) when applying to an offline --root tree. */
      readonly liveOnly: boolean;
    }
  | {
      readonly kind: "firewall";
      /** Arguments to `rampart firewall`. */
      readonly argv: readonly string[];
      readonly reason: string;
    }
  | {
      readonly kind: "symlink";
      readonly path: string;
      readonly target: string;
      readonly reason: string;
    }
  | {
      readonly kind: "guard-install";
      readonly reason: string;
    };

export interface HardenPlan {
  readonly changes: readonly Change[];
  /** Applied by `rampart harden confirm`: the edits that close the old SSH port. */
  readonly onConfirm: readonly Change[];
  /** Users this plan creates (removed again by a rollback). */
  readonly createdUsers: readonly string[];
  /** Ports sshd listens on before and after (after = once confirmed). */
  readonly sshPorts: { readonly before: readonly number[]; readonly after: readonly number[] };
  /** Why the plan may not be applied; empty when it may. */
  readonly refusals: readonly Problem[];
  /** Things worth knowing that do not block. */
  readonly notes: readonly string[];
  /** Whether the plan touches sshd's configuration (validate and reload). */
  readonly touchesSshd: boolean;
}
