import { readFileSync } from "node:fs";
import { parseIp } from "../../core/ip/ip-address.js";

/**
 * Resolves hostnames found in logs through the hosts file only — the part of fail2ban's
 * `usedns` lookup (getaddrinfo) that needs no network. A DNS query per attacker-chosen name would
 * let log text trigger traffic and delays, so Rampart never makes one. IPv4 addresses come
 * first, then IPv6, as fail2ban asks AF_INET before AF_INET6.
 */
export const DEFAULT_HOSTS_FILE = "/etc/hosts";

export function hostsFileResolver(path = DEFAULT_HOSTS_FILE): (name: string) => readonly string[] {
  let table: Map<string, string[]> | undefined;
  return (name) => {
    table ??= hostsFileTable(path);
    return table.get(name.toLowerCase()) ?? [];
  };
}

/** The hosts file as lower-case name → addresses (IPv4 first); empty when it cannot be read. */
export function hostsFileTable(path = DEFAULT_HOSTS_FILE): Map<string, string[]> {
  const map = new Map<string, string[]>();
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return map;
  }
  for (const raw of text.split("\n")) {
    const [address, ...names] = raw.replace(/#.*/, "").trim().split(/\s+/);
    const ip = address ? parseIp(address) : undefined;
    if (!ip) continue;
    for (const name of names) {
      const key = name.toLowerCase();
      const list = map.get(key) ?? [];
      if (!list.includes(ip.text)) list.push(ip.text);
      map.set(key, list);
    }
  }
  for (const [key, list] of map)
    map.set(key, [...list.filter((a) => !a.includes(":")), ...list.filter((a) => a.includes(":"))]);
  return map;
}
