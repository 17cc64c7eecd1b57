import type { DateDetector, DateDetectorState } from "../date/date-detector.js";
import { parseIp } from "../ip/ip-address.js";
import { type FilterRegex, type Groups, type TupleLine, tupleLinesBuffer } from "./fail-regex.js";
import { type FailureId, failureId } from "./failure-id.js";
import type { UseDns } from "./host-tags.js";
import type { LineFilter, LogFailure } from "./log-failure.js";
import { MlfidCache } from "./mlfid-cache.js";

export interface LogFilterParts {
  readonly name: string;
  readonly prefRegex: FilterRegex | undefined;
  readonly failRegexes: readonly FilterRegex[];
  readonly ignoreRegexes: readonly FilterRegex[];
  readonly maxLines: number;
  readonly dateDetector: DateDetector;
  readonly useDns: UseDns;
  /**
   * Addresses for a hostname id (fail2ban's `usedns = yes|warn`). Rampart's adapters answer from
   * the hosts file only: a DNS query driven by attacker-written log text is never made.
   */
  readonly resolveHost?: ((name: string) => readonly string[]) | undefined;
}

/** Where `LogFilter.recordDates` sends each line's date outcome (three numbers). */
export interface DateOutcomeSink {
  push3(before: number, after: number, time: number): void;
}

/** Per-failregex statistics, for `rampart filter test`'s summary. */
export interface RegexStats {
  readonly failHits: number[];
  readonly ignoreHits: number[];
}

/**
 * Everything a filter carries from one line to the next (see `LogFilter.exportState`), as
 * structured-cloneable data (it crosses threads with postMessage).
 */
export interface LogFilterState {
  readonly lineBuffer: readonly TupleLine[];
  readonly lastTimeText: string;
  readonly lastDate: number | undefined;
  /** The mlfid cache's entries, oldest first: [key, expiry, merged failure data]. */
  readonly mlfid: readonly (readonly [string, number, FailData])[];
  readonly date: DateDetectorState;
}

/** Merged multi-line failure data: fail2ban keeps these in the ticket's dict. */
export interface FailData {
  groups: Groups;
  users?: Set<string>;
  matches?: TupleLine[] | undefined;
  nofailMatches?: TupleLine[] | undefined;
  mlfpending?: boolean;
}

const PENDING = Symbol("pending");
const NO_ID = Symbol("no-id");

const NOFAIL = 1;
const FORGET = 2;
const PREVIOUS_STATE = 4;
const GAINED = 8;

/**
 * One log filter, with fail2ban 1.0.2's line pipeline as `fail2ban-regex -o` runs it
 * (server/filter.py `processLine`, `findFailure`, `_mergeFailure`): cut the date out, keep a
 * `maxlines` buffer, prefregex (and `<F-CONTENT>`), first matching failregex wins, ignoreregex,
 * failure id from fid/ip4/ip6/dns, multi-line merging by `<F-MLFID>`. Never resolves DNS:
 * a hostname id is reported only when it is literally an address.
 */
export class LogFilter implements LineFilter {
  readonly name: string;
  readonly stats: RegexStats;
  private readonly parts: LogFilterParts;
  private lineBuffer: TupleLine[] = [];
  private lastTimeText = "";
  private lastDate: number | undefined;
  private readonly mlfid = new MlfidCache<FailData>(100, 5 * 60);
  /** Set when the last line was matched by an ignoreregex (for statistics). */
  lastLineIgnored = false;
  /** Set when the prefregex (if any) matched the last line. */
  lastPrefMatched = false;
  /** How one-off warm-up work runs (a watchdog stops its clock for it); directly by default. */
  setUntimedRunner(run: (work: () => void) => void): void {
    this.runUntimed = run;
    this.parts.dateDetector.setUntimedRunner(run);
  }

  /** Whether failures carry their log text (`matches`); the guard's actions need it, `filter test` does not. */
  collectMatches = true;
  private runUntimed: (work: () => void) => void = (work) => work();

  constructor(parts: LogFilterParts) {
    this.parts = parts;
    this.name = parts.name;
    this.stats = {
      failHits: parts.failRegexes.map(() => 0),
      ignoreHits: parts.ignoreRegexes.map(() => 0),
    };
  }

  /** The regexes (for summaries; their hits are in `stats`). */
  describe(): {
    name: string;
    prefregex: string | undefined;
    failregex: { source: string }[];
    ignoreregex: { source: string }[];
  } {
    return {
      name: this.name,
      prefregex: this.parts.prefRegex?.source,
      failregex: this.parts.failRegexes.map((r) => ({ source: r.source })),
      ignoreregex: this.parts.ignoreRegexes.map((r) => ({ source: r.source })),
    };
  }

