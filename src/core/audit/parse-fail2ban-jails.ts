import type { JailState } from "./host-facts.js";

const NOT_JAILS = new Set(["default", "includes", "definition", "init"]);

/**
 * Which jails fail2ban enables: jail.conf, jail.d/*.conf, jail.local, jail.d/*.local read in that
 * order (jail.conf(5) "CONFIGURATION FILES FORMAT"), later `enabled =` lines override earlier ones,
 * and [DEFAULT] enabled applies to jails that do not set it.
 */
export function parseFail2banJails(files: readonly { file: string; text: string }[]): JailState[] {
  const jails = new Map<string, { enabled?: boolean; evidence: string }>();
  let defaultEnabled: { enabled: boolean; evidence: string } | undefined;
  for (const { file, text } of files) {
    let section: string | undefined;
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = (lines[i] as string).trim();
      if (line.startsWith("#") || line.startsWith(";") || line === "") continue;
      const sec = /^\[([^\]]+)\]$/.exec(line);
      if (sec) {
        section = (sec[1] as string).trim();
        if (!NOT_JAILS.has(section.toLowerCase()) && !jails.has(section))
          jails.set(section, { evidence: `${file}:${i + 1}` });
        continue;
      }
      const kv = /^enabled\s*[=:]\s*(\S+)/i.exec(line);
      if (!kv || section === undefined) continue;
      const enabled = /^(true|yes|1|on)$/i.test(kv[1] as string);
      if (section.toLowerCase() === "default") defaultEnabled = { enabled, evidence: `${file}:${i + 1}` };
      else if (!NOT_JAILS.has(section.toLowerCase()))
        jails.set(section, { enabled, evidence: `${file}:${i + 1}` });
    }
  }
  return [...jails].map(([name, j]) => ({
    name,
    enabled: j.enabled ?? defaultEnabled?.enabled ?? false,
    evidence: j.enabled === undefined && defaultEnabled ? defaultEnabled.evidence : j.evidence,
  }));
}
