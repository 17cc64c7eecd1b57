import { type IpAddress, type IpNetwork, isLoopback, networkContains, parseCidr } from "../ip/ip-address.js";

/**
 * ignoreip: addresses and networks never counted or banned. Loopback is always in it — a ban of
 * 127.0.0.1 or ::1 would only cut off the host's own services.
 */
export class IgnoreList {
  private readonly hosts = new Set<string>();
  private readonly networks: IpNetwork[] = [];

  constructor(entries: readonly string[]) {
    for (const entry of entries) {
      const network = parseCidr(entry);
      if (!network) throw new Error(`invalid ignoreip entry "${entry}"`);
      const max = network.address.family === 4 ? 32 : 128;
      if (network.prefix === max) this.hosts.add(network.address.text);
      else this.networks.push(network);
    }
  }

  /** Returns why an address is ignored, or undefined when it may be banned. */
  reason(ip: IpAddress): string | undefined {
    if (isLoopback(ip)) return "loopback";
    if (this.hosts.has(ip.text)) return "ignoreip";
    for (const n of this.networks) if (networkContains(n, ip)) return `ignoreip ${n.text}`;
    return undefined;
  }

  /** Everything to put in the kernel's allow sets, loopback included. */
  static allowEntries(entries: readonly string[]): { v4: string[]; v6: string[] } {
    const v4 = new Set<string>(["127.0.0.0/8"]);
    const v6 = new Set<string>(["::1"]);
    for (const entry of entries) {
      const network = parseCidr(entry);
      if (!network) continue;
      (network.address.family === 4 ? v4 : v6).add(network.text);
    }
    return { v4: [...v4], v6: [...v6] };
  }
}