  // Each regex and date template is compiled when first needed, through the untimed runner:
  // most of fail2ban's ~30 default date templates are never reached, and a failregex that no
  // line's first character can start is never run.

  /** The regex, compiled first (with the watchdog's clock stopped) if this is its first use. */
  private ready(regex: FilterRegex): FilterRegex {
    if (!regex.warmed) this.runUntimed(() => regex.warmUp());
    return regex;
  }

  processLine(text: string, lineNumber: number, now: number): LogFailure[] {
    this.lastLineIgnored = false;
    this.lastPrefMatched = false;
    const dated = this.cutDate(text, now);
    if (dated === undefined) return [];
    return this.findFailures(dated.tuple, dated.date, lineNumber, now);
  }

  /**
   * Only the date stage of `processLine`: the date detector and the last-date memory advance as
   * they would, no regex runs. A split scan uses it to replay a later part's dates (see
   * `recordDates`): the date stage never depends on what the failregexes found.
   */
  replayDate(text: string, now: number): void {
    this.cutDate(text, now);
  }

  /**
   * When set, every line's date stage appends its outcome: three numbers, the length of the text
   * before the date, the length after it (-1, -1 for a line fail2ban skips) and the time (NaN when
   * none). With `collectMatches` off these decide everything the rest of the pipeline sees.
   */
  recordDates: DateOutcomeSink | undefined;

  /**
   * The state that carries from one line to the next, besides the date stage: the multi-line
   * buffer and the mlfid cache. Two filters with equal snapshots (and the same date outcomes
   * from here on) produce the same failures from here on.
   */
  stateSnapshot(): string {
    return JSON.stringify({
      buffer: this.parts.maxLines > 1 ? this.lineBuffer : [],
      mlfid: this.mlfid
        .snapshot()
        .map(([key, expires, fail]) => [
          key,
          expires,
          fail.groups,
          fail.users ? [...fail.users] : null,
          fail.matches ?? null,
          fail.nofailMatches ?? null,
          fail.mlfpending ?? null,
        ]),
    });
  }

  /**
   * The exact state carried from line to line: the multi-line buffer, the mlfid cache (entries,
   * expiry, order), the last date and its text, and the date detector's state. A filter built
   * from the same definition that imports it answers every later line exactly as this one would.
   * The result shares this filter's live data: clone it (postMessage and structuredClone do)
   * before this filter processes another line. Regex hit statistics are not part of it.
   */
  exportState(): LogFilterState {
    return {
      lineBuffer: this.lineBuffer,
      lastTimeText: this.lastTimeText,
      lastDate: this.lastDate,
      mlfid: this.mlfid.snapshot(),
      date: this.parts.dateDetector.exportState(),
    };
  }

  /** Continues from an `exportState()` (a copy of it: the filter takes it over and mutates it). */
  importState(state: LogFilterState): void {
    this.parts.dateDetector.importState(state.date);
    this.lineBuffer = [...state.lineBuffer];
    this.lastTimeText = state.lastTimeText;
    this.lastDate = state.lastDate;
    this.mlfid.restore(state.mlfid);
    this.lastLineIgnored = false;
    this.lastPrefMatched = false;
  }

  /** fail2ban's date stage: the line split around its date, and the date; undefined for a line it skips. */
  private cutDate(text: string, now: number): { tuple: TupleLine; date: number | undefined } | undefined {
    let tuple: TupleLine;
    let date: number | undefined;
    const m = this.parts.dateDetector.match(text, now);
    // fail2ban logs "Failed to process line" and skips it (filter.py processLineAndAdd).
    if (m?.fault) {
      this.recordDates?.push3(-1, -1, Number.NaN);
      return undefined;
    }
    const lastDateIsRecent = this.lastDate !== undefined && this.lastDate > now - 60;
    if (m) {
      const dateText = text.slice(m.start, m.end);
      tuple = [text.slice(0, m.start), dateText, text.slice(m.end)];
      if (dateText !== "") {
        if (m.time !== null) {
          date = m.time;
          this.lastTimeText = dateText;
          this.lastDate = date;
        }
      } else if (lastDateIsRecent) {
        tuple = ["", this.lastTimeText, text];
        date = this.lastDate;
      } else {
        date = now;
      }
    } else {
      tuple = ["", "", text];
    }
    if (date === undefined && lastDateIsRecent) {
      // An unparsable or missing date borrows the last one, and the whole line is matched.
      tuple = ["", this.lastTimeText, text];
      date = this.lastDate;
    }
    this.recordDates?.push3(tuple[0].length, tuple[2].length, date ?? Number.NaN);
    return { tuple, date };
  }

