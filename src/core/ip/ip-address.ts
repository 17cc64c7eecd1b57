/**
 * Strict IP address and CIDR parsing, with no I/O. Only canonical-looking input is accepted:
 * dotted-quad IPv4 without leading zeros (glibc's inet_pton rejects them too, and "010" is
 * octal to some tools), RFC 4291 IPv6 text with an optional embedded IPv4 tail, no zone ids.
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is normalised to IPv4 so one attacker has one identity.
 */
export interface IpAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
  /** Canonical text (RFC 5952 for IPv6). */
  readonly text: string;
}

export interface IpNetwork {
  readonly address: IpAddress;
  readonly prefix: number;
  /** Canonical `addr/prefix` with host bits cleared. */
  readonly text: string;
}

const IPV4_PART = /^(?:0|[1-9]\d{0,2})$/;

/**
 * True for dotted-quad IPv4 text that `parseIp` accepts and prints unchanged (no leading zeros,
 * every part ≤ 255): the filter engine's fast path, since most failure ids are exactly that.
 */
export function isCanonicalIpv4(text: string): boolean {
  const length = text.length;
  if (length < 7 || length > 15) return false;
  let parts = 0;
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i <= length; i++) {
    const c = i < length ? text.charCodeAt(i) : 46;
    if (c === 46) {
      if (digits === 0 || (leadingZero && digits > 1) || value > 255) return false;
      parts++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 0) leadingZero = c === 48;
      value = value * 10 + (c - 48);
      if (++digits > 3) return false;
    } else return false;
  }
  return parts === 4;
}

function parseIpv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] ?? "";
    if (!IPV4_PART.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseIpv6Bytes(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let head = text;
  let tail: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    tail = parseIpv4Bytes(text.slice(lastColon + 1));
    if (!tail) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const groups = s.split(":");
    const values: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      values.push(Number.parseInt(g, 16));
    }
    return values;
  };
  const left = parseGroups(halves[0] ?? "");
  const right = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  if (!left || !right) return undefined;
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...left, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  if (tail) bytes.set(tail, 12);
  return bytes;
}

function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // RFC 5952: compress the longest run (length ≥ 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function isMappedIpv4(bytes: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return false;
  return bytes[10] === 0xff && bytes[11] === 0xff;
}

function fromBytes(family: 4 | 6, bytes: Uint8Array): IpAddress {
  return { family, bytes, text: family === 4 ? bytes.join(".") : formatIpv6(bytes) };
}

/** Parses one address; returns undefined for anything that is not strictly an IP. */
export function parseIp(input: string): IpAddress | undefined {
  const text = input.startsWith("[") && input.endsWith("]") ? input.slice(1, -1) : input;
  if (!text.includes(":")) {
    const v4 = parseIpv4Bytes(text);
    return v4 ? fromBytes(4, v4) : undefined;
  }
  const v6 = parseIpv6Bytes(text);
  if (!v6) return undefined;
  if (isMappedIpv4(v6)) return fromBytes(4, v6.slice(12));
  return fromBytes(6, v6);
}

/** Clears the host bits below `prefix`. */
export function maskAddress(address: IpAddress, prefix: number): IpAddress {
  const bytes = new Uint8Array(address.bytes);
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    const index = bit >> 3;
    bytes[index] = (bytes[index] ?? 0) & ~(0x80 >> (bit & 7));
  }
  return fromBytes(address.family, bytes);
}

/** Parses `addr` or `addr/prefix`; a bare address is a host network (/32 or /128). */
export function parseCidr(input: string): IpNetwork | undefined {
  const slash = input.indexOf("/");
  const address = parseIp(slash < 0 ? input : input.slice(0, slash));
  if (!address) return undefined;
  const max = address.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const prefixText = input.slice(slash + 1);
    if (!/^(?:0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    // A mapped IPv6 network (::ffff:0:0/104) becomes the matching IPv4 prefix.
    if (address.family === 4 && input.slice(0, slash).includes(":")) prefix -= 96;
    if (prefix < 0 || prefix > max) return undefined;
  }
  const masked = maskAddress(address, prefix);
  return { address: masked, prefix, text: prefix === max ? masked.text : `${masked.text}/${prefix}` };
}

export function networkContains(network: IpNetwork, address: IpAddress): boolean {
  if (network.address.family !== address.family) return false;
  const full = network.prefix >> 3;
  for (let i = 0; i < full; i++) if (network.address.bytes[i] !== address.bytes[i]) return false;
  const rest = network.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((network.address.bytes[full] ?? 0) & mask) === ((address.bytes[full] ?? 0) & mask);
}

export function isLoopback(address: IpAddress): boolean {
  if (address.family === 4) return address.bytes[0] === 127;
  return address.bytes.every((b, i) => (i === 15 ? b === 1 : b === 0));
}
