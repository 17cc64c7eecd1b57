import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join, posix } from "node:path";
import type { Change } from "../../core/harden/harden-types.js";
import type { ReloadSpec, SavedFile, TransactionRecord } from "../../core/harden/transaction.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { runCommand } from "../process/run-command.js";
import type { TransactionStore } from "./transaction-store.js";

/** What the executor delegates to other capabilities (bound by the CLI; tests bind namespaces). */
export interface HardenServices {
  firewall(argv: readonly string[]): Promise<number>;
  guardInstall(): Promise<number>;
  log(line: string): void;
}

/** The host path of a tree path; refuses paths that would leave the root. */
export function hostPath(root: string, path: string): string {
  const normal = posix.normalize(`/${path}`);
  if (normal.split("/").includes("..")) throw new Error(`Path "${path}" leaves the tree`);
  return root === "/" ? normal : join(root, normal);
}

function logLine(tx: TransactionRecord, message: string): void {
  tx.log.push({ at: new Date().toISOString(), message });
}

/** Saves the original of every file the changes touch, before anything is written. */
export function snapshotFiles(
  store: TransactionStore,
  tx: TransactionRecord,
  changes: readonly Change[],
  extraPaths: readonly string[] = [],
): void {
  const seen = new Set(tx.files.map((f) => f.path));
  let n = tx.files.length;
  const paths = [
    ...changes.flatMap((c) => (c.kind === "file" || c.kind === "symlink" ? [c.path] : [])),
    ...extraPaths,
  ];
  for (const path of paths) {
    if (seen.has(path)) continue;
    seen.add(path);
    const change = { path };
    const host = hostPath(tx.root, change.path);
    let saved: SavedFile;
    try {
      const st = lstatSync(host);
      if (st.isSymbolicLink()) throw new Error(`${change.path} is a symlink; refusing to replace it`);
      const backup = `file-${++n}`;
      writeFileSync(join(store.dir(tx.id), backup), readFileSync(host), { mode: 0o600 });
      saved = { path: change.path, existed: true, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, backup };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      saved = { path: change.path, existed: false };
    }
    tx.files.push(saved);
  }
  store.save(tx);
}

/** Writes and runs the changes in order; records everything on the transaction as it goes. */
export async function executeChanges(
  store: TransactionStore,
  tx: TransactionRecord,
  changes: readonly Change[],
  services: HardenServices,
): Promise<void> {
  const live = tx.root === "/";
  for (const change of changes) {
    switch (change.kind) {
      case "mkdir": {
        const host = hostPath(tx.root, change.path);
        if (existsSync(host)) break;
        mkdirSync(host, { mode: change.mode });
        tx.createdDirs.push(change.path);
        chmodSync(host, change.mode);
        chownSync(host, change.owner.uid, change.owner.gid);
        logLine(tx, `created directory ${change.path}`);
        break;
      }
      case "file": {
        const host = hostPath(tx.root, change.path);
        const isNew = !existsSync(host);
        if (isNew) mkdirSync(posix.dirname(host), { recursive: true });
        writeFileAtomic(host, change.after, isNew && change.mode !== undefined ? { mode: change.mode } : {});
        if (isNew && change.owner) chownSync(host, change.owner.uid, change.owner.gid);
        logLine(tx, `wrote ${change.path} (${change.reason})`);
        break;
      }
      case "symlink": {
        const host = hostPath(tx.root, change.path);
        mkdirSync(posix.dirname(host), { recursive: true });
        symlinkSync(change.target, host);
        logLine(tx, `linked ${change.path} -> ${change.target} (${change.reason})`);
        break;
      }
      case "command": {
        if (change.liveOnly && !live) {
          logLine(tx, `skipped on an offline tree: ${change.argv.join(" ")}`);
          services.log(`  skipped (offline tree): ${change.argv.join(" ")}`);
          break;
        }
        services.log(`  running: ${change.argv.join(" ")}`);
        const [file, ...args] = change.argv;
        const r = await runCommand(file as string, args, { timeoutMs: 30 * 60_000 });
        logLine(tx, `ran ${change.argv.join(" ")}: exit ${r.code}`);
        if (r.code !== 0)
          throw new Error(
            `"${change.argv.join(" ")}" failed (exit ${r.code}): ${r.stderr.trim().split("\n").pop() ?? ""}`,
          );
        break;
      }
      case "firewall": {
        if (!live) {
          logLine(tx, `skipped on an offline tree: rampart firewall ${change.argv.join(" ")}`);
          services.log(`  skipped (offline tree): rampart firewall ${change.argv.join(" ")}`);
          break;
        }
        const code = await services.firewall(change.argv);
        logLine(tx, `rampart firewall ${change.argv.join(" ")}: exit ${code}`);
        if (code !== 0) throw new Error(`"rampart firewall ${change.argv.join(" ")}" failed (exit ${code})`);
        break;
      }
      case "guard-install": {
        if (!live) {
          logLine(tx, "skipped on an offline tree: rampart guard install");
          break;
        }
        const code = await services.guardInstall();
        logLine(tx, `rampart guard install: exit ${code}`);
        if (code !== 0) throw new Error(`"rampart guard install" failed (exit ${code})`);
        break;
      }
    }
    store.save(tx);
  }
}

