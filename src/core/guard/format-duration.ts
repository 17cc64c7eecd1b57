/** Seconds as fail2ban-style compact text: 600 → "10m", 90000 → "1d1h", -1 → "forever". */
export function formatDuration(seconds: number): string {
  if (seconds < 0) return "forever";
  let rest = Math.round(seconds);
  if (rest === 0) return "0s";
  const units: [string, number][] = [
    ["w", 604800],
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ];
  let text = "";
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      text += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return text;
}
