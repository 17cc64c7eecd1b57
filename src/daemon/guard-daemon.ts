import { ControlServer } from "../adapters/control/control-server.js";
import { compileLineFilter } from "../adapters/filter/load-line-filter.js";
import { GuardedMatcher } from "../adapters/matcher/guarded-matcher.js";
import { type GuardEnforcer, NftGuardEnforcer } from "../adapters/nft/guard-enforcer.js";
import { expandLogPaths, isLogPathGlob } from "../adapters/sources/expand-log-paths.js";
import { FileSource } from "../adapters/sources/file-source.js";
import {
  JournalSource,
  type JournalSourceOptions,
  journalSourceId,
  SSHD_JOURNAL_MATCHES,
} from "../adapters/sources/journal-source.js";
import type { LogSource, SourceLine } from "../adapters/sources/log-source.js";
import { GuardStore } from "../adapters/store/guard-store.js";
import type { GuardConfig, JailConfig } from "../core/config/guard-section.js";
import { formatProblem, type Problem, type Result } from "../core/errors/problem.js";
import type { CompiledFilter } from "../core/filter/compiled-filter.js";
import type { LineFilter, LogFailure } from "../core/filter/log-failure.js";
import type { BanTarget } from "../core/guard/ban-target.js";
import { Detector } from "../core/guard/detector.js";
import type { GuardDecision } from "../core/guard/guard-decision.js";
import { guardLogLine } from "../core/guard/guard-log-line.js";
import type { GuardTableOptions, KernelBan } from "../core/guard/guard-nft-script.js";
import { IgnoreList } from "../core/guard/ignore-list.js";
import type {
  BanMessage,
  ControlRequest,
  ControlResponse,
  JailStatusMessage,
} from "../core/protocol/control-protocol.js";
import { ActionRunner } from "./action-runner.js";
import type { GuardLogger } from "./guard-logger.js";
import type { LoadedGuardConfig } from "./load-guard-config.js";

export interface GuardDaemonOptions {
  readonly config: GuardConfig;
  readonly logger: GuardLogger;
  /** Re-reads the config for `guard reload` / SIGHUP. */
  readonly reloadConfig: () => LoadedGuardConfig;
  /** argv that runs nft (default ["nft"]). */
  readonly nftCommand?: readonly string[];
  readonly enforcer?: GuardEnforcer;
  readonly now?: () => number;
  /** Where fail2ban-style filter names resolve (default: the built-in filters). */
  readonly filterDir?: string;
  /** Replaces the filter engine (tests feed their own LineFilter). */
  readonly loadFilter?: (jail: JailConfig) => Result<LineFilter>;
  /** How often the daemon checks that its table still exists (seconds; 0 = never). */
  readonly tableCheckSeconds?: number;
}

interface JailRuntime {
  config: JailConfig;
  /** In-process filter: only when a test injects one through `loadFilter`. */
  filter: LineFilter | undefined;
  /** The jail's filter in the guarded matcher (the default). */
  filterIndex: number;
  /** The files its `logpath` named when the sources started: globs are expanded then, as fail2ban does. */
  files: readonly string[];
}

interface SourceRuntime {
  source: LogSource;
  jails: string[];
}

/**
 * The guard's composition root: config → store → kernel table (restored in one transaction) →
 * sources → one filter per jail → detector → store, kernel, actions, log.
 */
