import { missingFact } from "./audit-types.js";
import type { CheckDefinition, HostFacts } from "./host-facts.js";

/** Running IPS daemons, by process name (works without systemd as PID 1, e.g. in containers). */
function runningIps(facts: HostFacts): string[] {
  if (!facts.processes.ok) return [];
  const out: string[] = [];
  for (const p of facts.processes.value) {
    if (/fail2ban-server/.test(p.cmdline)) out.push(`fail2ban-server (pid ${p.pid})`);
    else if (/rampart(\.js)?\s+guard\s+run/.test(p.cmdline) || /\brampart-guard\b/.test(p.cmdline))
      out.push(`rampart guard (pid ${p.pid})`);
    else if (p.name === "crowdsec" || p.name === "sshguard") out.push(`${p.name} (pid ${p.pid})`);
  }
  return out;
}

export const ipsChecks: readonly CheckDefinition[] = [
  {
    id: "ips.active",
    title: "An intrusion-prevention daemon is running",
    area: "ips",
    severity: "medium",
    run: (facts) => {
      const fix = "rampart harden --guard --apply (or: rampart guard install)";
      const enabled = facts.enabledUnits.ok
        ? [...facts.enabledUnits.value].filter((u) =>
            /^(fail2ban|rampart-guard|rampart|crowdsec|sshguard)\.service$/.test(u),
          )
        : [];
      const guardTable =
        facts.ruleset.ok &&
        facts.ruleset.value.tables.some((t) => t.name === "rampart_guard" || t.name === "f2b-table");
      if (facts.mode === "offline") {
        if (enabled.length)
          return {
            status: "pass",
            summary: `Enabled at boot: ${enabled.join(", ")}`,
            evidence: enabled.map((u) => `systemd: ${u} enabled`),
          };
        return {
          status: "fail",
          summary: "No intrusion-prevention service is enabled at boot",
          evidence: ["systemd *.wants/: no fail2ban/rampart/crowdsec/sshguard unit"],
          remediation: fix,
        };
      }
      if (!facts.processes.ok) return missingFact(facts.processes);
      const running = runningIps(facts);
      const evidence = [
        ...running.map((r) => `process: ${r}`),
        ...enabled.map((u) => `systemd: ${u} enabled`),
      ];
      if (guardTable) evidence.push("nft: ban table present");
      if (running.length) return { status: "pass", summary: `Running: ${running.join(", ")}`, evidence };
      if (enabled.length) {
        const unit = enabled[0] as string;
        // Without systemd as PID 1 (containers, sysvinit) an enabled unit never starts by itself.
        const start =
          facts.systemdRunning === false
            ? `service ${unit.replace(/\.service$/, "")} start (systemd is not PID 1 here)`
            : `systemctl start ${unit}`;
        if (facts.systemdRunning === false)
          evidence.push("systemd is not running (/run/systemd/system missing)");
        return {
          status: "fail",
          summary: `${enabled.join(", ")} enabled but not running`,
          evidence,
          remediation: start,
        };
      }
      return {
        status: "fail",
        summary: "No intrusion-prevention daemon is running (Rampart guard, Fail2Ban, CrowdSec, SSHGuard)",
        evidence: ["ps: none of rampart guard, fail2ban-server, crowdsec, sshguard"],
        remediation: fix,
      };
    },
  },
  {
    id: "ips.sshd-jail",
    title: "An enabled jail protects sshd",
    area: "ips",
    severity: "medium",
    run: (facts) => {
      const jails = [
        ...(facts.rampartJails.ok ? facts.rampartJails.value : []),
        ...(facts.fail2banJails.ok ? facts.fail2banJails.value : []),
      ];
      const sshd = jails.filter((j) => /^sshd?(-|$)|ssh/.test(j.name));
      const on = sshd.filter((j) => j.enabled);
      const evidence = sshd.map((j) => `${j.evidence}: [${j.name}] ${j.enabled ? "enabled" : "disabled"}`);
      for (const f of [facts.rampartJails, facts.fail2banJails])
        if (!f.ok && f.kind === "error") evidence.push(`Not read: ${f.reason}`);
      if (on.length)
        return {
          status: "pass",
          summary: `sshd jail enabled (${on.map((j) => j.evidence).join(", ")})`,
          evidence,
        };
      return {
        status: "fail",
        summary: sshd.length
          ? "The sshd jail exists but is disabled"
          : "No sshd jail in Rampart's or Fail2Ban's configuration",
        evidence: evidence.length
          ? evidence
          : ["/etc/rampart/rampart.yaml guard.jails, /etc/fail2ban/jail.{conf,local,d/*}: no sshd jail"],
        remediation: "rampart harden --guard --apply (installs the guard with an sshd jail)",
      };
    },
  },
];
