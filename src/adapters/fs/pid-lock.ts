import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";

/**
 * Takes an O_EXCL lock file holding this process's pid, so that two commands never interleave a
 * read-modify-write of the same state; a lock whose owner is gone (crash, kill -9) is taken over.
 * Returns the release function. `busy` builds the error for a lock held by a live process.
 */
export function acquirePidLock(path: string, busy: (ownerPid: number) => Error): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {}
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(path, "utf8").trim());
      let alive = false;
      try {
        alive = Number.isInteger(owner) && owner > 0 && process.kill(owner, 0);
      } catch {
        alive = false;
      }
      if (alive) throw busy(owner);
      unlinkSync(path);
    }
  }
  throw new Error(`Cannot take the lock ${path}`);
}