export class GuardDaemon {
  private config: GuardConfig;
  private store!: GuardStore;
  private detector!: Detector;
  private enforcer: GuardEnforcer;
  private control: ControlServer | undefined;
  private jails = new Map<string, JailRuntime>();
  /** Runs the filters in a worker thread with a per-line time budget (ReDoS cannot stall us). */
  private matcher: GuardedMatcher | undefined;
  /** Batches go through the matcher strictly in arrival order. */
  private lineChain: Promise<void> = Promise.resolve();
  private sources = new Map<string, SourceRuntime>();
  private readonly actions: ActionRunner;
  private readonly now: () => number;
  private timers: NodeJS.Timeout[] = [];
  /** Kernel changes are serialised; bursts coalesce into the next transaction. */
  private kernelChain: Promise<void> = Promise.resolve();
  private pendingSet = new Map<string, KernelBan>();
  private pendingRemove = new Map<string, BanTarget>();
  private flushScheduled = false;
  private sweeps = 0;
  /**
   * What the kernel was last given, per target: the end time of its element. Lets a new ban be a
   * single cheap `add`; an entry stays a little past its end because the kernel's own expiry may
   * lag the daemon's by up to the 1 s timeout rounding, and an `add` on a still-present element
   * would keep the old, short timeout.
   */
  private readonly inKernel = new Map<string, number | null>();
  private stopped = false;
  readonly stats = { linesProcessed: 0, kernelBatches: 0, kernelErrors: 0 };

  constructor(private readonly options: GuardDaemonOptions) {
    this.config = options.config;
    this.now = options.now ?? (() => Date.now() / 1000);
    this.enforcer =
      options.enforcer ??
      new NftGuardEnforcer({
        table: this.config.nftTable,
        ...(options.nftCommand ? { command: options.nftCommand } : {}),
      });
    this.actions = new ActionRunner((m) => this.options.logger.notice(m));
  }

  async start(): Promise<void> {
    const log = this.options.logger;
    const jails = this.buildJails(this.config);
    if (!jails.ok) throw new Error(jails.problems.join("\n"));
    this.store = GuardStore.open(this.config.database);
    this.detector = new Detector(this.config.jails, this.config.ignoreip, this.store);
    const now = this.now();
    const restored = this.store.activeBans(now).filter((b) => this.detector.jailNames().includes(b.jail));
    this.detector.restore(restored);
    this.restorePendingFailures();
    await this.installTable();
    this.jails = jails.value;
    this.matcher = await this.startMatcher(jails.requests);
    this.control = new ControlServer(this.config.socket, (r) => this.handle(r));
    await this.control.listen();
    await this.startSources();
    this.timers.push(setInterval(() => this.tick(false), 1000));
    this.timers.push(setInterval(() => this.tick(true), 60_000));
    const check = this.options.tableCheckSeconds ?? 30;
    if (check > 0) this.timers.push(setInterval(() => void this.checkTable(), check * 1000));
    for (const t of this.timers) t.unref();
    // Only now is every source following its log: "started" means lines are being watched.
    log.notice(
      `Guard started: ${this.detector.jailNames().length} jail(s), ${restored.length} active ban(s) restored into table inet ${this.config.nftTable}`,
    );
  }

