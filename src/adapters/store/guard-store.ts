import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { RampartError } from "../../core/errors/rampart-error.js";
import { parseBanTarget } from "../../core/guard/ban-target.js";
import type { ActiveBan, BanHistory, GuardDecision } from "../../core/guard/guard-decision.js";
import type { CheckpointStore, SourceCheckpoint } from "../sources/log-source.js";

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran. Never edit a
 * shipped step: append a new one.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE active_bans (
     jail TEXT NOT NULL,
     target TEXT NOT NULL,
     family INTEGER NOT NULL,
     prefix INTEGER NOT NULL,
     address TEXT NOT NULL,
     since REAL NOT NULL,
     until REAL,
     bantime INTEGER NOT NULL,
     ban_count INTEGER NOT NULL,
     failures INTEGER NOT NULL,
     PRIMARY KEY (jail, target)
   ) WITHOUT ROWID;
   CREATE TABLE ban_history (
     id INTEGER PRIMARY KEY,
     jail TEXT NOT NULL,
     target TEXT NOT NULL,
     address TEXT NOT NULL,
     since REAL NOT NULL,
     until REAL,
     bantime INTEGER NOT NULL,
     ban_count INTEGER NOT NULL,
     failures INTEGER NOT NULL,
     reason TEXT NOT NULL,
     matches TEXT NOT NULL,
     ended_at REAL,
     end_reason TEXT
   );
   CREATE INDEX ban_history_target ON ban_history (target, jail);
   CREATE INDEX ban_history_since ON ban_history (since);
   CREATE TABLE ban_counts (
     target TEXT NOT NULL,
     jail TEXT NOT NULL,
     ban_count INTEGER NOT NULL,
     last_ban REAL NOT NULL,
     PRIMARY KEY (target, jail)
   ) WITHOUT ROWID;
   CREATE TABLE pending_failures (
     jail TEXT NOT NULL,
     key TEXT NOT NULL,
     times TEXT NOT NULL,
     PRIMARY KEY (jail, key)
   ) WITHOUT ROWID;
   CREATE TABLE checkpoints (
     source_id TEXT PRIMARY KEY,
     data TEXT NOT NULL,
     updated REAL NOT NULL
   ) WITHOUT ROWID;`,
];

export const STORE_SCHEMA_VERSION = MIGRATIONS.length;

/** At most this many matched log lines are kept per ban (fail2ban's dbmaxmatches is 10). */
const MAX_STORED_MATCHES = 10;

type BanRow = [
  jail: string,
  target: string,
  family: number,
  prefix: number,
  address: string,
  since: number,
  until: number | null,
  bantime: number,
  banCount: number,
  failures: number,
];

const ADDRESS_TEXT = /^[0-9a-f:.]{2,45}$/;

/**
 * The guard's SQLite database: active bans (restored into the kernel at start), ban history,
 * per-target ban counts (bantime.increment across restarts and jails), pending failures and the
 * sources' checkpoints. WAL mode; every write is one transaction, so kill -9 loses nothing
 * that was acknowledged.
 */
export class GuardStore implements CheckpointStore, BanHistory {
  private readonly db: Database.Database;
  private readonly stmts;

  private constructor(db: Database.Database) {
    this.db = db;
    this.stmts = {
      insertActive: db.prepare(
        `INSERT OR REPLACE INTO active_bans (jail, target, family, prefix, address, since, until, bantime, ban_count, failures)
         VALUES (@jail, @target, @family, @prefix, @address_, @since, @until, @bantime, @ban_count, @failures)`,
      ),
      deleteActive: db.prepare("DELETE FROM active_bans WHERE jail = ? AND target = ?"),
      insertHistory: db.prepare(
        `INSERT INTO ban_history (jail, target, address, since, until, bantime, ban_count, failures, reason, matches)
         VALUES (@jail, @target, @address, @since, @until, @bantime, @ban_count, @failures, @reason, @matches)`,
      ),
      endHistory: db.prepare(
        `UPDATE ban_history SET ended_at = ?, end_reason = ?
         WHERE id = (SELECT max(id) FROM ban_history WHERE jail = ? AND target = ? AND ended_at IS NULL)`,
      ),
      upsertCount: db.prepare(
        `INSERT INTO ban_counts (target, jail, ban_count, last_ban) VALUES (?, ?, ?, ?)
         ON CONFLICT (target, jail) DO UPDATE SET ban_count = excluded.ban_count, last_ban = excluded.last_ban`,
      ),
      countInJail: db.prepare("SELECT ban_count FROM ban_counts WHERE target = ? AND jail = ?").pluck(),
      countAll: db.prepare("SELECT coalesce(sum(ban_count), 0) FROM ban_counts WHERE target = ?").pluck(),
      // Raw rows and stored target parts: restoring 100k bans must not parse 100k addresses again.
      active: db
        .prepare(
          `SELECT jail, target, family, prefix, address, since, until, bantime, ban_count, failures
           FROM active_bans WHERE until IS NULL OR until > ?`,
        )
        .raw(),
      deleteExpired: db.prepare("DELETE FROM active_bans WHERE until IS NOT NULL AND until <= ?"),
      loadCheckpoint: db.prepare("SELECT data FROM checkpoints WHERE source_id = ?").pluck(),
      saveCheckpoint: db.prepare(
        `INSERT INTO checkpoints (source_id, data, updated) VALUES (?, ?, ?)
         ON CONFLICT (source_id) DO UPDATE SET data = excluded.data, updated = excluded.updated`,
      ),
      history: db.prepare("SELECT * FROM ban_history ORDER BY id DESC LIMIT ?"),
      purgeHistory: db.prepare("DELETE FROM ban_history WHERE ended_at IS NOT NULL AND ended_at < ?"),
      pendingAll: db.prepare("SELECT jail, key, times FROM pending_failures"),
      pendingClear: db.prepare("DELETE FROM pending_failures"),
      pendingInsert: db.prepare(
        "INSERT OR REPLACE INTO pending_failures (jail, key, times) VALUES (?, ?, ?)",
      ),
    };
  }

  /** Opens (creating with mode 0600 in a 0700 directory) and migrates the database. */
  static open(path: string): GuardStore {
    let db: Database.Database;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      db = new Database(path);
      if (path !== ":memory:") chmodSync(path, 0o600);
      db.pragma("journal_mode = WAL");
      // NORMAL in WAL mode survives a process crash (kill -9); only power loss can drop the last commit.
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
    } catch (cause) {
      throw new RampartError(
        "store.open",
        `Cannot open the guard database "${path}": ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    const version = db.pragma("user_version", { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      db.close();
      throw new RampartError(
        "store.version",
        `The guard database "${path}" has schema version ${version}, newer than this rampart knows (${MIGRATIONS.length})`,
      );
    }
    db.transaction(() => {
      for (let v = version; v < MIGRATIONS.length; v++) {
        db.exec(MIGRATIONS[v] ?? "");
        db.pragma(`user_version = ${v + 1}`);
      }
    }).immediate();
    return new GuardStore(db);
  }

  get schemaVersion(): number {
    return this.db.pragma("user_version", { simple: true }) as number;
  }

  /** Records decisions (bans, unbans) in one transaction. */
  applyDecisions(decisions: readonly GuardDecision[], now: number): void {
    if (decisions.length === 0) return;
    this.db
      .transaction(() => {
        for (const d of decisions) {
          if (d.kind === "ban") {
            const b = d.ban;
            const row = {
              jail: b.jail,
              target: b.target.text,
              since: b.since,
              until: b.until,
              bantime: b.bantime,
              ban_count: b.banCount,
              failures: b.failures,
            };
            this.stmts.insertActive.run({
              ...row,
              family: b.target.family,
              prefix: b.target.prefix,
              address_: b.target.address,
            });
            this.stmts.insertHistory.run({
              ...row,
              address: d.address,
              reason: d.reason,
              matches: JSON.stringify(d.matches.slice(-MAX_STORED_MATCHES)),
            });
            this.stmts.upsertCount.run(b.target.text, b.jail, b.banCount, b.since);
          } else {
            this.stmts.deleteActive.run(d.jail, d.target.text);
            this.stmts.endHistory.run(now, d.reason, d.jail, d.target.text);
          }
        }
      })
      .immediate();
  }

  previousBans(target: string, jail: string | undefined): number {
    const n = jail === undefined ? this.stmts.countAll.get(target) : this.stmts.countInJail.get(target, jail);
    return typeof n === "number" ? n : 0;
  }

  /** Active bans still running at `now` (expired rows are removed on the way). */
  activeBans(now: number): ActiveBan[] {
    this.stmts.deleteExpired.run(now);
    const out: ActiveBan[] = [];
    for (const row of this.stmts.active.all(now) as BanRow[]) {
      const [jail, text, family, prefix, address, since, until, bantime, banCount, failures] = row;
      // The file is root-only and written by us; still, only address text ever reaches nft.
      if ((family !== 4 && family !== 6) || !ADDRESS_TEXT.test(address)) {
        const target = parseBanTarget(text);
        if (!target) continue;
        out.push({ jail, target, since, until, bantime, banCount, failures });
        continue;
      }
      out.push({
        jail,
        target: { text, family, prefix, address },
        since,
        until,
        bantime,
        banCount,
        failures,
      });
    }
    return out;
  }

  recentHistory(limit: number): Record<string, unknown>[] {
    return this.stmts.history.all(limit) as Record<string, unknown>[];
  }

  /** Drops finished bans older than `before` from the history; ban counts stay for increment. */
  purgeHistory(before: number): number {
    return this.stmts.purgeHistory.run(before).changes;
  }

  load(sourceId: string): SourceCheckpoint | undefined {
    const data = this.stmts.loadCheckpoint.get(sourceId);
    if (typeof data !== "string") return undefined;
    try {
      return JSON.parse(data) as SourceCheckpoint;
    } catch {
      return undefined;
    }
  }

  save(sourceId: string, checkpoint: SourceCheckpoint): void {
    this.stmts.saveCheckpoint.run(sourceId, JSON.stringify(checkpoint), Date.now() / 1000);
  }

  /** Failure windows saved at shutdown, so a restart within findtime keeps counting. */
  loadPendingFailures(): { jail: string; key: string; times: number[] }[] {
    const rows = this.stmts.pendingAll.all() as { jail: string; key: string; times: string }[];
    return rows.map((r) => ({ jail: r.jail, key: r.key, times: JSON.parse(r.times) as number[] }));
  }

  savePendingFailures(entries: Iterable<{ jail: string; key: string; times: readonly number[] }>): void {
    this.db
      .transaction(() => {
        this.stmts.pendingClear.run();
        for (const e of entries) this.stmts.pendingInsert.run(e.jail, e.key, JSON.stringify(e.times));
      })
      .immediate();
  }

  close(): void {
    this.db.close();
  }
}
