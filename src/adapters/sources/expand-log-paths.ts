import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const WILDCARD = /[*?[]/;

/**
 * Expands Fail2Ban-style `logpath` globs (`/var/log/nginx/*error.log`, fnmatch wildcards `*`, `?`,
 * `[...]` in any segment, as Python's glob.glob that Fail2Ban calls) to the regular files that
 * exist now, sorted. A path without wildcards is returned as is, existing or not, so a missing
 * plain file is still waited for. Like Fail2Ban, a glob is expanded once (at start and reload);
 * wildcards never match a leading "." (glob(7)).
 */
export function expandLogPaths(patterns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const pattern of patterns) {
    if (!isLogPathGlob(pattern)) {
      out.add(pattern);
      continue;
    }
    const segments = pattern.split("/").filter((s, i) => s !== "" || i === 0);
    let current = [segments[0] === "" ? "/" : "."];
    for (const segment of segments.slice(1)) {
      const next: string[] = [];
      for (const dir of current) {
        if (!WILDCARD.test(segment)) {
          next.push(join(dir, segment));
          continue;
        }
        const re = fnmatchRegex(segment);
        let names: string[];
        try {
          names = readdirSync(dir);
        } catch {
          continue;
        }
        for (const name of names.sort())
          if (!name.startsWith(".") && re.test(name)) next.push(join(dir, name));
      }
      current = next;
    }
    for (const path of current) {
      try {
        if (statSync(path).isFile()) out.add(path);
      } catch {}
    }
  }
  return [...out].sort();
}

/** Whether a logpath has wildcards (and is expanded) rather than naming one file. */
export function isLogPathGlob(pattern: string): boolean {
  return WILDCARD.test(pattern);
}

/** fnmatch(3) for one path segment: `*`, `?`, `[abc]`, `[!abc]`; everything else literal. */
export function fnmatchRegex(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = segment.indexOf("]", i + 2);
      if (end === -1) {
        re += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, end);
      const negate = body.startsWith("!");
      if (negate) body = body.slice(1);
      re += `[${negate ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "u");
}
