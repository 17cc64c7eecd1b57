import { formatProblem } from "../errors/problem.js";
import { type AccountsDb, classifyHash } from "./accounts.js";
import { type CheckOutcome, missingFact } from "./audit-types.js";
import type { CheckDefinition, HostFacts } from "./host-facts.js";

function withAccounts(facts: HostFacts, body: (db: AccountsDb) => CheckOutcome): CheckOutcome {
  if (!facts.accounts.ok) return missingFact(facts.accounts);
  const db = facts.accounts.value;
  const outcome = body(db);
  if (db.problems.length === 0) return outcome;
  // Broken lines are skipped, not fatal; a check that passed on the rest is downgraded to warn.
  const notes = db.problems.map((p) => `${formatProblem(p)} (skipped)`);
  return {
    ...outcome,
    status: outcome.status === "pass" ? "warn" : outcome.status,
    summary:
      outcome.status === "pass"
        ? `${outcome.summary}; but ${db.problems.length} malformed line(s) were skipped`
        : outcome.summary,
    evidence: [...outcome.evidence, ...notes],
    remediation:
      outcome.remediation ??
      "Repair the malformed lines shown (pwck -r lists them without changing anything)",
  };
}

const LOGIN_SHELL = (shell: string) => !/(nologin|false|sync|shutdown|halt)$/.test(shell) && shell !== "";
const ADMIN_GROUPS = ["sudo", "wheel", "admin"];

