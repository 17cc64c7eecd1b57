import type { PortableDateTemplate } from "../date/date-template.js";
import { toPcre2Pattern } from "../regex/pcre2-pattern.js";
import type { CompiledFilter } from "./compiled-filter.js";
import type { PortableFilterRegex } from "./fail-regex.js";

/**
 * The scan plan: a compiled filter as the native scanner (native/src, format in plan.h) reads
 * it. Everything fail2ban-specific that is hard (INI, tags, Python → JS regex translation, date
 * templates) stays in TypeScript; the plan carries only its results, so the native scanner runs
 * the same regexes with the same group names, in the same order.
 */
export type ScanPlan =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: string };

export interface ScanPlanInput {
  readonly filter: CompiledFilter;
  /** The date detector's templates, in the order the first line tries them. */
  readonly templates: readonly PortableDateTemplate[];
  readonly defaultTzMinutes: number | null;
  /** Hosts-file names (lower case) → addresses, for `usedns = yes|warn` (empty otherwise). */
  readonly hosts: ReadonlyMap<string, readonly string[]>;
}

const PLAN_VERSION = 1;

/** The plan, or why the native scanner cannot reproduce this filter exactly (use the JS engine). */
export function scanPlan(input: ScanPlanInput): ScanPlan {
  const { filter } = input;
  if (filter.maxLines !== 1) return unsupported(`maxlines = ${filter.maxLines} (multi-line buffers)`);
  const lines = [
    `rampart-scan-plan ${PLAN_VERSION}`,
    `filter name=${encode(filter.name)} maxlines=${filter.maxLines} usedns=${filter.useDns}`,
  ];
  const regexes: [string, PortableFilterRegex][] = [
    ...(filter.prefRegex ? [["pref", filter.prefRegex] as [string, PortableFilterRegex]] : []),
    ...filter.failRegexes.map((r) => ["fail", r] as [string, PortableFilterRegex]),
    ...filter.ignoreRegexes.map((r) => ["ignore", r] as [string, PortableFilterRegex]),
  ];
  for (const [role, regex] of regexes) {
    const groupNames = regex.captureNames.map((n) => (n !== undefined && scannerReads(n) ? n : undefined));
    const pcre = toPcre2Pattern(regex.pattern, regex.flags, { groupNames });
    if (!pcre.ok) return unsupported(`${role}regex ${JSON.stringify(regex.source)}: ${pcre.reason}`);
    const names = pcre2Names(regex.captureNames, pcre.groupNumbers ?? []);
    lines.push(
      `regex role=${role} options=${pcre.options} start=${startField(regex.startChars)} names=${names.join(",")} pattern=${encode(pcre.pattern)}${asciiField(pcre.asciiPattern)}${absentFields(pcre.absent)}${tailFields(pcre.tail)}${headField(role, regex.head)}`,
    );
  }
  lines.push(`date default-tz=${input.defaultTzMinutes === null ? "none" : input.defaultTzMinutes}`);
  for (const t of input.templates) {
    const pcre = toPcre2Pattern(t.pattern, t.jsFlags);
    if (!pcre.ok) return unsupported(`date template ${JSON.stringify(t.name)}: ${pcre.reason}`);
    if (!Number.isFinite(t.weight)) return unsupported(`date template ${JSON.stringify(t.name)}: weight`);
    lines.push(
      `template kind=${t.kind} flags=${t.flags} weight=${t.weight} name=${encode(t.name)} options=${pcre.options} keys=${t.keys.map(encode).join(",")} group=${t.group} pattern=${encode(pcre.pattern)}${asciiField(pcre.asciiPattern)}`,
    );
  }
  for (const [name, addresses] of input.hosts) {
    if (addresses.length === 0) continue;
    lines.push(`host name=${encode(name)} addresses=${addresses.map(encode).join(",")}`);
  }
  lines.push("end", "");
  return { ok: true, text: lines.join("\n") };
}

/**
 * The group names the native scanner reads (native/src/filter.c `key_names`, and alt_ names,
 * whose values fill their target's); it ignores every other name, so toPcre2Pattern may drop
 * the groups that have none of these.
 */
const SCANNER_KEYS: ReadonlySet<string> = new Set([
  "content",
  "fid",
  "ip4",
  "ip6",
  "dns",
  "cidr",
  "user",
  "mlfid",
  "nofail",
  "mlfgained",
  "mlfforget",
]);

export function scannerReads(name: string): boolean {
  return SCANNER_KEYS.has(name) || (name.length > 4 && name.startsWith("alt_"));
}

/**
 * The plan's `names=`: by PCRE2 group number (toPcre2Pattern's groupNumbers), the name of the
 * JS groups it stands for ("-" for none).
 */
function pcre2Names(captureNames: readonly (string | undefined)[], numbers: readonly number[]): string[] {
  const names: string[] = [];
  numbers.forEach((n, i) => {
    if (n > 0 && names[n - 1] === undefined) {
      const name = captureNames[i];
      names[n - 1] = name === undefined ? "-" : encode(name);
    }
  });
  return names;
}

/** The optional ` ascii=` field: the pattern for all-ASCII subjects (PCRE2 without UTF). */
/** The prefilter (toPcre2Pattern's `absent`): ` absent=… absent-pattern=… [absent-ascii=…]`, or "". */
function absentFields(
  absent: { literal: string; pattern: string; asciiPattern?: string } | undefined,
): string {
  if (absent === undefined) return "";
  const ascii = absent.asciiPattern === undefined ? "" : ` absent-ascii=${encode(absent.asciiPattern)}`;
  return ` absent=${encode(absent.literal)} absent-pattern=${encode(absent.pattern)}${ascii}`;
}

/** The tail variant (toPcre2Pattern's `tail`): ` tail-group=… tail=… [tail-ascii=…]`, or "". */
function tailFields(tail: { group: number; pattern: string; asciiPattern?: string } | undefined): string {
  if (tail === undefined) return "";
  const ascii = tail.asciiPattern === undefined ? "" : ` tail-ascii=${encode(tail.asciiPattern)}`;
  return ` tail-group=${tail.group} tail=${encode(tail.pattern)}${ascii}`;
}

function asciiField(asciiPattern: string | undefined): string {
  return asciiPattern === undefined ? "" : ` ascii=${encode(asciiPattern)}`;
}

function unsupported(reason: string): ScanPlan {
  return { ok: false, reason };
}

/**
 * A failregex's literal head (start-chars.ts anchoredLiteralHead) when it says more than the
 * start characters do: the scanner does not run the regex on a subject that does not start with it.
 */
function headField(role: string, head: string | undefined): string {
  return role === "fail" && head !== undefined && head.length >= 2 ? ` head=${encode(head)}` : "";
}

/** The 16-byte start-character bitmap as hex, or "*" when any character may start a match. */
function startField(startChars: Uint8Array | undefined): string {
  if (startChars === undefined) return "*";
  const bitmap = new Uint8Array(16);
  for (let c = 0; c < 128; c++) if (startChars[c]) bitmap[c >> 3]! |= 1 << (c & 7);
  return Array.from(bitmap, (b) => b.toString(16).padStart(2, "0")).join("");
}

const PLAIN = /^[A-Za-z0-9._~/:+-]$/;
const utf8 = new TextEncoder();

/** Percent-encodes every UTF-8 byte outside the plain set (plan.h, "S"). */
export function encode(text: string): string {
  let out = "";
  for (const ch of text) {
    if (PLAIN.test(ch)) out += ch;
    else for (const byte of utf8.encode(ch)) out += `%${byte.toString(16).padStart(2, "0")}`;
  }
  return out;
}
