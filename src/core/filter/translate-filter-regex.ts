import { failed, ok, type Result } from "../errors/problem.js";
import { translatePythonRegex } from "../regex/translate-python-regex.js";
import type { PortableFilterRegex } from "./fail-regex.js";
import { globalFlagsToScoped, resolveHostTags, type UseDns } from "./host-tags.js";

/**
 * A failregex, ignoreregex or prefregex as fail2ban compiles it (server/failregex.py `Regex`):
 * `<HOST>`-style tags expanded, global inline flags scoped, then Python → JavaScript. The RegExp
 * itself is built where the regex runs (FilterRegex), so that translating happens once per filter.
 */
export function translateFilterRegex(
  source: string,
  options: { useDns: UseDns; multiline: boolean },
): Result<PortableFilterRegex> {
  const expanded = globalFlagsToScoped(resolveHostTags(source, options.useDns));
  if (expanded.trim() === "")
    return failed([{ code: "filter.empty-regex", message: "Cannot add empty regex" }]);
  const translated = translatePythonRegex(expanded, { multiline: options.multiline, namedGroups: false });
  if (!translated.ok) return translated;
  const { source: pattern, flags, captureNames, startChars, head } = translated.value;
  return ok({ source, pattern, flags, captureNames, startChars, head });
}