  processJournalLine(text: string, time: number, lineNumber: number, now: number): LogFailure[] {
    this.lastLineIgnored = false;
    this.lastPrefMatched = false;
    this.lastTimeText = "";
    this.lastDate = time;
    return this.findFailures(["", "", text], time, lineNumber, now);
  }

  private findFailures(
    tuple: TupleLine,
    date: number | undefined,
    lineNumber: number,
    now: number,
  ): LogFailure[] {
    const { prefRegex, failRegexes, ignoreRegexes, maxLines } = this.parts;
    const failures: LogFailure[] = [];
    let orgBuffer: readonly TupleLine[];
    if (maxLines > 1) {
      this.lineBuffer.push(tuple);
      if (this.lineBuffer.length > maxLines) this.lineBuffer = this.lineBuffer.slice(-maxLines);
      orgBuffer = this.lineBuffer;
    } else {
      this.lineBuffer = [tuple];
      orgBuffer = this.lineBuffer;
    }
    let buf: string | undefined = tupleLinesBuffer(orgBuffer);

    if (ignoreRegexes.length > 0 && ignoreRegexes.length < failRegexes.length - 2) {
      if (this.ignoreLine(buf, orgBuffer, undefined) !== undefined) return failures;
    }

    let preGroups: Groups | undefined;
    if (prefRegex) {
      const hit = this.ready(prefRegex).search(buf, orgBuffer);
      if (!hit) return failures;
      this.lastPrefMatched = true;
      preGroups = hit.groups;
      const content = preGroups.content;
      if (content) {
        this.lineBuffer = [["", "", content]];
        buf = undefined;
      }
    }

    for (let index = 0; index < failRegexes.length; index++) {
      const failRegex = failRegexes[index]!;
      if (buf === undefined) buf = tupleLinesBuffer(this.lineBuffer);
      if (failRegex.cannotStartWith(buf.charCodeAt(0))) continue;
      const hit = this.ready(failRegex).search(buf, orgBuffer);
      if (!hit) continue;
      if (ignoreRegexes.length > 0 && this.ignoreLine(buf, orgBuffer, hit) !== undefined) {
        buf = undefined;
        break;
      }
      this.stats.failHits[index] = (this.stats.failHits[index] ?? 0) + 1;
      this.lineBuffer = [...hit.unmatchedLines];
      buf = undefined;

      // dict.update semantics: the failregex's groups win, even when they did not participate.
      const groups = preGroups === undefined ? hit.groups : withPrefixGroups(preGroups, hit.groups);
      let fail: FailData = { groups };
      const mlfid = groups.mlfid;
      if (mlfid !== undefined) {
        fail = this.mergeFailure(mlfid, fail, hit.matchedLines, now);
        if (fail.groups.nofail) return failures;
      } else {
        if (this.collectMatches) fail.matches = [...(fail.matches ?? []), ...hit.matchedLines];
      }
      const ids = this.failureIds(fail.groups, mlfid);
      if (ids === PENDING) {
        fail.mlfpending = true;
        return failures;
      }
      // fail2ban logs "No group found" and goes on with the next failregex.
      if (ids === NO_ID) continue;
      const user = fail.groups.user ?? null;
      const matches = this.collectMatches ? (fail.matches ?? []).map((t) => t.join("")) : NO_MATCHES;
      for (const id of ids) {
        failures.push({
          id: id.id,
          ip: id.ip,
          time: date ?? now,
          line: lineNumber,
          user,
          matches,
        });
      }
      break;
    }
    return failures;
  }

  /**
   * The failure ids as fail2ban-regex prints them (one, or one per address of a hostname);
   * PENDING while a multi-line failure has no id yet, NO_ID when the regex captured none.
   */
  private failureIds(
    groups: Groups,
    mlfid: string | undefined,
  ): readonly FailureId[] | typeof PENDING | typeof NO_ID {
    const fid = groups.fid;
    const raw = this.parts.useDns === "raw";
    const cidr = groups.cidr ? Number(groups.cidr) : undefined;
    let ip = groups.ip4;
    let family: 4 | 6 | undefined;
    if (ip !== undefined) family = 4;
    else {
      ip = groups.ip6;
      if (ip !== undefined) family = 6;
    }
    if (ip !== undefined) {
      if (fid === undefined || fid === ip) return [failureId(ip, family, cidr)];
      return [raw ? rawId(fid) : failureId(fid, undefined)];
    }
    const dns = groups.dns;
    if (dns !== undefined) {
      if (raw) return [rawId(fid === undefined || fid === dns ? dns : fid)];
      // DNSUtils.textToIp: a literal IPv4 first (searchIP's IPv6 branch never returns), then names.
      if (/^(?:\d{1,3}\.){3}\d{1,3}$/.test(dns) && parseIp(dns)) return [failureId(dns, undefined)];
      if (this.parts.useDns === "no") return [];
      return (this.parts.resolveHost?.(dns) ?? []).map((address) => failureId(address, undefined));
    }
    if (fid === undefined) return mlfid === undefined ? NO_ID : PENDING;
    return [raw ? rawId(fid) : failureId(fid, undefined)];
  }

