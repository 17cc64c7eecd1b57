import { missingFact } from "./audit-types.js";
import type { CheckDefinition } from "./host-facts.js";

const STALE_DAYS = 7;

export const updateChecks: readonly CheckDefinition[] = [
  {
    id: "updates.pending",
    title: "Installed packages are up to date",
    area: "updates",
    severity: "medium",
    run: (facts) => {
      if (!facts.upgrades.ok) return missingFact(facts.upgrades);
      const { packages, command, listsAgeDays } = facts.upgrades.value;
      const evidence = [command];
      if (listsAgeDays !== undefined)
        evidence.push(`package lists last updated ${listsAgeDays.toFixed(1)} day(s) ago`);
      const stale = listsAgeDays !== undefined && listsAgeDays > STALE_DAYS;
      if (packages.length) {
        evidence.push(...packages.slice(0, 10).map((p) => `${p.name} ${p.from} → ${p.to} (${p.origin})`));
        if (packages.length > 10) evidence.push(`… and ${packages.length - 10} more`);
        return {
          status: "warn",
          summary: `${packages.length} package upgrade(s) pending`,
          evidence,
          remediation: "apt-get update && apt-get upgrade",
        };
      }
      if (stale)
        return {
          status: "warn",
          summary: `No upgrades pending, but the package lists are ${Math.floor(listsAgeDays ?? 0)} days old`,
          evidence,
          remediation: "rampart audit --refresh (runs apt-get update first)",
        };
      return { status: "pass", summary: "No upgrades pending", evidence };
    },
  },
  {
    id: "updates.security",
    title: "No security update is pending",
    area: "updates",
    severity: "high",
    run: (facts) => {
      if (!facts.upgrades.ok) return missingFact(facts.upgrades);
      const sec = facts.upgrades.value.packages.filter((p) => p.security);
      const evidence = [
        facts.upgrades.value.command,
        ...sec.slice(0, 10).map((p) => `${p.name} ${p.from} → ${p.to} (${p.origin})`),
      ];
      if (sec.length > 10) evidence.push(`… and ${sec.length - 10} more`);
      if (sec.length)
        return {
          status: "fail",
          summary: `${sec.length} security update(s) pending`,
          evidence,
          remediation: "apt-get update && apt-get upgrade",
        };
      return { status: "pass", summary: "No security update pending", evidence };
    },
  },
  {
    id: "updates.automatic",
    title: "Security updates install automatically",
    area: "updates",
    severity: "medium",
    run: (facts) => {
      if (!facts.autoUpgrades.ok) return missingFact(facts.autoUpgrades);
      const a = facts.autoUpgrades.value;
      const fix = "rampart harden --updates --apply (upgrades, installs and enables unattended-upgrades)";
      if (!a.installed)
        return {
          status: "fail",
          summary: "unattended-upgrades is not installed",
          evidence: [...a.evidence],
          remediation: fix,
        };
      if (!a.enabled)
        return {
          status: "fail",
          summary: "unattended-upgrades is installed but not enabled (APT::Periodic::Unattended-Upgrade)",
          evidence: [...a.evidence],
          remediation: fix,
        };
      return {
        status: "pass",
        summary: "unattended-upgrades is installed and enabled",
        evidence: [...a.evidence],
      };
    },
  },
];