  /** Graceful stop: bans stay in the kernel (they carry their own timeouts) and in the store. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    await this.control?.close();
    await Promise.all([...this.sources.values()].map((s) => s.source.stop()));
    await this.lineChain;
    await this.matcher?.close();
    await this.flushKernel();
    await this.kernelChain;
    await this.actions.idle();
    this.enforcer.close?.();
    if (!this.store) return;
    this.savePendingFailures();
    this.store.close();
    this.options.logger.notice("Guard stopped; active bans stay in the kernel until they expire");
  }

  /** `guard reload` and SIGHUP: a bad config is refused and the running one kept. */
  async reload(): Promise<ControlResponse> {
    const loaded = this.options.reloadConfig();
    if (!loaded.ok) {
      const problems = loaded.problems.map(formatProblem);
      this.options.logger.notice(`Reload refused, keeping the running config: ${problems.join("; ")}`);
      return { ok: false, error: "The new config has problems; the running config is kept", problems };
    }
    const next = loaded.config;
    const jails = this.buildJails(next);
    if (!jails.ok) {
      this.options.logger.notice(`Reload refused, keeping the running config: ${jails.problems.join("; ")}`);
      return {
        ok: false,
        error: "The new config has problems; the running config is kept",
        problems: jails.problems,
      };
    }
    const notes: string[] = [];
    if (next.database !== this.config.database) notes.push(`"database" changes take effect on restart`);
    if (next.socket !== this.config.socket) notes.push(`"socket" changes take effect on restart`);
    const old = this.config;
    this.config = { ...next, database: old.database, socket: old.socket };
    this.options.logger.setLogfile(next.logfile);
    const matcher = await this.startMatcher(jails.requests);
    const decisions = this.detector.configure(next.jails, next.ignoreip);
    await this.lineChain;
    const oldMatcher = this.matcher;
    this.matcher = matcher;
    this.jails = jails.value;
    await oldMatcher?.close();
    const tableChanged =
      next.nftTable !== old.nftTable ||
      next.nftPriority !== old.nftPriority ||
      next.blocktype !== old.blocktype ||
      JSON.stringify(prefixesOf(next)) !== JSON.stringify(prefixesOf(old));
    if (next.nftTable !== old.nftTable) {
      await this.kernelChain;
      await this.enforcer.remove().catch(() => {});
      this.enforcer.close?.();
      this.enforcer =
        this.options.enforcer ??
        new NftGuardEnforcer({
          table: next.nftTable,
          ...(this.options.nftCommand ? { command: this.options.nftCommand } : {}),
        });
    }
    this.execute(decisions);
    if (tableChanged) await this.queueKernel(() => this.installTable());
    else {
      const allow = IgnoreList.allowEntries(next.ignoreip);
      await this.queueKernel(() => this.enforcer.updateAllow(allow.v4, allow.v6));
    }
    await Promise.all([...this.sources.values()].map((s) => s.source.stop()));
    this.sources.clear();
    await this.startSources();
    this.options.logger.notice(
      `Config reloaded from ${loaded.source}${notes.length ? ` (${notes.join("; ")})` : ""}`,
    );
    return { ok: true, result: { reloaded: true, jails: this.detector.jailNames(), notes } };
  }

  async handle(request: ControlRequest): Promise<ControlResponse> {
    const now = this.now();
    switch (request.op) {
      case "ping":
        return { ok: true, result: { pid: process.pid } };
      case "status": {
        if (request.jail !== undefined) {
          const s = this.jailStatus(request.jail);
          return s ? { ok: true, result: { jails: [s] } } : { ok: false, error: `No jail "${request.jail}"` };
        }
        return { ok: true, result: { jails: this.detector.jailNames().map((j) => this.jailStatus(j)) } };
      }
      case "banned": {
        const bans: BanMessage[] = this.detector.activeBans().map((b) => ({
          jail: b.jail,
          target: b.target.text,
          since: b.since,
          until: b.until,
          bantime: b.bantime,
          banCount: b.banCount,
        }));
        return { ok: true, result: { bans } };
      }
      case "ban": {
        const r = this.detector.manualBan(request.jail, request.address, now);
        if (!r.ok) return { ok: false, error: r.message };
        this.execute(r.decisions);
        await this.flushKernel();
        return { ok: true, result: { banned: r.decisions.map(describeDecision) } };
      }
      case "unban": {
        const r = this.detector.manualUnban(request.address, request.jail);
        if (!r.ok) return { ok: false, error: r.message };
        this.execute(r.decisions);
        await this.flushKernel();
        return { ok: true, result: { unbanned: r.decisions.map(describeDecision) } };
      }
      case "reload":
        return this.reload();
    }
  }

  private jailStatus(name: string): JailStatusMessage | undefined {
    const s = this.detector.status(name);
    const jail = this.jails.get(name);
    if (!s || !jail) return undefined;
    return {
      ...s,
      filter: jail.config.filter,
      backend: jail.config.backend,
      filesWatched:
        jail.config.backend === "file" ? jail.files : [`journal:${jail.config.journalmatch.join(" ")}`],
    };
  }

