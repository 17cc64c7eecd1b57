import { isCanonicalIpv4, parseIp } from "../ip/ip-address.js";

/**
 * Fail2Ban's failure-id text (server/ipdns.py `IPAddr` + glibc inet_pton/inet_ntop): a valid
 * address is printed canonically (IPv4-mapped IPv6 as IPv4, a prefix as `/n` when shorter than
 * the address), anything else stays raw — e.g. "192.030.0.6" (leading zeros fail inet_pton).
 */
export type AddressFamilyHint = 4 | 6 | undefined;

/** The id as fail2ban prints it, and the address it names (canonical) when it is one host. */
export interface FailureId {
  readonly id: string;
  readonly ip: string | null;
}

export function failureId(text: string, family: AddressFamilyHint, cidr?: number): FailureId {
  if (cidr === undefined && family !== 6 && isCanonicalIpv4(text)) return { id: text, ip: text };
  let body = text;
  let prefix = cidr;
  if (family === undefined) {
    // CIDR_UNSPEC path: brackets stripped, "addr/plen" split (IPAddr.__wrap_ipstr).
    if (body.length > 2 && body.startsWith("[") && body.endsWith("]")) body = body.slice(1, -1);
    const slash = body.indexOf("/");
    if (slash >= 0) {
      const plen = body.slice(slash + 1);
      if (!/^\d+$/.test(plen)) return { id: text, ip: parseIp(text)?.text ?? null };
      prefix = Number(plen);
      body = body.slice(0, slash);
    }
  }
  const address = parseIp(body);
  if (!address || body.startsWith("[") || (family !== undefined && !familyMatches(body, family))) {
    return { id: body, ip: null };
  }
  const max = address.family === 4 ? 32 : 128;
  if (prefix === undefined || prefix >= max || prefix < 0) {
    const id = ntop(address.family, address.bytes);
    return { id, ip: id === address.text ? id : address.text };
  }
  const masked = new Uint8Array(address.bytes);
  for (let bit = prefix; bit < max; bit++) masked[bit >> 3] = (masked[bit >> 3] ?? 0) & ~(0x80 >> (bit & 7));
  return { id: `${ntop(address.family, masked)}${prefix > 0 ? `/${prefix}` : ""}`, ip: null };
}

function familyMatches(body: string, family: 4 | 6): boolean {
  return family === 4 ? !body.includes(":") : body.includes(":");
}

/** glibc inet_ntop: IPv6 with the first longest zero run (≥ 2) compressed, ::a.b.c.d for v4-compatible. */
function ntop(family: 4 | 6, bytes: Uint8Array): string {
  if (family === 4) return bytes.join(".");
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ":";
      continue;
    }
    if (i !== 0) out += ":";
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
      break;
    }
    out += (words[i] ?? 0).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ":";
  return out;
}
