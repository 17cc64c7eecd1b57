import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";

/** A new folder under the system's temporary one, removed once the test file's tests are done. */
export function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `rampart-${name}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