  private buildJails(
    config: GuardConfig,
  ):
    | { ok: true; value: Map<string, JailRuntime>; requests: CompiledFilter[] }
    | { ok: false; problems: string[] } {
    const out = new Map<string, JailRuntime>();
    const requests: CompiledFilter[] = [];
    const problems: string[] = [];
    for (const jail of config.jails) {
      if (!jail.enabled) continue;
      const logtype = jail.backend === "journald" ? "journal" : "file";
      const refuse = (found: readonly Problem[]) => {
        for (const p of found)
          problems.push(`Cannot load the filter of jail "${jail.name}": ${formatProblem(p)}`);
      };
      const runtime = { config: jail, filter: undefined, filterIndex: requests.length, files: [] };
      if (this.options.loadFilter) {
        const injected = this.options.loadFilter(jail);
        if (injected.ok) out.set(jail.name, { ...runtime, filter: injected.value });
        else refuse(injected.problems);
        continue;
      }
      // Compiled here, so that a bad filter is refused before anything changes; the matcher's
      // workers only instantiate it.
      const compiled = compileLineFilter(jail.filter, { filterDir: this.options.filterDir, logtype });
      if (!compiled.ok) {
        refuse(compiled.problems);
        continue;
      }
      out.set(jail.name, runtime);
      requests.push(compiled.value);
    }
    return problems.length ? { ok: false, problems } : { ok: true, value: out, requests };
  }

  private async startMatcher(requests: readonly CompiledFilter[]): Promise<GuardedMatcher | undefined> {
    if (this.options.loadFilter || requests.length === 0) return undefined;
    return GuardedMatcher.start(requests, {
      onLineAbandoned: (line, text) =>
        this.options.logger.notice(
          `Line ${line} (${text.length} characters) exceeded the filters' time budget and was skipped`,
        ),
    });
  }

  /** One source per file or journal query, shared by every jail that watches it. */
  private async startSources(): Promise<void> {
    const byPath = new Map<string, string[]>();
    const journals = new Map<string, { options: JournalSourceOptions; jails: string[] }>();
    for (const [name, jail] of this.jails) {
      if (jail.config.backend === "journald") {
        const options = this.journalOptions(jail.config);
        const id = journalSourceId(options);
        const entry = journals.get(id) ?? { options, jails: [] };
        entry.jails.push(name);
        journals.set(id, entry);
        continue;
      }
      // A glob is expanded now (at start and at reload), as fail2ban does; a plain path is
      // watched even before it exists.
      const files = new Set<string>();
      for (const pattern of jail.config.logpath) {
        const matched = expandLogPaths([pattern]);
        if (matched.length === 0 && isLogPathGlob(pattern)) {
          this.options.logger.notice(
            `Jail "${name}": logpath "${pattern}" matches no file now; it is looked at again on reload`,
          );
        }
        for (const file of matched) files.add(file);
      }
      jail.files = [...files].sort();
      for (const path of jail.files) byPath.set(path, [...(byPath.get(path) ?? []), name]);
    }
    for (const [id, { options, jails }] of journals) {
      const source = new JournalSource(options);
      this.sources.set(id, { source, jails });
      await source.start((batch) => this.onLines(jails, batch));
    }
    for (const [path, jails] of byPath) {
      const source = new FileSource({
        path,
        checkpoints: this.store,
        onNotice: (m) => this.options.logger.notice(m),
      });
      this.sources.set(path, { source, jails });
      await source.start((batch) => this.onLines(jails, batch));
    }
  }

  private journalOptions(jail: JailConfig): JournalSourceOptions {
    const groups: string[][] = [[]];
    for (const term of jail.journalmatch) {
      if (term === "+") groups.push([]);
      else groups[groups.length - 1]?.push(term);
    }
    const matches = groups.filter((g) => g.length > 0);
    return {
      matches: matches.length > 0 ? matches : SSHD_JOURNAL_MATCHES,
      checkpoints: this.store,
      ...(jail.journalfiles.length > 0 ? { files: jail.journalfiles } : {}),
      ...(jail.journalpath !== undefined ? { directory: jail.journalpath } : {}),
      onNotice: (m) => this.options.logger.notice(m),
    };
  }

  private onLines(jails: readonly string[], batch: readonly SourceLine[]): void {
    if (this.stopped) return;
    if (!this.matcher) {
      this.processInline(jails, batch);
      return;
    }
    const run = this.lineChain.then(() => this.processGuarded(jails, batch));
    this.lineChain = run.catch((error: unknown) =>
      this.options.logger.notice(`Filter error: ${(error as Error).message}`),
    );
  }

