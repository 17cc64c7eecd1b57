import { readdirSync, readFileSync } from "node:fs";
import type { FilterFiles } from "../../core/filter/config/filter-definition.js";

/**
 * FilterFiles on the local file system. Filters are small, so plain synchronous reads. Text is
 * decoded as UTF-8 like fail2ban does (configparser reads with encoding="utf-8"); invalid bytes
 * become U+FFFD instead of failing the file.
 */
export class NodeFilterFiles implements FilterFiles {
  read(path: string): string | undefined {
    try {
      // A directory fails with EISDIR, like any unreadable path.
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  }

  list(dir: string): string[] {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  }
}
