import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { posix } from "node:path";

// Like the kernel's MAXSYMLINKS (40): more hops than this is a loop.
const MAX_LINKS = 40;

/**
 * Reads files of a system tree: "/" for the live host, or an offline root (image, mounted disk,
 * container rootfs). Every path is absolute as seen inside the tree; symlinks — absolute ones
 * too — are resolved inside the root, so a link to /etc/shadow in an image never reads the host's.
 */
export class RootedFs {
  constructor(readonly root: string) {}

  /** The host path for a tree path, or undefined if it does not exist. */
  resolve(path: string): string | undefined {
    if (this.root === "/") return path;
    const pending = posix
      .normalize(`/${path}`)
      .split("/")
      .filter((s) => s !== "");
    const done: string[] = [];
    let hops = 0;
    while (pending.length > 0) {
      const part = pending.shift() as string;
      if (part === "..") {
        done.pop();
        continue;
      }
      if (part === ".") continue;
      const host = posix.join(this.root, ...done, part);
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(host);
      } catch {
        return undefined;
      }
      if (st.isSymbolicLink()) {
        if (++hops > MAX_LINKS) return undefined;
        const target = readlinkSync(host);
        const parts = target.split("/").filter((s) => s !== "");
        if (target.startsWith("/")) done.length = 0;
        pending.unshift(...parts);
        continue;
      }
      done.push(part);
    }
    return posix.join(this.root, ...done);
  }

  /** The file's text; undefined when it does not exist; throws (EACCES, EISDIR…) otherwise. */
  readText(path: string): string | undefined {
    const host = this.resolve(path);
    if (host === undefined) return undefined;
    try {
      return readFileSync(host, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Entry names, sorted; undefined when the directory does not exist or is unreadable. */
  listDir(path: string): string[] | undefined {
    const host = this.resolve(path);
    if (host === undefined) return undefined;
    try {
      return readdirSync(host).sort();
    } catch {
      return undefined;
    }
  }

  mtimeMs(path: string): number | undefined {
    const host = this.resolve(path);
    if (host === undefined) return undefined;
    try {
      return statSync(host).mtimeMs;
    } catch {
      return undefined;
    }
  }

  exists(path: string): boolean {
    const host = this.resolve(path);
    if (host === undefined) return false;
    try {
      statSync(host);
      return true;
    } catch {
      return false;
    }
  }
}
