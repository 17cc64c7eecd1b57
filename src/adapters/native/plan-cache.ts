import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FilterFiles } from "../../core/filter/config/filter-definition.js";
import type { FilterDescription } from "../matcher/matcher-protocol.js";

/**
 * Scan plans kept between runs. Loading a filter, translating its regexes and building its plan
 * take 100–150 ms, more than the native scanner needs for 100,000 lines. A plan is reused only
 * when everything it was built from is unchanged: every filter file the loader read (by content
 * hash, and the ones it looked for and did not find), every folder it listed, the hosts file,
 * the year (the %ExY date regex depends on it), Rampart's plan-building code and the scanner.
 *
 * Two readers share the entry format: this module, and the native front door
 * (native/src/front.c), which runs `filter test` from a cached plan without starting Node at
 * all. So an entry states every condition of its own validity explicitly, in terms both can
 * check byte for byte (raw file bytes, raw folder listings, stat fields), and nothing needs
 * JavaScript to evaluate. The format, version 2 (all numbers decimal):
 *
 *   rampart scan-plan cache 2\n
 *   sum HASH 0\n\n   HASH = sha256 of every byte after this record: a damaged entry is a miss
 *   then records, each `TAG[ ARG]* N\n` + N bytes of payload + `\n`:
 *     key N           payload: the lookup key (see keyText); must equal the one looked up
 *     year Y 0        the local year when the plan was built
 *     maxline M 0     the longest line (UTF-16 units) the scanner reads whole
 *     stat SIZE MTIME_NS INO N   payload: a path whose stat must match (code files, the scanner)
 *     list HASH N     payload: a folder; HASH = sha256 of its entry names (bytes, sorted
 *                     bytewise, each followed by NUL), or "-" when it cannot be listed
 *     read HASH N     payload: a file; HASH = sha256 of its bytes, or "-" when it cannot be read
 *     name N | pref N | fail N | ignore N   payload: the filter's name and regex texts (summary)
 *   and last `plan N\n` + the N bytes of the scan plan, up to the end of the file.
 */

export interface CachedPlan {
  readonly plan: string;
  /** The filter's regex texts, for `filter test`'s summary. */
  readonly description: FilterDescription;
  /** The longest line (UTF-16 units) the scanner reads whole, as the plan's builder chose it. */
  readonly maxLine: number;
}

const MAGIC = "rampart scan-plan cache 2\n";

/** Where plans are kept: RAMPART_CACHE_DIR, else $XDG_CACHE_HOME/rampart, else ~/.cache/rampart; "" disables. */
export function planCacheDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const explicit = env.RAMPART_CACHE_DIR;
  if (explicit !== undefined) return explicit === "" ? undefined : explicit;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "rampart");
  const home = env.HOME ?? homedir();
  return home ? join(home, ".cache", "rampart") : undefined;
}

/** A FilterFiles that remembers what the loader read and listed (the plan's inputs). */
export class RecordingFilterFiles implements FilterFiles {
  /** Path → the text the loader got, or null when there was none. */
  readonly reads = new Map<string, string | null>();
  /** Folder → the names the loader got. */
  readonly lists = new Map<string, string[]>();
  constructor(private readonly inner: FilterFiles) {}
  read(path: string): string | undefined {
    const text = this.inner.read(path);
    this.reads.set(path, text ?? null);
    return text;
  }
  list(dir: string): string[] {
    const names = this.inner.list(dir);
    this.lists.set(dir, [...names]);
    return names;
  }
}

export interface PlanCacheKey {
  readonly filterSpec: string;
  readonly filterDir: string | undefined;
  /** The scanner that will run the plan (its path is part of the key, its stat a condition). */
  readonly scanner: string;
}

/** The lookup key as text; native/src/front.c builds the same bytes from its arguments. */
export function keyText(key: PlanCacheKey): string {
  const dir = key.filterDir === undefined ? "-" : `d${key.filterDir}`;
  return `rampart plan key 2\0${key.filterSpec}\0${dir}\0${key.scanner}`;
}

/** The entry's file name in the cache folder (front.c: entry_name). */
export function entryName(key: PlanCacheKey): string {
  return `scan-plan-${sha256(Buffer.from(keyText(key), "utf8")).slice(0, 32)}`;
}

type Condition =
  | {
      readonly tag: "stat";
      readonly path: string;
      readonly size: bigint;
      readonly mtimeNs: bigint;
      readonly ino: bigint;
    }
  | { readonly tag: "list" | "read"; readonly path: string; readonly hash: string };

export interface Entry {
  readonly key: string;
  readonly year: number;
  readonly maxLine: number;
  readonly conditions: readonly Condition[];
  readonly description: FilterDescription;
  readonly plan: string;
}