  private async processGuarded(jails: readonly string[], batch: readonly SourceLine[]): Promise<void> {
    const matcher = this.matcher;
    if (!matcher || this.stopped) return;
    const now = this.now();
    const runtimes = jails
      .map((name) => [name, this.jails.get(name)] as const)
      .filter(([, j]) => j !== undefined);
    const result = await matcher.match(
      {
        texts: batch.map((l) => l.text),
        numbers: batch.map((l) => l.line),
        times: batch.some((l) => l.time !== undefined) ? batch.map((l) => l.time) : undefined,
        filters: runtimes.map(([, j]) => j!.filterIndex),
      },
      now,
    );
    this.stats.linesProcessed += batch.length;
    // Line by line, then jail by jail: the order the failures happened in.
    const found: [number, number, LogFailure][] = [];
    result.failures.forEach((failures, k) => {
      for (const f of failures) found.push([f.line, k, f]);
    });
    found.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const decisions: GuardDecision[] = [];
    for (const [, k, failure] of found)
      decisions.push(...this.detector.observe(runtimes[k]![0], failure, now));
    this.execute(decisions);
  }

  private processInline(jails: readonly string[], batch: readonly SourceLine[]): void {
    const now = this.now();
    const decisions: GuardDecision[] = [];
    for (const line of batch) {
      this.stats.linesProcessed++;
      for (const name of jails) {
        const filter = this.jails.get(name)?.filter;
        if (!filter) continue;
        let failures: LogFailure[];
        try {
          failures =
            line.time !== undefined && filter.processJournalLine
              ? filter.processJournalLine(line.text, line.time, line.line, now)
              : filter.processLine(line.text, line.line, now);
        } catch (error) {
          this.options.logger.notice(
            `[${name}] Filter error on line ${line.line}: ${(error as Error).message}`,
          );
          continue;
        }
        for (const failure of failures) decisions.push(...this.detector.observe(name, failure, now));
      }
    }
    this.execute(decisions);
  }

  /** Carries decisions out: store first (durable), log, kernel (batched), actions. */
  private execute(decisions: readonly GuardDecision[]): void {
    if (decisions.length === 0) return;
    this.store.applyDecisions(decisions, this.now());
    for (const d of decisions) {
      this.options.logger.event(guardLogLine(d, process.pid));
      const target = d.kind === "ban" ? d.ban.target : d.target;
      const until = this.detector.kernelUntil(target);
      if (until !== undefined) {
        this.pendingRemove.delete(target.text);
        this.pendingSet.set(target.text, { target, until });
      } else if (d.kind === "unban" && d.reason !== "expired") {
        // An expired ban's element has already timed out in the kernel.
        this.pendingSet.delete(target.text);
        this.pendingRemove.set(target.text, target);
      }
      const jail = this.jails.get(d.kind === "ban" ? d.ban.jail : d.jail);
      if (jail && jail.config.actions.length > 0) this.actions.enqueue(jail.config.actions, d);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      void this.flushKernel();
    }
  }

  private flushKernel(): Promise<void> {
    this.flushScheduled = false;
    const now = this.now();
    const set: KernelBan[] = [];
    const fresh: KernelBan[] = [];
    for (const ban of this.pendingSet.values()) {
      const known = this.inKernel.get(ban.target.text);
      const absent =
        !this.inKernel.has(ban.target.text) ||
        (known !== null && known !== undefined && known + KERNEL_EXPIRY_SLACK < now);
      (absent ? fresh : set).push(ban);
      this.inKernel.set(ban.target.text, ban.until);
    }
    const remove = [...this.pendingRemove.values()];
    for (const target of remove) this.inKernel.delete(target.text);
    this.pendingSet.clear();
    this.pendingRemove.clear();
    if (set.length === 0 && fresh.length === 0 && remove.length === 0) return this.kernelChain;
    return this.queueKernel(async () => {
      this.stats.kernelBatches++;
      try {
        await this.enforcer.apply(set, remove, now, fresh);
      } catch (error) {
        this.stats.kernelErrors++;
        this.options.logger.notice(
          `${(error as Error).message}; re-installing the table with every active ban`,
        );
        await this.installTable();
      }
    });
  }

