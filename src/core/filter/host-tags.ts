/**
 * Expands Fail2Ban's regex tags (`<HOST>`, `<ADDR>`, `<F-USER>…</F-USER>`, `<SKIPLINES>`…) into
 * Python regex text exactly as fail2ban 1.0.2 does (server/failregex.py `Regex._resolveHostTag`),
 * before the Python→JS translation. Unknown tags stay literal, as there.
 */
const IP_4 = String.raw`(?:\d{1,3}\.){3}\d{1,3}`;
// fail2ban's IPv6 regex; its `(?<=:)` lookbehind is always true after a repetition ending in ':'.
const IP_6 = String.raw`(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)`;

const R_IPV4 = String.raw`(?:::f{4,6}:)?(?P<ip4>${IP_4})`;
const R_IPV6 = `(?P<ip6>${IP_6})`;
const R_DNS = String.raw`(?P<dns>[\w\-.^_]*\w)`;
const R_ADDR = String.raw`\[?(?:${R_IPV4}|${R_IPV6})\]?`;
const R_HOST = `(?:${R_ADDR}|${R_DNS})`;
const R_CIDR = String.raw`(?P<cidr>\d+)`;
const R_SUBNET = String.raw`\[?(?:${R_IPV4}|${R_IPV6})(?:/${R_CIDR})?\]?`;

const STATIC_TAGS: Readonly<Record<string, string>> = {
  IP4: R_IPV4,
  "F-IP4/": R_IPV4,
  IP6: R_IPV6,
  "F-IP6/": R_IPV6,
  ADDR: R_ADDR,
  "F-ADDR/": R_ADDR,
  CIDR: R_CIDR,
  "F-CIDR/": R_CIDR,
  SUBNET: R_SUBNET,
  "F-SUBNET/": R_SUBNET,
  DNS: R_DNS,
  "F-DNS/": R_DNS,
  "F-ID/": String.raw`(?P<fid>\S+)`,
  "F-PORT/": String.raw`(?P<fport>\w+)`,
};

const TAG_NAME_MAP: Readonly<Record<string, string>> = { id: "fid", port: "fport" };
const FTAG = /<\/?[\w-]+\/?>/g;
const CUSTOM_TAG = /^(\/?)F-([A-Z0-9_-]+)$/;

export type UseDns = "yes" | "warn" | "no" | "raw";

function mapTagToGroup(tag: string): string {
  const lower = tag.toLowerCase();
  return TAG_NAME_MAP[lower] ?? lower;
}

export function resolveHostTags(regex: string, useDns: UseDns = "warn"): string {
  const openTags = new Set<string>();
  let skipLines = 0;
  return regex.replace(FTAG, (tag) => {
    const name = tag.slice(1, -1);
    if (name === "HOST") return useDns === "no" ? R_ADDR : R_HOST;
    if (name === "SKIPLINES") return String.raw`\n(?P<skiplines${skipLines++}>(?:(?:.*\n)*?))`;
    const fixed = STATIC_TAGS[name];
    if (fixed !== undefined) return fixed;
    const custom = CUSTOM_TAG.exec(name);
    if (!custom) return tag;
    const [, close, tagName = ""] = custom;
    if (close) return openTags.has(tagName) ? ")" : tag;
    openTags.add(tagName);
    return `(?P<${mapTagToGroup(tagName)}>`;
  });
}

/** fail2ban rewrites `((?i)x)` / `(?:(?i)x)` to the scoped form `(?i:x)` (failregex.py R_GLOB2LOCFLAGS). */
export function globalFlagsToScoped(regex: string): string {
  return regex.replace(/(?<!\\)\((?:\?:)?(\(\?[a-z]+)\)/g, "$1:");
}
