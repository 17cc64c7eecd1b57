/**
 * Type and size of an OpenSSH public key line (`ssh-rsa AAAA… comment`), from the RFC 4253
 * §6.6 blob: for ssh-rsa the bit length of the modulus n, for others the curve's size.
 */
export function parseSshPublicKey(line: string): { type: string; bits: number } | undefined {
  const parts = line.trim().split(/\s+/);
  const type = parts[0];
  const b64 = parts[1];
  if (!type || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return undefined;
  const blob = Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
  const fields: Uint8Array[] = [];
  let off = 0;
  while (off + 4 <= blob.length && fields.length < 4) {
    const len =
      ((blob[off] as number) << 24) |
      ((blob[off + 1] as number) << 16) |
      ((blob[off + 2] as number) << 8) |
      (blob[off + 3] as number);
    off += 4;
    if (len < 0 || off + len > blob.length) return undefined;
    fields.push(blob.subarray(off, off + len));
    off += len;
  }
  const blobType = fields[0] ? new TextDecoder().decode(fields[0]) : "";
  if (blobType !== type) return undefined;
  if (type === "ssh-rsa") {
    const n = fields[2];
    if (!n) return undefined;
    let i = 0;
    while (i < n.length && n[i] === 0) i++;
    if (i === n.length) return { type, bits: 0 };
    return { type, bits: (n.length - i - 1) * 8 + (32 - Math.clz32(n[i] as number)) };
  }
  if (type === "ssh-dss") return { type, bits: ((fields[1]?.length ?? 1) - 1) * 8 };
  const curve = /nistp(\d+)/.exec(type);
  if (curve) return { type, bits: Number(curve[1]) };
  if (type.includes("ed25519")) return { type, bits: 256 };
  return { type, bits: 0 };
}
