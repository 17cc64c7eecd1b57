import type { PendingPackage } from "./host-facts.js";

/**
 * `apt-get -s upgrade` lines: `Inst NAME [OLD] (NEW ORIGIN, ORIGIN [ARCH])`. An upgrade is a
 * security update when one of its origins is a -security suite (Debian-Security, Ubuntu …-security).
 */
export function parseAptSimulation(output: string): PendingPackage[] {
  const out: PendingPackage[] = [];
  for (const line of output.split("\n")) {
    const m = /^Inst (\S+) (?:\[([^\]]+)\] )?\((\S+) (.*?)(?: \[[^\]]+\])?\)/.exec(line);
    if (!m) continue;
    const origin = m[4] as string;
    out.push({
      name: m[1] as string,
      from: m[2] ?? "(new)",
      to: m[3] as string,
      origin,
      security: /-security|Debian-Security/i.test(origin),
    });
  }
  return out;
}

/** Is a package installed according to dpkg's status file (dpkg-query's source)? */
export function dpkgInstalled(status: string, name: string): boolean {
  const re = new RegExp(
    `^Package: ${name.replace(/[.+]/g, "\\$&")}\\n(?:[^\\n]+\\n)*?Status: install ok installed`,
    "m",
  );
  return re.test(status);
}

/**
 * The value of an APT configuration option across apt.conf.d files read in order (the last
 * assignment wins, apt.conf(5)); `APT::Periodic::Unattended-Upgrade "1";`.
 */
export function aptConfValue(
  files: readonly { file: string; text: string }[],
  option: string,
): { value: string; at: string } | undefined {
  let found: { value: string; at: string } | undefined;
  const needle = option.toLowerCase();
  for (const { file, text } of files) {
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] as string).replace(/\/\/.*$/, "").trim();
      const m = /^([A-Za-z0-9:_-]+)\s+"([^"]*)"\s*;/.exec(line);
      if (m && (m[1] as string).toLowerCase() === needle)
        found = { value: m[2] as string, at: `${file}:${i + 1}` };
    }
  }
  return found;
}

/** Names of installed packages in dpkg's status file (stanzas with `Status: install ok installed`). */
export function installedPackages(status: string): string[] {
  const out: string[] = [];
  for (const stanza of status.split(/\n\n+/)) {
    const name = /^Package: (\S+)$/m.exec(stanza)?.[1];
    if (name && /^Status: install ok installed$/m.test(stanza) && /^[a-z0-9][a-z0-9+.-]*$/.test(name))
      out.push(name);
  }
  return out;
}

/**
 * `apt-cache policy PKG…`: a package is pending when its Candidate differs from Installed; the
 * candidate's sources in the version table tell whether it comes from a -security suite.
 */
export function parseAptPolicy(output: string): PendingPackage[] {
  const out: PendingPackage[] = [];
  const blocks = output.split(/\n(?=\S[^\n]*:\n)/);
  for (const block of blocks) {
    const lines = block.split("\n");
    const name = /^(\S+?):$/.exec(lines[0] ?? "")?.[1];
    const installed = /^\s+Installed: (\S+)/m.exec(block)?.[1];
    const candidate = /^\s+Candidate: (\S+)/m.exec(block)?.[1];
    if (
      !name ||
      !installed ||
      !candidate ||
      installed === "(none)" ||
      candidate === "(none)" ||
      installed === candidate
    )
      continue;
    const sources: string[] = [];
    let inCandidate = false;
    for (const line of lines) {
      const version = /^ (?:\*\*\*| {3}) (\S+) -?\d+$/.exec(line);
      if (version) {
        inCandidate = version[1] === candidate;
        continue;
      }
      const src = /^\s+-?\d+ (\S+) (\S+)/.exec(line);
      if (inCandidate && src) sources.push(`${src[1]} ${src[2]}`);
    }
    const origin = sources.map((s) => s.split(" ")[1] ?? s).join(", ") || "unknown";
    out.push({
      name,
      from: installed,
      to: candidate,
      origin,
      security: sources.some((s) => /-security|debian-security/.test(s)),
    });
  }
  return out;
}
