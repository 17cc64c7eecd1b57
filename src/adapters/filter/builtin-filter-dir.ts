import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The `filters/` folder shipped with Rampart, found relative to this module (src or dist).
 * A module of its own so that the CLI can name it without loading the filter engine (~30 ms).
 */
export function builtinFilterDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "filters");
    if (existsSync(join(candidate, "sshd.conf"))) return candidate;
    dir = dirname(dir);
  }
  return resolve("filters");
}