export class PlanCache {
  private constructor(private readonly dir: string) {}

  /** The cache in `dir`, or undefined when it is not a private folder of this user. */
  static open(dir: string | undefined): PlanCache | undefined {
    if (dir === undefined) return undefined;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = lstatSync(dir);
      // A plan decides what the scanner runs: never trust a folder someone else can write.
      const uid = process.getuid?.();
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0)
        return undefined;
      return new PlanCache(dir);
    } catch {
      return undefined;
    }
  }

  /** The plan stored for `key`, if every condition it was stored with still holds. */
  get(key: PlanCacheKey): CachedPlan | undefined {
    let entry: Entry;
    try {
      entry = parseEntry(readFileSync(join(this.dir, entryName(key))));
    } catch {
      return undefined;
    }
    if (entry.key !== keyText(key) || entry.year !== new Date().getFullYear()) return undefined;
    if (!entry.conditions.every(holds)) return undefined;
    return { plan: entry.plan, description: entry.description, maxLine: entry.maxLine };
  }

  /**
   * Stores a plan (temp file, fsync, rename); a failure only means no cache next time. Files
   * are hashed as bytes now, so each is first checked to still hold the text the loader read:
   * a file edited meanwhile leaves the plan uncached rather than cached under the new content.
   */
  put(
    key: PlanCacheKey,
    recorded: RecordingFilterFiles,
    extraReads: readonly string[],
    value: CachedPlan,
  ): void {
    const conditions: Condition[] = [];
    const code = walkPlanCode();
    for (const path of [...code.files, key.scanner]) {
      const st = statSync(path, { bigint: true });
      conditions.push({ tag: "stat", path, size: st.size, mtimeNs: st.mtimeNs, ino: st.ino });
    }
    for (const dir of code.dirs) conditions.push({ tag: "list", path: dir, hash: listingHash(dir) });
    for (const [dir, names] of recorded.lists) {
      const now = listing(dir);
      const seen = [...names].sort();
      const same = now?.map((n) => n.toString("utf8")).sort() ?? [];
      if (same.length !== seen.length || same.some((n, i) => n !== seen[i])) return;
      conditions.push({ tag: "list", path: dir, hash: listingHash(dir) });
    }
    const checks: [string, string | null | undefined][] = [...recorded.reads];
    for (const path of extraReads) if (!recorded.reads.has(path)) checks.push([path, undefined]);
    for (const [path, seen] of checks) {
      const bytes = readBytes(path);
      if (seen !== undefined && (bytes?.toString("utf8") ?? null) !== seen) return;
      conditions.push({ tag: "read", path, hash: bytes === undefined ? "-" : sha256(bytes) });
    }
    const text = serializeEntry({
      key: keyText(key),
      year: new Date().getFullYear(),
      maxLine: value.maxLine,
      conditions,
      description: value.description,
      plan: value.plan,
    });
    const target = join(this.dir, entryName(key));
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const fd = openSync(temp, "wx", 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, target);
    } catch {
      try {
        unlinkSync(temp);
      } catch {}
    }
  }
}

function holds(c: Condition): boolean {
  if (c.tag === "stat") {
    try {
      const st = statSync(c.path, { bigint: true });
      return st.size === c.size && st.mtimeNs === c.mtimeNs && st.ino === c.ino;
    } catch {
      return false;
    }
  }
  if (c.tag === "list") return listingHash(c.path) === c.hash;
  const bytes = readBytes(c.path);
  return (bytes === undefined ? "-" : sha256(bytes)) === c.hash;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function readBytes(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

function listing(dir: string): Buffer[] | undefined {
  try {
    return readdirSync(dir, { encoding: "buffer" });
  } catch {
    return undefined;
  }
}

/** sha256 of a folder's names (bytes, sorted bytewise, each followed by NUL), "-" if unlistable. */
function listingHash(dir: string): string {
  const names = listing(dir);
  if (names === undefined) return "-";
  const hash = createHash("sha256");
  for (const name of names.sort(Buffer.compare)) hash.update(name).update("\0");
  return hash.digest("hex");
}

/** The entry's bytes (payloads are length-prefixed: any byte may appear in a path or regex). */
export function serializeEntry(entry: Entry): Buffer {
  const parts: Buffer[] = [];
  const record = (head: string, payload: string | Buffer, last = false) => {
    const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
    parts.push(Buffer.from(`${head} ${body.length}\n`), body);
    if (!last) parts.push(Buffer.from("\n"));
  };
  record("key", entry.key);
  record(`year ${entry.year}`, "");
  record(`maxline ${entry.maxLine}`, "");
  for (const c of entry.conditions) {
    if (c.tag === "stat") record(`stat ${c.size} ${c.mtimeNs} ${c.ino}`, c.path);
    else record(`${c.tag} ${c.hash}`, c.path);
  }
  record("name", entry.description.name);
  if (entry.description.prefregex !== undefined) record("pref", entry.description.prefregex);
  for (const r of entry.description.failregex) record("fail", r.source);
  for (const r of entry.description.ignoreregex) record("ignore", r.source);
  record("plan", entry.plan, true);
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(`${MAGIC}sum ${sha256(body)} 0\n\n`), body]);
}

