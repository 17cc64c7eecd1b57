import { runCommand } from "../adapters/process/run-command.js";
import type { ActionConfig } from "../core/config/guard-section.js";
import type { GuardDecision } from "../core/guard/guard-decision.js";

const MAX_CONCURRENT = 8;
const MAX_QUEUED = 10_000;

/**
 * Runs a jail's extra actions (commands, webhooks) after the kernel has the ban. They never block
 * detection: queued, at most MAX_CONCURRENT at once, each with its timeout, failures logged.
 */
export class ActionRunner {
  private running = 0;
  private readonly queue: (() => Promise<void>)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly log: (message: string) => void) {}

  enqueue(actions: readonly ActionConfig[], decision: GuardDecision): void {
    for (const action of actions) {
      if (this.queue.length >= MAX_QUEUED) {
        this.log(`Action queue full (${MAX_QUEUED}); dropping an action for ${describe(decision)}`);
        return;
      }
      this.queue.push(() => this.run(action, decision));
    }
    this.pump();
  }

  /** Resolves when every queued action has finished (shutdown, tests). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.running < MAX_CONCURRENT && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running++;
      job().finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && this.queue.length === 0) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }
  }

  private async run(action: ActionConfig, decision: GuardDecision): Promise<void> {
    const vars = variables(decision);
    try {
      if (action.kind === "command") {
        // Each argv element is templated on its own and passed to execve: no shell ever sees it.
        const argv = action.argv.map((a) => a.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m));
        const [file, ...args] = argv;
        const r = await runCommand(file ?? "", args, { timeoutMs: action.timeoutMs });
        if (r.code !== 0) {
          const why = r.signal
            ? `was killed (${r.signal}, timeout ${action.timeoutMs} ms?)`
            : `exited with ${r.code}`;
          this.log(`Action "${file}" for ${describe(decision)} ${why}: ${r.stderr.trim().slice(0, 200)}`);
        }
      } else {
        const response = await fetch(action.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(vars),
          signal: AbortSignal.timeout(action.timeoutMs),
        });
        await response.arrayBuffer();
        if (!response.ok)
          this.log(`Webhook ${action.url} for ${describe(decision)} answered ${response.status}`);
      }
    } catch (error) {
      const what = action.kind === "command" ? `Action "${action.argv[0]}"` : `Webhook ${action.url}`;
      this.log(`${what} for ${describe(decision)} failed: ${(error as Error).message}`);
    }
  }
}

function describe(d: GuardDecision): string {
  return d.kind === "ban" ? `ban of ${d.ban.target.text}` : `unban of ${d.target.text}`;
}

/** Template values: {action} {jail} {ip} {target} {bantime} {until} {failures} {bancount}. */
export function variables(d: GuardDecision): Record<string, string> {
  if (d.kind === "unban") {
    return { action: "unban", jail: d.jail, ip: d.target.address, target: d.target.text, reason: d.reason };
  }
  const b = d.ban;
  return {
    action: "ban",
    jail: b.jail,
    ip: d.address,
    target: b.target.text,
    bantime: String(b.bantime),
    until: b.until === null ? "" : String(Math.round(b.until)),
    failures: String(b.failures),
    bancount: String(b.banCount),
    reason: d.reason,
  };
}
