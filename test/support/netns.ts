import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from "node:child_process";

/**
 * Network-namespace labs for integration tests: every namespace is created here, named with
 * the test's prefix and this process's pid, and removed by `destroy()` — the host's own
 * network, firewall and services are never touched.
 */
export interface Lab {
  /** Namespace names by role. */
  readonly ns: Readonly<Record<string, string>>;
  /** Addresses by role (IPv4 and IPv6) on the shared segment. */
  readonly ip4: Readonly<Record<string, string>>;
  readonly ip6: Readonly<Record<string, string>>;
  exec(role: string, file: string, args: readonly string[], input?: string): string;
  spawn(role: string, file: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  destroy(): void;
}

function ip(args: readonly string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * Builds a star: the first role is the "server"; every other role is a host with a veth link to
 * it. Server-side link i gets 10.X.i.1/24 and fd00:X:i::1/64, the peer .2 / ::2.
 */
export function createLab(prefix: string, roles: readonly string[]): Lab {
  const tag = `${prefix}${process.pid % 100000}`.slice(0, 12);
  const subnet = 100 + (process.pid % 150);
  const ns: Record<string, string> = {};
  const ip4: Record<string, string> = {};
  const ip6: Record<string, string> = {};
  const created: string[] = [];
  const destroy = () => {
    for (const name of created.reverse()) {
      try {
        execFileSync("ip", ["netns", "pids", name])
          .toString()
          .split(/\s+/)
          .filter(Boolean)
          .forEach((pid) => {
            try {
              process.kill(Number(pid), "SIGKILL");
            } catch {}
          });
      } catch {}
      try {
        ip(["netns", "del", name]);
      } catch {}
    }
    created.length = 0;
  };
  try {
    const [server, ...clients] = roles;
    if (!server) throw new Error("a lab needs at least one role");
    for (const role of roles) {
      const name = `${tag}-${role}`.slice(0, 30);
      ip(["netns", "add", name]);
      created.push(name);
      ns[role] = name;
      ip(["-n", name, "link", "set", "lo", "up"]);
    }
    clients.forEach((role, i) => {
      const n = i + 1;
      const a = `v${tag}s${n}`.slice(0, 15);
      const b = `v${tag}c${n}`.slice(0, 15);
      ip(["link", "add", a, "netns", ns[server]!, "type", "veth", "peer", "name", b, "netns", ns[role]!]);
      ip(["-n", ns[server]!, "addr", "add", `10.${subnet}.${n}.1/24`, "dev", a]);
      ip(["-n", ns[role]!, "addr", "add", `10.${subnet}.${n}.2/24`, "dev", b]);
      ip(["-n", ns[server]!, "-6", "addr", "add", `fd00:${subnet}:${n}::1/64`, "dev", a, "nodad"]);
      ip(["-n", ns[role]!, "-6", "addr", "add", `fd00:${subnet}:${n}::2/64`, "dev", b, "nodad"]);
      ip(["-n", ns[server]!, "link", "set", a, "up"]);
      ip(["-n", ns[role]!, "link", "set", b, "up"]);
      ip(["-n", ns[role]!, "route", "add", "default", "via", `10.${subnet}.${n}.1`]);
      ip(["-n", ns[role]!, "-6", "route", "add", "default", "via", `fd00:${subnet}:${n}::1`]);
      ip4[role] = `10.${subnet}.${n}.2`;
      ip6[role] = `fd00:${subnet}:${n}::2`;
      if (n === 1) {
        ip4[server] = `10.${subnet}.${n}.1`;
        ip6[server] = `fd00:${subnet}:${n}::1`;
      }
    });
  } catch (error) {
    destroy();
    throw error;
  }
  return {
    ns,
    ip4,
    ip6,
    exec(role, file, args, input) {
      return execFileSync("ip", ["netns", "exec", ns[role]!, file, ...args], {
        input: input ?? "",
        stdio: ["pipe", "pipe", "pipe"],
        timeout: 30_000,
      }).toString();
    },
    spawn(role, file, args, options = {}) {
      return spawn("ip", ["netns", "exec", ns[role]!, file, ...args], options);
    },
    destroy,
  };
}

/** True when this process may create namespaces (root with CAP_SYS_ADMIN/NET_ADMIN). */
export function canCreateNamespaces(): boolean {
  try {
    const name = `rampart-probe-${process.pid}`;
    ip(["netns", "add", name]);
    ip(["netns", "del", name]);
    return true;
  } catch {
    return false;
  }
}
