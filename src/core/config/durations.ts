/**
 * Parses durations the way fail2ban's `str2seconds` reads them (mytime.py): plain seconds, or
 * juxtaposed units like `1d12h30m`, `5w`, `10m`, `1y 6mo`; `-1` means permanent.
 * Returns undefined for text that is not a duration.
 */
const UNIT_SECONDS: readonly [RegExp, number][] = [
  [/^(?:years?|yea?|yy?)$/, 365.25 * 86400],
  [/^(?:months?|mon?|mo)$/, (365.25 * 86400) / 12],
  [/^(?:weeks?|wee?|ww?)$/, 7 * 86400],
  [/^(?:days?|da|dd?)$/, 86400],
  [/^(?:hours?|hou?|hh?)$/, 3600],
  [/^(?:minutes?|min?|mm?)$/, 60],
  [/^(?:seconds?|sec?|ss?)$/, 1],
];

export function parseDuration(input: string | number): number | undefined {
  if (typeof input === "number") return Number.isFinite(input) ? input : undefined;
  const text = input.trim().toLowerCase();
  if (/^-?\d+(?:\.\d+)?$/.test(text)) return Number(text);
  const token = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gy;
  let total = 0;
  let consumed = 0;
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    const unit = UNIT_SECONDS.find(([re]) => re.test(m[2] ?? ""));
    if (!unit) return undefined;
    total += Number(m[1]) * unit[1];
    consumed = token.lastIndex;
  }
  return consumed === text.length && consumed > 0 ? Math.round(total) : undefined;
}
