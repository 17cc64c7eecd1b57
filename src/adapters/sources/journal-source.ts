import { type ChildProcess, spawn } from "node:child_process";
import { resolve } from "node:path";
import { RampartError } from "../../core/errors/rampart-error.js";
import { runCommand } from "../process/run-command.js";
import { LineSplitter, type SplitLine } from "./line-splitter.js";
import type { CheckpointStore, LogSource, SourceLine } from "./log-source.js";

/**
 * Conjunctions OR'd together, as journalctl(1) reads its match arguments: within a group, terms on
 * different fields must all match and terms on the same field are alternatives; "+" separates
 * groups. `[["_SYSTEMD_UNIT=ssh.service"], ["_COMM=sshd", "_COMM=sshd-session"]]`.
 */
export type JournalMatches = readonly (readonly string[])[];

export interface JournalSourceOptions {
  readonly matches: JournalMatches;
  readonly checkpoints: CheckpointStore;
  /** Read these journal files instead of the system journal (`journalctl --file`). */
  readonly files?: readonly string[];
  /** Read the journal in this directory (`journalctl --directory`). */
  readonly directory?: string;
  /** Where to begin without a saved cursor: after the newest matching entry (default) or all. */
  readonly from?: "start" | "end";
  readonly journalctl?: string;
  readonly maxLineBytes?: number;
  /** Restart delays after journalctl dies: doubled from `minRestartMs` up to `maxRestartMs`. */
  readonly minRestartMs?: number;
  readonly maxRestartMs?: number;
  readonly onNotice?: (message: string) => void;
}

/**
 * The sshd matches on fields journald itself sets from the sender's credentials (systemd.journal-fields(7):
 * fields starting with "_" are trusted and cannot be set by the client), so `logger -t sshd` run
 * by a local user cannot forge a failure line. `sshd-session` is OpenSSH ≥ 9.8's per-session binary.
 */
export const SSHD_JOURNAL_MATCHES: JournalMatches = [
  ["_SYSTEMD_UNIT=ssh.service"],
  ["_SYSTEMD_UNIT=sshd.service"],
  ["_COMM=sshd"],
  ["_COMM=sshd-session"],
];

const FIELD = /^[A-Z0-9_]+$/;

/** True for fields journald sets itself (trusted), which a logging client cannot forge. */
export function isTrustedField(field: string): boolean {
  return field.startsWith("_") && !field.startsWith("__");
}

/**
 * Fail2Ban's `journalmatch` text ("_SYSTEMD_UNIT=a.service + _COMM=sshd", one or more lines,
 * "+" between groups) as match groups; words are split on whitespace (values with spaces are
 * not supported, as no stock filter uses them).
 */
export function parseJournalMatch(lines: readonly string[]): JournalMatches {
  const groups: string[][] = [[]];
  for (const word of lines.join(" ").split(/\s+/).filter(Boolean)) {
    if (word === "+") groups.push([]);
    else groups[groups.length - 1]!.push(word);
  }
  return groups.filter((g) => g.length > 0);
}

/** journalctl's match argv for `matches`; throws on a term that is not FIELD=value. */
export function journalMatchArgs(matches: JournalMatches): string[] {
  const args: string[] = [];
  matches.forEach((group, i) => {
    if (group.length === 0) throw new RampartError("journal.match", "A journal match group is empty");
    if (i > 0) args.push("+");
    for (const term of group) {
      const eq = term.indexOf("=");
      if (eq <= 0 || !FIELD.test(term.slice(0, eq))) {
        throw new RampartError(
          "journal.match",
          `Invalid journal match "${term}": expected FIELD=value, FIELD in A-Z0-9_`,
        );
      }
      args.push(term);
    }
  });
  return args;
}

/** The stable id: "journal:" plus the match expression (and the files/directory when given). */
export function journalSourceId(
  options: Pick<JournalSourceOptions, "matches" | "files" | "directory">,
): string {
  const expr = options.matches.map((g) => g.join(" ")).join(" + ");
  const where = options.directory
    ? ` @${resolve(options.directory)}`
    : options.files
      ? ` @${options.files.map((f) => resolve(f)).join(",")}`
      : "";
  return `journal:${expr}${where}`;
}

