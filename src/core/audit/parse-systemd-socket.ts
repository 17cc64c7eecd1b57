/**
 * The TCP ports a socket unit listens on: `ListenStream=` lines of the [Socket] section across the
 * unit file and its drop-ins in order; an empty `ListenStream=` clears the list (systemd.socket(5)).
 */
export function socketListenPorts(files: readonly { file: string; text: string }[]): {
  ports: number[];
  evidence: string[];
} {
  let entries: { port: number; at: string }[] = [];
  for (const { file, text } of files) {
    let section = "";
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] as string).trim();
      const sec = /^\[(.+)\]$/.exec(line);
      if (sec) {
        section = sec[1] as string;
        continue;
      }
      if (section !== "Socket") continue;
      const m = /^ListenStream\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      const value = (m[1] as string).trim();
      if (value === "") {
        entries = [];
        continue;
      }
      if (value.startsWith("/") || value.startsWith("@")) continue;
      const port = /(?:^|:)(\d+)$/.exec(value);
      if (port) entries.push({ port: Number(port[1]), at: `${file}:${i + 1}: ListenStream=${value}` });
    }
  }
  return { ports: [...new Set(entries.map((e) => e.port))], evidence: entries.map((e) => e.at) };
}
