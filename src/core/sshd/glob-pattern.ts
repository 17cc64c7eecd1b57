/**
 * One path segment of a glob(3) pattern: `*`, `?` and `[...]` / `[!...]` classes, as sshd's
 * Include uses them (sshd_config(5) "Include ... may contain glob(7) wildcards").
 * A leading dot is only matched by a literal dot, like glob(3) without GLOB_PERIOD.
 */
export function matchGlobSegment(pattern: string, name: string): boolean {
  if (name.startsWith(".") && !pattern.startsWith(".")) return false;
  return matchFrom(pattern, 0, name, 0);
}

function matchFrom(p: string, pi: number, s: string, si: number): boolean {
  while (pi < p.length) {
    const c = p[pi];
    if (c === "*") {
      for (let k = s.length; k >= si; k--) if (matchFrom(p, pi + 1, s, k)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c === "?") {
      pi++;
      si++;
      continue;
    }
    if (c === "[") {
      const end = p.indexOf("]", pi + 2);
      if (end !== -1) {
        let body = p.slice(pi + 1, end);
        const negate = body.startsWith("!") || body.startsWith("^");
        if (negate) body = body.slice(1);
        const ch = s[si] as string;
        let hit = false;
        for (let i = 0; i < body.length; i++) {
          const lo = body[i] as string;
          if (body[i + 1] === "-" && i + 2 < body.length) {
            const hi = body[i + 2] as string;
            if (ch >= lo && ch <= hi) hit = true;
            i += 2;
          } else if (ch === lo) hit = true;
        }
        if (hit === negate) return false;
        pi = end + 1;
        si++;
        continue;
      }
    }
    if (c === "\\" && pi + 1 < p.length) pi++;
    if (p[pi] !== s[si]) return false;
    pi++;
    si++;
  }
  return si === s.length;
}

export function hasGlobMagic(segment: string): boolean {
  return /[*?[]/.test(segment);
}
