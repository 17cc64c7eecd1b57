import { randomBytes } from "node:crypto";
import {
  chownSync,
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Replaces `path` so that readers see either the old or the new content, never half of it:
 * temp file in the same directory, fsync, rename, fsync the directory. Keeps the existing
 * file's mode and owner unless `mode` is given.
 */
export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: { mode?: number } = {},
): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  let existing: { mode: number; uid: number; gid: number } | undefined;
  try {
    const st = statSync(path);
    existing = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid };
  } catch {
    existing = undefined;
  }
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  const mode = options.mode ?? existing?.mode ?? 0o644;
  const fd = openSync(temp, "wx", mode);
  try {
    // open() applies the umask: without this a 0664 file would come back 0644.
    fchmodSync(fd, mode);
    const buffer = typeof data === "string" ? Buffer.from(data) : data;
    let offset = 0;
    while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temp);
    throw error;
  }
  closeSync(fd);
  try {
    if (existing && options.mode === undefined) chownSync(temp, existing.uid, existing.gid);
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {}
    throw error;
  }
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
