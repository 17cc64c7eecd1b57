import { createWriteStream } from "node:fs";

/**
 * Writes a deterministic, realistic sshd auth.log: many distinct attacker addresses (IPv4 and
 * IPv6), the message kinds OpenSSH really logs on Debian, and ordinary successful logins.
 */
export async function generateAuthLog(path: string, lines: number, seed = 42): Promise<void> {
  let state = seed >>> 0;
  const random = () => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    state = (state ^ (state >>> 12)) >>> 0;
    return state / 0x100000000;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const users = [
    "root",
    "admin",
    "ubuntu",
    "test",
    "oracle",
    "postgres",
    "git",
    "user",
    "deploy",
    "pi",
    "guest",
    "ftp",
  ];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const address = () =>
    random() < 0.1
      ? `2001:db8:${Math.floor(random() * 65536).toString(16)}:${Math.floor(random() * 65536).toString(16)}::${Math.floor(random() * 65536).toString(16)}`
      : `${1 + Math.floor(random() * 222)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
  const out = createWriteStream(path);
  let second = 0;
  for (let i = 0; i < lines; ) {
    second += random() < 0.3 ? 1 : 0;
    const month = months[Math.floor(second / (86400 * 28)) % 12];
    const day = String(1 + (Math.floor(second / 86400) % 28)).padStart(2, " ");
    const t = second % 86400;
    const clock = `${String(Math.floor(t / 3600)).padStart(2, "0")}:${String(Math.floor(t / 60) % 60).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`;
    const pid = 1000 + Math.floor(random() * 60000);
    const ip = address();
    const port = 1024 + Math.floor(random() * 64000);
    const user = pick(users);
    const prefix = `${month} ${day} ${clock} web01 sshd[${pid}]:`;
    const r = random();
    let block: string[];
    if (r < 0.3) {
      block = [
        `${prefix} Invalid user ${user} from ${ip} port ${port}`,
        `${prefix} Failed password for invalid user ${user} from ${ip} port ${port} ssh2`,
      ];
    } else if (r < 0.5) {
      block = [`${prefix} Failed password for ${user} from ${ip} port ${port} ssh2`];
    } else if (r < 0.6) {
      block = [
        `${prefix} pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip}  user=${user}`,
      ];
    } else if (r < 0.7) {
      block = [`${prefix} Connection closed by authenticating user ${user} ${ip} port ${port} [preauth]`];
    } else if (r < 0.78) {
      block = [
        `${prefix} Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`,
        `${prefix} Disconnected from ${ip} port ${port} [preauth]`,
      ];
    } else if (r < 0.85) {
      block = [
        `${prefix} Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:${"x".repeat(43)}`,
        `${prefix} pam_unix(sshd:session): session opened for user ${user}(uid=1000) by (uid=0)`,
      ];
    } else if (r < 0.92) {
      block = [`${prefix} Connection closed by ${ip} port ${port} [preauth]`];
    } else {
      block = [
        `${month} ${day} ${clock} web01 CRON[${pid}]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)`,
      ];
    }
    for (const line of block) {
      if (i++ >= lines) break;
      if (!out.write(`${line}\n`)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}
