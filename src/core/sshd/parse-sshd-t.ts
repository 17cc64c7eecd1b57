/**
 * `sshd -T` prints one effective setting per line, lower-case keyword first; accumulating
 * keywords (port, listenaddress, hostkey, ...) repeat. The values of each keyword, in order.
 */
export function parseSshdT(output: string): ReadonlyMap<string, readonly string[]> {
  const settings = new Map<string, string[]>();
  for (const line of output.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const space = trimmed.search(/\s/);
    const keyword = (space === -1 ? trimmed : trimmed.slice(0, space)).toLowerCase();
    const value = space === -1 ? "" : trimmed.slice(space + 1).trim();
    const list = settings.get(keyword);
    if (list) list.push(value);
    else settings.set(keyword, [value]);
  }
  return settings;
}