/**
 * Follows the systemd journal through `journalctl -o json --follow` (argv only, no shell), one
 * process per source shared by all jails. Each entry becomes Fail2Ban's journal line
 * (`HOST IDENT[PID]: MESSAGE`, filtersystemd.py) with the entry's own time; the cursor of the last
 * delivered entry is saved after every batch and resumed with `--after-cursor`; journalctl is
 * restarted with backoff if it dies.
 */
export class JournalSource implements LogSource {
  readonly id: string;
  private readonly opts: JournalSourceOptions;
  private readonly baseArgs: string[];
  private child: ChildProcess | undefined;
  private cursor: string | undefined;
  private line = 0;
  private stopped = true;
  private onLines: ((batch: readonly SourceLine[]) => void) | undefined;
  private restartDelay: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Entries skipped because their JSON was unreadable or too large. */
  skippedEntries = 0;

  constructor(options: JournalSourceOptions) {
    this.opts = options;
    this.id = journalSourceId(options);
    const where: string[] = [];
    if (options.directory !== undefined) where.push(`--directory=${resolve(options.directory)}`);
    // journalctl 252 fails to follow a relative --file ("Failed to get journal fd"), so resolve.
    for (const f of options.files ?? []) where.push(`--file=${resolve(f)}`);
    this.baseArgs = [...where, "--output=json", "--all", "--no-pager", "--quiet"];
    this.matchArgs = journalMatchArgs(options.matches);
    this.restartDelay = options.minRestartMs ?? 200;
  }

  private readonly matchArgs: string[];

  async start(onLines: (batch: readonly SourceLine[]) => void): Promise<void> {
    this.onLines = onLines;
    this.stopped = false;
    const saved = this.opts.checkpoints.load(this.id);
    this.cursor = saved?.cursor;
    this.line = saved?.line ?? 0;
    if (this.cursor === undefined && (this.opts.from ?? "end") === "end") {
      // Pin "the end" to a cursor before following, so an entry written while journalctl starts
      // is neither skipped nor depends on timing; no matching entry at all means start at 0.
      this.cursor = await this.newestCursor();
    }
    await this.spawnFollower();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.child?.kill("SIGTERM");
    await this.exited;
    this.child = undefined;
  }

  private async newestCursor(): Promise<string | undefined> {
    const journalctl = this.opts.journalctl ?? "journalctl";
    const result = await runCommand(journalctl, [...this.baseArgs, "--lines=1", ...this.matchArgs], {
      timeoutMs: 30_000,
    });
    if (result.code !== 0) {
      throw new RampartError(
        "journal.start",
        `Cannot read the journal with "${journalctl}": ${result.stderr.trim() || `exit status ${result.code}`}`,
      );
    }
    const last = result.stdout.trim().split("\n").pop();
    if (!last) return undefined;
    try {
      const cursor = (JSON.parse(last) as Record<string, unknown>).__CURSOR;
      return typeof cursor === "string" ? cursor : undefined;
    } catch {
      return undefined;
    }
  }