/** Parses an entry; throws on anything malformed (the caller treats that as a miss). */
export function parseEntry(bytes: Buffer): Entry {
  if (!bytes.subarray(0, MAGIC.length).equals(Buffer.from(MAGIC))) throw new Error("not a v2 entry");
  const sum = /^sum ([0-9a-f]{64}) 0\n\n/.exec(bytes.toString("latin1", MAGIC.length, MAGIC.length + 72));
  let at = MAGIC.length + 72;
  if (!sum || sha256(bytes.subarray(at)) !== sum[1]) throw new Error("damaged entry");
  let key: string | undefined;
  let year: number | undefined;
  let maxLine: number | undefined;
  let name = "";
  let prefregex: string | undefined;
  const failregex: { source: string }[] = [];
  const ignoreregex: { source: string }[] = [];
  const conditions: Condition[] = [];
  for (;;) {
    const eol = bytes.indexOf(0x0a, at);
    if (eol < 0) throw new Error("truncated entry");
    const fields = bytes.toString("latin1", at, eol).split(" ");
    const length = Number(fields.pop());
    if (!Number.isSafeInteger(length) || length < 0 || eol + 1 + length > bytes.length)
      throw new Error("bad record length");
    const payload = bytes.subarray(eol + 1, eol + 1 + length);
    const text = payload.toString("utf8");
    const [tag, ...args] = fields;
    if (tag === "plan") {
      if (eol + 1 + length !== bytes.length) throw new Error("bytes after the plan");
      if (key === undefined || year === undefined || maxLine === undefined)
        throw new Error("incomplete entry");
      const description = { name, prefregex, failregex, ignoreregex };
      return { key, year, maxLine, conditions, description, plan: text };
    }
    if (bytes[eol + 1 + length] !== 0x0a) throw new Error("record not ended by a newline");
    at = eol + 2 + length;
    const arity = {
      key: 0,
      year: 1,
      maxline: 1,
      stat: 3,
      list: 1,
      read: 1,
      name: 0,
      pref: 0,
      fail: 0,
      ignore: 0,
    };
    if (!(tag! in arity) || args.length !== arity[tag as keyof typeof arity])
      throw new Error(`bad record ${tag}`);
    if (tag === "key") key = text;
    else if (tag === "year") year = Number(args[0]);
    else if (tag === "maxline") maxLine = Number(args[0]);
    else if (tag === "stat") {
      const [size, mtimeNs, ino] = args.map((a) => BigInt(a)) as [bigint, bigint, bigint];
      conditions.push({ tag: "stat", path: text, size, mtimeNs, ino });
    } else if (tag === "list" || tag === "read") conditions.push({ tag, path: text, hash: args[0]! });
    else if (tag === "name") name = text;
    else if (tag === "pref") prefregex = text;
    else if (tag === "fail") failregex.push({ source: text });
    else ignoreregex.push({ source: text });
  }
}

/**
 * The folders (under dist/src) of every module that loading a filter and building its plan
 * imports: a change to any of them (a rebuild) makes new plans. The rest of Rampart (guard,
 * audit, …) is not walked: it is not on `filter test`'s start-up path.
 */
const PLAN_CODE_DIRS = [
  "adapters/filter",
  "adapters/filter-files",
  "adapters/native",
  "core/date",
  "core/errors",
  "core/filter",
  "core/ip",
  "core/regex",
];

let codeWalk: { dirs: string[]; files: string[] } | undefined;

/** The plan-building code: its folders (recursively) and compiled modules (tests excluded). */
function walkPlanCode(): { dirs: string[]; files: string[] } {
  if (codeWalk !== undefined) return codeWalk;
  const dirs: string[] = [];
  const files: string[] = [];
  const walk = (dir: string) => {
    dirs.push(dir);
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith(".js") && !e.name.endsWith(".test.js")) files.push(path);
    }
  };
  const root = fileURLToPath(new URL("../../", import.meta.url));
  for (const dir of PLAN_CODE_DIRS) walk(join(root, dir));
  codeWalk = { dirs, files };
  return codeWalk;
}