  private ignoreLine(
    buf: string,
    orgBuffer: readonly TupleLine[],
    failHit: { matchedLines: readonly TupleLine[]; unmatchedLines: readonly TupleLine[] } | undefined,
  ): number | undefined {
    let buffer = buf;
    let lines = orgBuffer;
    if (failHit && this.parts.maxLines > 1) {
      lines = failHit.matchedLines;
      buffer = tupleLinesBuffer(lines);
    }
    const ignoreRegexes = this.parts.ignoreRegexes;
    for (let index = 0; index < ignoreRegexes.length; index++) {
      if (this.ready(ignoreRegexes[index]!).search(buffer, lines)) {
        this.stats.ignoreHits[index] = (this.stats.ignoreHits[index] ?? 0) + 1;
        this.lastLineIgnored = true;
        if (failHit) this.lineBuffer = [...failHit.unmatchedLines];
        return index;
      }
    }
    return undefined;
  }

  /**
   * server/filter.py `_mergeFailure`: joins the lines of one connection (mlfid) into one failure.
   * Python pops keys; here they are set to undefined instead (`delete` would turn the object into
   * a slow dictionary), which nothing downstream tells apart: undefined values are never merged.
   */
  private mergeFailure(
    mlfid: string,
    current: FailData,
    matchedLines: readonly TupleLine[],
    now: number,
  ): FailData {
    let fail = current;
    let flags = 0;
    const g = fail.groups;
    if (g.mlfgained) {
      flags |= GAINED | NOFAIL;
      if (!g.nofail) g.nofail = g.mlfgained;
    } else if (g.nofail) flags |= NOFAIL;
    if (g.mlfforget) flags |= FORGET;
    g.mlfforget = undefined;
    const cached = this.mlfid.get(mlfid, now);
    let users: Set<string> | undefined;
    if (cached) {
      users = updateUsers(cached, g.user);
      const previousNofail = cached.groups.nofail;
      cached.groups.nofail = undefined;
      if (previousNofail) flags |= PREVIOUS_STATE;
      const previousGained = cached.groups.mlfgained;
      cached.groups.mlfgained = undefined;
      if (previousGained) flags |= PREVIOUS_STATE;
      if (flags & GAINED) cached.mlfpending = false;
      if ((flags & PREVIOUS_STATE) === 0 && !cached.mlfpending) cached.matches = undefined;
      for (const k in g) {
        const v = g[k];
        if (v !== undefined) cached.groups[k] = v;
      }
      fail = cached;
      if (flags & FORGET) this.mlfid.unset(mlfid);
    } else if (!(flags & FORGET)) {
      users = updateUsers(fail, g.user);
      this.mlfid.set(mlfid, fail, now);
    }
    const pending = fail.mlfpending;
    fail.mlfpending = false;
    if (pending || (users && users.size > 1)) {
      fail.groups.nofail = undefined;
      fail.groups.mlfgained = undefined;
      flags &= ~(GAINED | NOFAIL);
    }
    // The matched lines are only ever printed: without collectMatches they are not kept at all.
    if (!this.collectMatches) return fail;
    if ((flags & NOFAIL) === 0) {
      const merged = [...(fail.nofailMatches ?? []), ...(fail.matches ?? [])];
      fail.nofailMatches = undefined;
      if ((flags & GAINED) === 0) merged.push(...matchedLines);
      fail.matches = merged;
    } else if ((flags & (NOFAIL | FORGET)) === NOFAIL) {
      fail.nofailMatches = [...(fail.nofailMatches ?? []), ...matchedLines];
    }
    return fail;
  }
}

const NO_MATCHES: readonly string[] = Object.freeze([]);

/** The prefregex's groups (but its `content`) updated with the failregex's. */
function withPrefixGroups(prefix: Groups, own: Groups): Groups {
  const merged: Groups = {};
  for (const key in prefix) if (key !== "content") merged[key] = prefix[key];
  for (const key in own) merged[key] = own[key];
  return merged;
}

function updateUsers(fail: FailData, user: string | undefined): Set<string> | undefined {
  if (user) {
    if (!fail.users) fail.users = new Set();
    fail.users.add(user);
  }
  return fail.users;
}

/** `usedns = raw`: the text is the id; it is still an address when it strictly parses as one. */
function rawId(text: string): FailureId {
  return { id: text, ip: parseIp(text)?.text ?? null };
}
