/**
 * Python `str` helpers the fail2ban config reader depends on. Python's `str.strip()` and the
 * Unicode `\s` of its `re` module use `str.isspace()`, which differs from JavaScript's `trim()`
 * and `\s` (Python adds U+001C–U+001F and U+0085; JavaScript adds U+FEFF).
 */

/** Regex class source for Python's `\s` (str patterns); verified against `str.isspace()`. */
export const PY_SPACE =
  "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** Regex class source for Python's Unicode `\w` (letters, numbers, underscore); needs the `u` flag. */
export const PY_WORD = "\\p{L}\\p{N}_";

const SPACE_RE = new RegExp(`^[${PY_SPACE}]$`);

export function pyIsSpace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  return SPACE_RE.test(ch);
}

/** Number of leading Python-whitespace characters of `s`. */
export function leadingSpace(s: string): number {
  let i = 0;
  while (i < s.length && pyIsSpace(s[i]!)) i++;
  return i;
}

/** Length of `s` once Python-whitespace is removed from its end. */
export function endWithoutSpace(s: string): number {
  let j = s.length;
  while (j > 0 && pyIsSpace(s[j - 1]!)) j--;
  return j;
}

export function pyStrip(s: string): string {
  const end = endWithoutSpace(s);
  const start = Math.min(leadingSpace(s), end);
  return s.slice(start, end);
}

export function pyRstrip(s: string): string {
  return s.slice(0, endWithoutSpace(s));
}

/** `os.path.dirname` (posix): everything before the last slash, trailing slashes removed. */
export function pyDirname(p: string): string {
  const i = p.lastIndexOf("/") + 1;
  const head = p.slice(0, i);
  return head !== "" && !/^\/+$/.test(head) ? head.replace(/\/+$/, "") : head;
}

/** `os.path.basename` (posix). */
export function pyBasename(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/** `os.path.join(a, b)` (posix): no normalisation, an absolute `b` replaces `a`. */
export function pyJoin(a: string, b: string): string {
  if (b.startsWith("/")) return b;
  if (a === "" || a.endsWith("/")) return a + b;
  return `${a}/${b}`;
}

/** `os.path.splitext(p)[0]`: the extension starts at the last dot of the name, leading dots excluded. */
export function pyStripExt(p: string): string {
  const sep = p.lastIndexOf("/");
  const dot = p.lastIndexOf(".");
  if (dot <= sep) return p;
  let start = sep + 1;
  while (start < dot && p[start] === ".") start++;
  return start < dot ? p.slice(0, dot) : p;
}

/** Python `int(str)` for base-10 text: surrounding whitespace, sign, digits with single underscores. */
export function pyParseInt(s: string): number | undefined {
  const t = pyStrip(s);
  if (!/^[+-]?[0-9](?:_?[0-9])*$/.test(t)) return undefined;
  return Number.parseInt(t.replaceAll("_", ""), 10);
}
