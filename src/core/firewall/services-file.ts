/** One `/etc/services` entry: services(5) — "name port/protocol [aliases ...] [# comment]". */
export interface ServiceEntry {
  readonly port: number;
  readonly proto: string;
}

/**
 * Parses services(5) text into name (and alias) → entries. Lines that do not fit the format are
 * skipped, as glibc's getservent does, so a local oddity cannot break `allow ssh`.
 */
export function parseServices(text: string): ReadonlyMap<string, readonly ServiceEntry[]> {
  const services = new Map<string, ServiceEntry[]>();
  for (const raw of text.split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (line === "") continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const match = /^(\d{1,5})\/([a-z0-9-]+)$/i.exec(portProto ?? "");
    if (!name || !match) continue;
    const port = Number(match[1]);
    if (port < 1 || port > 65535) continue;
    const entry: ServiceEntry = { port, proto: (match[2] ?? "").toLowerCase() };
    for (const key of [name, ...aliases]) {
      const list = services.get(key.toLowerCase()) ?? [];
      if (!list.some((e) => e.port === entry.port && e.proto === entry.proto)) list.push(entry);
      services.set(key.toLowerCase(), list);
    }
  }
  return services;
}