/** `sshd -t -f`: refuse to reload a configuration sshd itself rejects. Only on the live tree. */
export async function validateSshd(tx: TransactionRecord): Promise<string | undefined> {
  if (tx.root !== "/" || tx.reload.method === "none") return undefined;
  const r = await runCommand(tx.reload.sshd, ["-t", "-f", "/etc/ssh/sshd_config"], { timeoutMs: 30_000 });
  return r.code === 0 ? undefined : `sshd -t rejects the new configuration: ${r.stderr.trim()}`;
}

/** systemctl reload where systemd runs, else SIGHUP to the pid in sshd's PidFile (sshd(8)). */
export async function reloadSshd(reload: ReloadSpec, socketChanged = false): Promise<string> {
  if (reload.method === "none") return "sshd not reloaded (offline tree)";
  if (reload.method === "systemd" && socketChanged) {
    // ssh.socket owns the port (Ubuntu >= 22.10): systemd must re-read the unit and re-listen.
    for (const args of [["daemon-reload"], ["restart", "ssh.socket"]]) {
      const r = await runCommand("systemctl", args, { timeoutMs: 60_000 });
      if (r.code !== 0) throw new Error(`systemctl ${args.join(" ")} failed: ${r.stderr.trim()}`);
    }
    return "restarted ssh.socket";
  }
  if (reload.method === "systemd") {
    const r = await runCommand("systemctl", ["reload", reload.unit], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`systemctl reload ${reload.unit} failed: ${r.stderr.trim()}`);
    return `reloaded ${reload.unit}`;
  }
  const pid = Number(readFileSync(reload.pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${reload.pidFile} holds no usable pid`);
  process.kill(pid, "SIGHUP");
  return `sent SIGHUP to sshd (pid ${pid})`;
}

/** Puts every saved file back byte for byte, removes what the transaction created. */
export function restoreFiles(store: TransactionStore, tx: TransactionRecord): void {
  for (const f of [...tx.files].reverse()) {
    const host = hostPath(tx.root, f.path);
    if (f.existed && f.backup !== undefined) {
      writeFileAtomic(host, readFileSync(join(store.dir(tx.id), f.backup)), { mode: f.mode ?? 0o644 });
      if (f.uid !== undefined && f.gid !== undefined) chownSync(host, f.uid, f.gid);
      logLine(tx, `restored ${f.path}`);
    } else if (!f.existed) {
      try {
        unlinkSync(host);
        logLine(tx, `removed ${f.path}`);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
  }
  for (const d of [...tx.createdDirs].reverse()) {
    const host = hostPath(tx.root, d);
    try {
      if (lstatSync(host).isDirectory()) rmSync(host, { recursive: true, force: true });
      logLine(tx, `removed directory ${d}`);
    } catch {}
  }
}

export function randomId(): string {
  return randomBytes(4).toString("hex");
}
