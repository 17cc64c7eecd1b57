/** Listening TCP sockets from /proc/net/tcp or tcp6 (proc(5)): state 0A is LISTEN. */
export function parseProcNetTcp(
  text: string,
  version: 4 | 6,
): { address: string; port: number; version: 4 | 6; inode: string }[] {
  const out: { address: string; port: number; version: 4 | 6; inode: string }[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== "0A") continue;
    const [hexAddr, hexPort] = (f[1] as string).split(":") as [string, string];
    out.push({
      address: decodeAddress(hexAddr),
      port: Number.parseInt(hexPort, 16),
      version,
      inode: f[9] as string,
    });
  }
  return out;
}

// The kernel prints each 32-bit word of the address in host (little-endian) byte order.
function decodeAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => (w.match(/../g) ?? []).reverse().map((b) => Number.parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return bytes.slice(12).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups
    .join(":")
    .replace(/(^|:)0(:0)+(:|$)/, "::")
    .replace(/:::+/, "::");
}
