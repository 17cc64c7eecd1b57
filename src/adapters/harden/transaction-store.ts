import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseTransaction, TRANSACTION_ID, type TransactionRecord } from "../../core/harden/transaction.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { acquirePidLock } from "../fs/pid-lock.js";

/** Transactions under `stateDir` (default /var/lib/rampart/harden): one directory per apply. */
export class TransactionStore {
  constructor(readonly stateDir: string) {}

  dir(id: string): string {
    if (!TRANSACTION_ID.test(id)) throw new Error(`Invalid transaction id "${id}"`);
    return join(this.stateDir, "transactions", id);
  }

  create(record: TransactionRecord): void {
    mkdirSync(this.dir(record.id), { recursive: true, mode: 0o700 });
    this.save(record);
  }

  save(record: TransactionRecord): void {
    writeFileAtomic(join(this.dir(record.id), "transaction.json"), `${JSON.stringify(record, null, 2)}\n`, {
      mode: 0o600,
    });
  }

  read(id: string): TransactionRecord {
    const file = join(this.dir(id), "transaction.json");
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        throw new Error(`No harden transaction "${id}" in ${this.stateDir}`);
      throw error;
    }
    return parseTransaction(text, file);
  }

  /** Ids oldest first (they start with a UTC timestamp). */
  list(): string[] {
    try {
      return readdirSync(join(this.stateDir, "transactions"))
        .filter((n) => TRANSACTION_ID.test(n))
        .sort();
    } catch {
      return [];
    }
  }

  latest(): TransactionRecord | undefined {
    const id = this.list().pop();
    return id === undefined ? undefined : this.read(id);
  }

  /** One harden at a time: an O_EXCL lock file with the owner's pid; a dead owner's lock is taken over. */
  lock(): () => void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const path = join(this.stateDir, ".lock");
    return acquirePidLock(
      path,
      (owner) => new Error(`Another "rampart harden" (pid ${owner}) is running (lock ${path})`),
    );
  }
}