  private queueKernel(job: () => Promise<void>): Promise<void> {
    const next = this.kernelChain.then(job).catch((error: unknown) => {
      this.options.logger.notice(`Kernel update failed: ${(error as Error).message}`);
    });
    this.kernelChain = next;
    return next;
  }

  private async installTable(): Promise<void> {
    const now = this.now();
    const bans = this.kernelBans();
    await this.enforcer.install(this.tableOptions(), bans, now);
    this.inKernel.clear();
    for (const b of bans) this.inKernel.set(b.target.text, b.until);
  }

  private kernelBans(): KernelBan[] {
    const byTarget = new Map<string, KernelBan>();
    for (const ban of this.detector.activeBans()) {
      if (byTarget.has(ban.target.text)) continue;
      const until = this.detector.kernelUntil(ban.target);
      if (until !== undefined) byTarget.set(ban.target.text, { target: ban.target, until });
    }
    return [...byTarget.values()];
  }

  private tableOptions(): GuardTableOptions {
    const allow = IgnoreList.allowEntries(this.config.ignoreip);
    return {
      table: this.config.nftTable,
      priority: this.config.nftPriority,
      blocktype: this.config.blocktype,
      allow4: allow.v4,
      allow6: allow.v6,
      ipv6Prefixes: prefixesOf(this.config),
    };
  }

  /** After `nft flush ruleset` or another tool removing the table: put it back with every ban. */
  private async checkTable(): Promise<void> {
    await this.queueKernel(async () => {
      if (this.stopped) return;
      if (!(await this.enforcer.exists())) {
        this.options.logger.notice(
          `Table inet ${this.config.nftTable} is gone; restoring it with every active ban`,
        );
        await this.installTable();
      }
    });
  }

  private tick(sweep: boolean): void {
    if (this.stopped) return;
    const now = this.now();
    const decisions = this.detector.expire(now, sweep);
    this.execute(decisions);
    if (sweep && ++this.sweeps % 60 === 0) {
      // Hourly, like fail2ban's dbpurgeage job; ban counts stay for bantime.increment.
      try {
        this.store.purgeHistory(now - HISTORY_DAYS * 86400);
      } catch (error) {
        this.options.logger.notice(`Cannot purge the ban history: ${(error as Error).message}`);
      }
    }
    if (sweep) {
      for (const [target, until] of this.inKernel) {
        if (until !== null && until + KERNEL_EXPIRY_SLACK < now) this.inKernel.delete(target);
      }
    }
  }

  private savePendingFailures(): void {
    // Failure windows are rebuilt from the logs on restart only if the source rereads them; the
    // source resumes after its checkpoint, so the open windows are kept here instead.
    try {
      this.store.savePendingFailures(this.detector.pendingFailures());
    } catch (error) {
      this.options.logger.notice(`Cannot save pending failures: ${(error as Error).message}`);
    }
  }

  private restorePendingFailures(): void {
    this.detector.restorePendingFailures(this.store.loadPendingFailures(), this.now());
  }
}

/** Finished bans are kept this long in the history. */
const HISTORY_DAYS = 90;

/** Seconds an element may outlive its ban in the kernel (timeouts are rounded up to whole seconds). */
const KERNEL_EXPIRY_SLACK = 2;

function prefixesOf(config: GuardConfig): number[] {
  return [...new Set(config.jails.filter((j) => j.enabled).map((j) => j.ipv6Prefix))].sort((a, b) => a - b);
}

function describeDecision(d: GuardDecision): Record<string, unknown> {
  return d.kind === "ban"
    ? { jail: d.ban.jail, target: d.ban.target.text, until: d.ban.until, bantime: d.ban.bantime }
    : { jail: d.jail, target: d.target.text };
}
