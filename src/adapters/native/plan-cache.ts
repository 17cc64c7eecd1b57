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
 * the year (the %ExY date regex depends on it), Rampart's own code and the scanner binary.
 */

export interface CachedPlan {
  readonly plan: string;
  /** The filter's regex texts, for `filter test`'s summary. */
  readonly description: FilterDescription;
}

interface Entry extends CachedPlan {
  readonly version: 1;
  readonly key: string;
  /** [path, sha256 of the text or null when it was not there]. */
  readonly reads: readonly (readonly [string, string | null])[];
  readonly lists: readonly (readonly [string, readonly string[]])[];
}

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
  readonly reads = new Map<string, string | null>();
  readonly lists = new Map<string, string[]>();
  constructor(private readonly inner: FilterFiles) {}
  read(path: string): string | undefined {
    const text = this.inner.read(path);
    this.reads.set(path, text === undefined ? null : sha256(text));
    return text;
  }
  list(dir: string): string[] {
    const names = this.inner.list(dir);
    this.lists.set(dir, [...names].sort());
    return names;
  }
}

export interface PlanCacheKey {
  readonly filterSpec: string;
  readonly filterDir: string | undefined;
  readonly scanner: string;
}

export class PlanCache {
  private constructor(
    private readonly dir: string,
    private readonly files: FilterFiles,
  ) {}

  /** The cache in `dir`, or undefined when it is not a private folder of this user. */
  static open(dir: string | undefined, files: FilterFiles): PlanCache | undefined {
    if (dir === undefined) return undefined;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const st = lstatSync(dir);
      // A plan decides what the scanner runs: never trust a folder someone else can write.
      const uid = process.getuid?.();
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o022) !== 0)
        return undefined;
      return new PlanCache(dir, files);
    } catch {
      return undefined;
    }
  }

  get(key: PlanCacheKey): CachedPlan | undefined {
    const id = keyOf(key);
    let entry: Entry;
    try {
      entry = JSON.parse(readFileSync(this.pathOf(id), "utf8")) as Entry;
    } catch {
      return undefined;
    }
    if (entry.version !== 1 || entry.key !== id) return undefined;
    for (const [path, hash] of entry.reads) {
      const text = this.files.read(path);
      if ((text === undefined ? null : sha256(text)) !== hash) return undefined;
    }
    for (const [dir, names] of entry.lists) {
      const now = [...this.files.list(dir)].sort();
      if (now.length !== names.length || now.some((n, i) => n !== names[i])) return undefined;
    }
    return { plan: entry.plan, description: entry.description };
  }

  /** Stores a plan (temp file, fsync, rename); a failure only means no cache next time. */
  put(
    key: PlanCacheKey,
    recorded: RecordingFilterFiles,
    extraReads: readonly string[],
    value: CachedPlan,
  ): void {
    const id = keyOf(key);
    const reads = new Map(recorded.reads);
    for (const path of extraReads) {
      const text = this.files.read(path);
      reads.set(path, text === undefined ? null : sha256(text));
    }
    const entry: Entry = {
      version: 1,
      key: id,
      reads: [...reads],
      lists: [...recorded.lists],
      plan: value.plan,
      description: value.description,
    };
    const target = this.pathOf(id);
    const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      const fd = openSync(temp, "wx", 0o600);
      try {
        writeSync(fd, JSON.stringify(entry));
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

  private pathOf(id: string): string {
    return join(this.dir, `plan-${id}.json`);
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
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

let codeStamp: string | undefined;

/** The plan-building code as it is now: sizes and times of its compiled modules. */
function planCodeStamp(): string {
  if (codeStamp !== undefined) return codeStamp;
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else if (e.name.endsWith(".js") && !e.name.endsWith(".test.js")) {
        const st = statSync(path);
        hash.update(`${path}\0${st.size}\0${st.mtimeMs}\n`);
      }
    }
  };
  const root = fileURLToPath(new URL("../../", import.meta.url));
  for (const dir of PLAN_CODE_DIRS) walk(join(root, dir));
  codeStamp = hash.digest("hex");
  return codeStamp;
}

function keyOf(key: PlanCacheKey): string {
  const scanner = statSync(key.scanner);
  return sha256(
    JSON.stringify([
      key.filterSpec,
      key.filterDir ?? null,
      new Date().getFullYear(),
      planCodeStamp(),
      scanner.size,
      scanner.mtimeMs,
      scanner.ino,
    ]),
  ).slice(0, 32);
}