export const accountChecks: readonly CheckDefinition[] = [
  {
    id: "accounts.uid0",
    title: "Only root has UID 0",
    area: "accounts",
    severity: "critical",
    run: (facts) =>
      withAccounts(facts, (db) => {
        const extra = db.passwd.filter((e) => e.uid === 0 && e.name !== "root");
        if (extra.length) {
          return {
            status: "fail",
            summary: `Other accounts with UID 0 (full root): ${extra.map((e) => `"${e.name}"`).join(", ")}`,
            evidence: extra.map((e) => `${db.passwdFile}:${e.line}: ${e.name} has UID 0`),
            remediation: `userdel ${extra[0]?.name} (or usermod -u NEW_UID ${extra[0]?.name}) after checking who uses it`,
          };
        }
        return { status: "pass", summary: "Only root has UID 0", evidence: [db.passwdFile] };
      }),
  },
  {
    id: "accounts.empty-passwords",
    title: "No account has an empty password",
    area: "accounts",
    severity: "critical",
    run: (facts) =>
      withAccounts(facts, (db) => {
        if (db.shadow === undefined) {
          const inPasswd = db.passwd.filter((e) => e.passwordField === "");
          if (inPasswd.length) {
            return {
              status: "fail",
              summary: `Accounts with an empty password: ${inPasswd.map((e) => `"${e.name}"`).join(", ")}`,
              evidence: inPasswd.map((e) => `${db.passwdFile}:${e.line}`),
              remediation: `passwd -l ${inPasswd[0]?.name}`,
            };
          }
          return {
            status: "warn",
            summary: `Could not read ${db.shadowFile} (${db.shadowError ?? "missing"}); only ${db.passwdFile} was checked`,
            evidence: [db.passwdFile],
            remediation: "Run the audit as root (sudo rampart audit)",
          };
        }
        const empty = db.shadow.filter((s) => classifyHash(s.hash) === "empty");
        const passwdEmpty = db.passwd.filter((e) => e.passwordField === "");
        if (empty.length || passwdEmpty.length) {
          const names = [...new Set([...empty.map((e) => e.name), ...passwdEmpty.map((e) => e.name)])];
          return {
            status: "fail",
            summary: `Accounts with an empty password (anyone can log in as them): ${names.map((n) => `"${n}"`).join(", ")}`,
            evidence: [
              ...empty.map((e) => `${db.shadowFile}:${e.line}: ${e.name} has an empty hash`),
              ...passwdEmpty.map((e) => `${db.passwdFile}:${e.line}: ${e.name} has an empty password field`),
            ],
            remediation: names.map((n) => `passwd -l ${n}`).join("; "),
          };
        }
        return {
          status: "pass",
          summary: `No empty password among ${db.shadow.length} accounts`,
          evidence: [db.shadowFile],
        };
      }),
  },
  {
    id: "accounts.root-password",
    title: "Root's password is set (or locked on purpose)",
    area: "accounts",
    severity: "high",
    run: (facts) =>
      withAccounts(facts, (db) => {
        if (db.shadow === undefined)
          return {
            status: "warn",
            summary: `Could not read ${db.shadowFile} (${db.shadowError ?? "missing"})`,
            evidence: [],
            remediation: "Run the audit as root (sudo rampart audit)",
          };
        const root = db.shadow.find((s) => s.name === "root");
        if (!root)
          return { status: "warn", summary: `No root entry in ${db.shadowFile}`, evidence: [db.shadowFile] };
        const where = `${db.shadowFile}:${root.line}`;
        const state = classifyHash(root.hash);
        if (state === "empty") {
          return {
            status: "fail",
            summary: "Root has an empty password",
            evidence: [`${where}: empty hash`],
            remediation: "rampart harden --root-password --apply (or: passwd root)",
          };
        }
        if (state === "locked")
          return {
            status: "pass",
            summary: "Root's password is locked (log in as an admin user and sudo)",
            evidence: [`${where}: hash starts with "${root.hash.slice(0, 1)}"`],
          };
        if (state === "hash-weak") {
          return {
            status: "warn",
            summary: "Root's password uses an outdated hash (MD5/DES)",
            evidence: [`${where}: hash "${root.hash.slice(0, 3)}…"`],
            remediation: "passwd root (re-hashes with the current scheme)",
          };
        }
        return {
          status: "pass",
          summary: "Root's password is set with a current hash",
          evidence: [`${where}: hash "${root.hash.slice(0, root.hash.indexOf("$", 1) + 1)}…"`],
        };
      }),
  },
  {
    id: "accounts.admin-user",
    title: "A non-root admin account can log in with a key and become root",
    area: "accounts",
    severity: "high",
    run: (facts) =>
      withAccounts(facts, (db) => {
        const grants = facts.sudoGrants.ok ? facts.sudoGrants.value : [];
        const adminGroups = new Set<string>(ADMIN_GROUPS);
        for (const g of grants) if (g.principal.startsWith("%")) adminGroups.add(g.principal.slice(1));
        const candidates: { name: string; how: string }[] = [];
        for (const e of db.passwd) {
          if (e.uid === 0 || !LOGIN_SHELL(e.shell)) continue;
          const primary = db.groups.find((g) => g.gid === e.gid);
          const groups = db.groups.filter((g) => g.members.includes(e.name) || g === primary);
          const viaGroup = groups.find((g) => adminGroups.has(g.name));
          const viaUser = grants.find((g) => g.principal === e.name);
          if (viaGroup) candidates.push({ name: e.name, how: `member of "${viaGroup.name}"` });
          else if (viaUser)
            candidates.push({ name: e.name, how: `sudoers ${viaUser.at.file}:${viaUser.at.line}` });
        }
        const keys = facts.authorizedKeys.ok
          ? facts.authorizedKeys.value
          : new Map<string, { path: string; keys: number }>();
        const ready = candidates.filter((c) => (keys.get(c.name)?.keys ?? 0) > 0);
        const fix = `rampart harden --admin-user ${candidates[0]?.name ?? "NAME"} --admin-key ~/.ssh/id_ed25519.pub --apply`;
        const evidence = candidates.map(
          (c) => `${c.name}: ${c.how}; authorized keys: ${keys.get(c.name)?.path ?? "none"}`,
        );
        if (!facts.sudoGrants.ok) evidence.push(`sudoers not read: ${facts.sudoGrants.reason}`);
        if (ready.length)
          return {
            status: "pass",
            summary: `Admin account(s) with a key: ${ready.map((c) => `"${c.name}"`).join(", ")}`,
            evidence,
          };
        if (candidates.length) {
          return {
            status: "fail",
            summary: `Admin account(s) without an SSH key: ${candidates.map((c) => `"${c.name}"`).join(", ")}`,
            evidence,
            remediation: fix,
          };
        }
        return {
          status: "fail",
          summary: "No non-root account can become root: disabling root login would lock you out",
          evidence: [db.passwdFile, ...evidence],
          remediation: fix,
        };
      }),
  },
];
