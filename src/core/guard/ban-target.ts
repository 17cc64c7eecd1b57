import { type IpAddress, maskAddress, parseCidr, parseIp } from "../ip/ip-address.js";

/**
 * What a ban applies to: one IPv4 address, or an IPv6 network of the jail's prefix (an IPv6
 * host usually owns a whole /64, RFC 6177, so banning a /128 lets it rotate addresses).
 */
export interface BanTarget {
  /** Canonical text: "192.0.2.7", "2001:db8:1:2::/64", or "2001:db8::1" for a /128. */
  readonly text: string;
  readonly family: 4 | 6;
  readonly prefix: number;
  /** The network address without the prefix: the nftables set element. */
  readonly address: string;
}

export function banTargetOf(ip: IpAddress, ipv6Prefix: number): BanTarget {
  if (ip.family === 4) return { text: ip.text, family: 4, prefix: 32, address: ip.text };
  const masked = maskAddress(ip, ipv6Prefix);
  const text = ipv6Prefix === 128 ? masked.text : `${masked.text}/${ipv6Prefix}`;
  return { text, family: 6, prefix: ipv6Prefix, address: masked.text };
}

/** Reads a target back from its text (database rows, socket requests). */
export function parseBanTarget(text: string): BanTarget | undefined {
  const network = parseCidr(text);
  if (!network) return undefined;
  if (network.address.family === 4) {
    // IPv4 bans are per address; a stored IPv4 network is not something the guard produces.
    return network.prefix === 32 ? banTargetOf(network.address, 32) : undefined;
  }
  return banTargetOf(network.address, network.prefix);
}

/** Map key for the failure window: an int32 for IPv4 (no string per address), else the text. */
export function windowKeyOf(target: BanTarget, ip: IpAddress): string | number {
  if (target.family === 4) {
    const b = ip.bytes;
    return ((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0);
  }
  return target.text;
}

export { parseIp };