  private spawnFollower(): Promise<void> {
    const journalctl = this.opts.journalctl ?? "journalctl";
    const position = this.cursor === undefined ? [] : [`--after-cursor=${this.cursor}`];
    const args = [...this.baseArgs, "--follow", "--no-tail", ...position, ...this.matchArgs];
    const child = spawn(journalctl, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const splitter = new LineSplitter(this.opts.maxLineBytes ?? 1024 * 1024);
    let received = 0;
    let stderr = "";
    const startedAt = Date.now();
    child.stdout.on("data", (chunk: Buffer) => {
      const out: SplitLine[] = [];
      splitter.push(chunk, received, out);
      received += chunk.length;
      if (out.length > 0) this.deliver(out);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    this.exited = new Promise<void>((resolveExit) => {
      child.on("close", (code, signal) => {
        resolveExit();
        if (this.child === child) this.child = undefined;
        if (this.stopped) return;
        const why = stderr.trim() || (signal ? `signal ${signal}` : `exit status ${code}`);
        if (this.cursor !== undefined && /cursor/i.test(stderr)) {
          // A cursor journalctl rejects (corrupt checkpoint) must not wedge the source forever.
          this.opts.onNotice?.(`Journal cursor for "${this.id}" rejected (${why}); following from the end`);
          this.cursor = undefined;
        }
        if (Date.now() - startedAt > 10_000) this.restartDelay = this.opts.minRestartMs ?? 200;
        this.opts.onNotice?.(
          `journalctl for "${this.id}" stopped (${why}); restarting in ${this.restartDelay} ms`,
        );
        this.restartTimer = setTimeout(() => {
          this.restartTimer = undefined;
          if (!this.stopped) void this.spawnFollower();
        }, this.restartDelay);
        this.restartDelay = Math.min(this.restartDelay * 2, this.opts.maxRestartMs ?? 30_000);
      });
    });
    return new Promise((resolveSpawn, reject) => {
      child.once("spawn", () => resolveSpawn());
      child.once("error", (error) => {
        if (this.stopped) return resolveSpawn();
        reject(
          new RampartError("journal.start", `Cannot run "${journalctl}": ${error.message}`, { cause: error }),
        );
      });
    });
  }

  private deliver(pieces: readonly SplitLine[]): void {
    const lines: SourceLine[] = [];
    for (const piece of pieces) {
      const entry = parseEntry(piece.text, piece.truncated);
      if (entry === undefined) {
        this.skippedEntries++;
        continue;
      }
      this.cursor = entry.cursor;
      if (entry.text === undefined) continue;
      this.line++;
      lines.push(
        entry.time === undefined
          ? { text: entry.text, line: this.line }
          : { text: entry.text, line: this.line, time: entry.time },
      );
    }
    if (this.stopped) return;
    if (lines.length > 0) this.onLines?.(lines);
    if (this.cursor !== undefined)
      this.opts.checkpoints.save(this.id, { cursor: this.cursor, line: this.line });
  }
}

interface ParsedEntry {
  readonly cursor: string;
  readonly text: string | undefined;
  readonly time: number | undefined;
}

/**
 * One `journalctl -o json` line to Fail2Ban's journal line format. Values may be strings, byte
 * arrays (non-UTF-8 or control characters, journalctl(1) "json"), or arrays of those when a field
 * repeats (the first value counts).
 */
export function parseEntry(json: string, truncated = false): ParsedEntry | undefined {
  if (truncated) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;
  const entry = data as Record<string, unknown>;
  const cursor = entry.__CURSOR;
  if (typeof cursor !== "string") return undefined;
  const message = fieldText(entry.MESSAGE);
  const micros = fieldText(entry.__REALTIME_TIMESTAMP);
  const time = micros !== undefined && /^\d+$/.test(micros) ? Number(micros) / 1e6 : undefined;
  if (message === undefined) return { cursor, text: undefined, time };
  const host = fieldText(entry._HOSTNAME) ?? "localhost";
  const ident = fieldText(entry.SYSLOG_IDENTIFIER) ?? fieldText(entry._COMM) ?? "?";
  const pid = fieldText(entry.SYSLOG_PID) ?? fieldText(entry._PID);
  // filtersystemd.py formatJournalEntry: multi-line messages become one line with literal "\n".
  const text = `${host} ${ident}${pid === undefined ? "" : `[${pid}]`}: ${message.replace(/\r?\n/g, "\\n")}`;
  return { cursor, text, time };
}

function fieldText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    if (
      value.length > 0 &&
      value.every((b) => typeof b === "number" && Number.isInteger(b) && b >= 0 && b < 256)
    ) {
      return Buffer.from(value as number[]).toString("utf8");
    }
    return value.length > 0 ? fieldText(value[0]) : undefined;
  }
  return undefined;
}
