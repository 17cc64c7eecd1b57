import { type ChildProcess, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JOURNAL_REMOTE } from "./journal-writer.js";
import type { Lab } from "./netns.js";

/**
 * A real OpenSSH server logging through a real rsyslogd into a temp auth.log, inside a lab's
 * server namespace. Nothing of the host changes: sshd gets a private mount namespace with its own
 * /run (privilege-separation dir /run/sshd) and /dev (with /dev/log a symlink to the lab's
 * rsyslog socket); host keys, configs, pid files and logs all live in `dir`.
 */
export interface SshdLab {
  readonly authLog: string;
  readonly port: number;
  stop(): void;
}

// Runs as root in `unshare --mount`; the arguments are the lab's own temp paths, never log data.
const MOUNT_SCRIPT = `set -e
hostdev=$1; sock=$2; shift 2
mount --make-rprivate /
mount --rbind /dev "$hostdev"
mount -t tmpfs -o mode=755 tmpfs /dev
for d in null zero full random urandom tty; do
  touch "/dev/$d"; mount --bind "$hostdev/$d" "/dev/$d"
done
ln -s "$sock" /dev/log
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -m 755 /run/sshd
exec "$@"
`;

export function canRunSshdLab(): boolean {
  return [
    "/usr/sbin/sshd",
    "/usr/sbin/rsyslogd",
    "/usr/bin/sshpass",
    "/usr/bin/ssh-keygen",
    "/usr/bin/unshare",
  ].every((p) => existsSync(p));
}

export interface SshdLabOptions {
  readonly port?: number;
  /**
   * Also write every auth message into this journal file (must end in .journal): rsyslog takes the
   * sender's pid/uid/comm from the socket's SCM_CREDENTIALS (imuxsock ParseTrusted), as journald
   * does, and pipes journal export format into systemd-journal-remote (omprog). A local user's
   * `logger -t sshd` thus lands with _COMM=logger, exactly as in a real journal.
   */
  readonly journal?: string;
}

/** Journal export format (systemd.io/JOURNAL_EXPORT_FORMATS) from rsyslog's trusted properties. */
function exportTemplate(bootId: string): string {
  const line = (field: string, value: string) =>
    `  constant(value="${field}=") ${value} constant(value="\\n")`;
  const micros =
    'property(name="timegenerated" dateFormat="unixtimestamp") property(name="timegenerated" dateFormat="subseconds")';
  return `template(name="journal-export" type="list") {
${line("__REALTIME_TIMESTAMP", micros)}
${line("__MONOTONIC_TIMESTAMP", micros)}
  constant(value="_BOOT_ID=${bootId}\\n")
${line("_COMM", 'property(name="$!appname")')}
${line("_PID", 'property(name="$!pid")')}
${line("_UID", 'property(name="$!uid")')}
${line("_HOSTNAME", 'property(name="hostname")')}
${line("SYSLOG_IDENTIFIER", 'property(name="programname")')}
  constant(value="MESSAGE=") property(name="msg" droplastlf="on" position.from="2") constant(value="\\n\\n")
}
`;
}

export async function startSshdLab(
  lab: Lab,
  role: string,
  dir: string,
  options: SshdLabOptions = {},
): Promise<SshdLab> {
  const port = options.port ?? 2222;
  mkdirSync(join(dir, "rsyslog-work"), { recursive: true });
  mkdirSync(join(dir, "hostdev"), { recursive: true });
  const authLog = join(dir, "auth.log");
  const sock = join(dir, "log.sock");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "hostkey")]);
  const journal = options.journal;
  const bootId = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().replace(/-/g, "");
  writeFileSync(
    join(dir, "rsyslog.conf"),
    `global(workDirectory="${dir}/rsyslog-work")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${sock}" CreatePath="on" Annotate="on" ParseTrusted="on")
auth,authpriv.* action(type="omfile" file="${authLog}" template="RSYSLOG_TraditionalFileFormat")
${
  journal === undefined
    ? ""
    : `module(load="omprog")
${exportTemplate(bootId)}auth,authpriv.* action(type="omprog" binary="${JOURNAL_REMOTE} --output=${journal} -" template="journal-export")
`
}`,
  );
  writeFileSync(
    join(dir, "sshd_config"),
    `Port ${port}
ListenAddress 0.0.0.0
ListenAddress ::
HostKey ${dir}/hostkey
PidFile ${dir}/sshd.pid
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication no
UsePAM no
SyslogFacility AUTH
LogLevel INFO
MaxStartups 100:30:200
`,
  );
  writeFileSync(join(dir, "mounts.sh"), MOUNT_SCRIPT);
  const children: ChildProcess[] = [];
  const rsyslog = lab.spawn(
    role,
    "/usr/sbin/rsyslogd",
    ["-n", "-f", join(dir, "rsyslog.conf"), "-i", join(dir, "rsyslog.pid")],
    { stdio: "ignore" },
  );
  children.push(rsyslog);
  await until(() => existsSync(sock), 5000, "rsyslogd did not create its socket");
  const sshd = lab.spawn(
    role,
    "unshare",
    [
      "--mount",
      "--",
      "sh",
      join(dir, "mounts.sh"),
      join(dir, "hostdev"),
      sock,
      "/usr/sbin/sshd",
      "-D",
      "-f",
      join(dir, "sshd_config"),
    ],
    { stdio: "ignore" },
  );
  children.push(sshd);
  await until(
    () =>
      existsSync(authLog) &&
      readFileSync(authLog, "utf8").includes(`Server listening on 0.0.0.0 port ${port}`),
    5000,
    "sshd did not log that it listens (through rsyslog)",
  );
  if (journal !== undefined)
    await until(() => existsSync(journal), 5000, "systemd-journal-remote did not create the journal");
  return {
    authLog,
    port,
    stop() {
      for (const child of children) child.kill("SIGKILL");
    },
  };
}

/**
 * One failed password login from `from` to `host` as a user that does not exist: sshpass answers
 * the prompt once with a wrong password, ssh gives up on the second prompt (sshpass exit 5).
 * Returns ssh/sshpass's exit status (255: could not connect).
 */
export function failLogin(lab: Lab, from: string, host: string, port = 2222, user = "nosuchuser"): number {
  const r = spawnSync(
    "ip",
    [
      "netns",
      "exec",
      lab.ns[from]!,
      "sshpass",
      "-p",
      "wrong-password",
      "ssh",
      "-o",
      "StrictHostKeyChecking=no",
      "-o",
      "UserKnownHostsFile=/dev/null",
      "-o",
      "PubkeyAuthentication=no",
      "-o",
      "ConnectTimeout=2",
      "-o",
      "LogLevel=ERROR",
      // A ban lands in the middle of the exchange and drops the established connection: give up fast.
      "-o",
      "ServerAliveInterval=1",
      "-o",
      "ServerAliveCountMax=1",
      "-p",
      String(port),
      `${user}@${host}`,
      "true",
    ],
    { stdio: "ignore", timeout: 5000, killSignal: "SIGKILL" },
  );
  return r.status ?? -1;
}

async function until(check: () => boolean, ms: number, message: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 20));
  }
}
