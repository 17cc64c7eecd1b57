import { type CheckOutcome, missingFact } from "./audit-types.js";
import type { CheckDefinition, HostFacts } from "./host-facts.js";
import { problemLines, type SshSettings } from "./ssh-settings.js";

function withSsh(facts: HostFacts, body: (ssh: SshSettings) => CheckOutcome): CheckOutcome {
  if (!facts.ssh.ok) return missingFact(facts.ssh);
  return body(facts.ssh.value);
}

/** Port from `ListenAddress host:port` / `[v6]:port`, when it carries one. */
function listenPort(value: string): number | undefined {
  const m = /^(?:\[[^\]]*\]|[^:\s]+):(\d+)(?:\s|$)/.exec(value);
  return m ? Number(m[1]) : undefined;
}

export const sshChecks: readonly CheckDefinition[] = [
  {
    id: "ssh.config-valid",
    title: "sshd_config has no unknown keywords",
    area: "ssh",
    severity: "high",
    run: (facts) =>
      withSsh(facts, (ssh) => {
        const bad = ssh.problems.filter((p) => p.code !== "sshd.deprecated");
        if (bad.length === 0) {
          const dep = problemLines(ssh.problems);
          return dep.length
            ? {
                status: "warn",
                summary: "sshd_config uses deprecated keywords sshd ignores",
                evidence: dep,
                remediation: "Delete the deprecated lines shown",
              }
            : {
                status: "pass",
                summary: `sshd_config parses cleanly (${ssh.files.length} file(s))${ssh.fallbackReason ? "; settings read from the files because sshd -T failed" : ""}`,
                evidence: [...ssh.files, ...(ssh.fallbackReason ? [`sshd -T: ${ssh.fallbackReason}`] : [])],
              };
        }
        return {
          status: "fail",
          summary: "sshd_config has lines sshd rejects: sshd will refuse to (re)start",
          evidence: problemLines(bad),
          remediation: "Fix the lines shown, then check with: sshd -t",
        };
      }),
  },
  {
    id: "ssh.port",
    title: "SSH listens only on a non-default port",
    area: "ssh",
    severity: "low",
    run: (facts) =>
      withSsh(facts, (ssh) => {
        if (facts.sshSocket && facts.sshSocket.ports.length > 0) {
          const sock = facts.sshSocket;
          const summary = `ssh.socket listens on port ${sock.ports.join(", ")}`;
          return sock.ports.includes(22)
            ? {
                status: "fail",
                summary: `${summary}; bots scan 22 all day`,
                evidence: [...sock.evidence],
                remediation:
                  "rampart harden --ssh-port 2222 --apply (or set ListenStream= in /etc/systemd/system/ssh.socket.d/port.conf)",
              }
            : { status: "pass", summary, evidence: [...sock.evidence] };
        }
        const ports = ssh.getAll("port");
        const listens = ssh.getAll("listenaddress");
        const all = new Set<number>(ports.map((p) => Number(p.value)));
        for (const l of listens) {
          const port = listenPort(l.value);
          if (port !== undefined) all.add(port);
        }
        const evidence = [...ports, ...listens.filter((l) => listenPort(l.value) !== undefined)].map(
          (p) => p.evidence,
        );
        if (all.has(22)) {
          return {
            status: "fail",
            summary: `sshd listens on port 22${all.size > 1 ? ` (ports: ${[...all].join(", ")})` : ""}; bots scan it all day`,
            evidence,
            remediation:
              "rampart harden --ssh-port 2222 --apply (keeps 22 open until the new port is confirmed)",
          };
        }
        return { status: "pass", summary: `sshd listens on port ${[...all].join(", ")}`, evidence };
      }),
  },
  {
    id: "ssh.root-login",
    title: "Root cannot log in over SSH",
    area: "ssh",
    severity: "high",
    run: (facts) =>
      withSsh(facts, (ssh) => {
        const g = ssh.get("permitrootlogin");
        const value = g.value.toLowerCase();
        const allowing = ssh.matches("permitrootlogin").filter((m) => m.value.toLowerCase() !== "no");
        const rootView = ssh.rootView?.get("permitrootlogin")?.[0];
        const evidence = [g.evidence, ...allowing.map((m) => `Match re-allows root: ${m.evidence}`)];
        if (rootView !== undefined)
          evidence.push(
            `sshd -T -C user=root: permitrootlogin ${rootView === "without-password" ? "prohibit-password" : rootView}`,
          );
        const fix = "rampart harden --no-root-login --apply";
        const yesMatch = allowing.filter((m) => m.value.toLowerCase() === "yes");
        if (value === "yes" || yesMatch.length > 0 || rootView === "yes") {
          return {
            status: "fail",
            summary:
              value === "yes"
                ? "PermitRootLogin yes: root can log in with a password"
                : "A Match block lets root log in with a password",
            evidence,
            remediation: fix,
          };
        }
        if (value !== "no" || allowing.length > 0) {
          return {
            status: "warn",
            summary: `Root can log in with a key (PermitRootLogin ${value !== "no" ? value : allowing[0]?.value}); log in as an admin user and sudo instead`,
            evidence,
            remediation: fix,
          };
        }
        return { status: "pass", summary: "PermitRootLogin no, and no Match block re-allows it", evidence };
      }),
  },
  {
    id: "ssh.password-auth",
    title: "SSH passwords are off (keys only)",
    area: "ssh",
    severity: "high",
    run: (facts) =>
      withSsh(facts, (ssh) => {
        const pw = ssh.get("passwordauthentication");
        const kbd = ssh.get("kbdinteractiveauthentication");
        const pam = ssh.get("usepam");
        const methods = ssh.get("authenticationmethods");
        const evidence = [pw.evidence, kbd.evidence, pam.evidence, methods.evidence];
        // AuthenticationMethods lists alternatives separated by spaces, each a comma chain that must
        // all succeed (sshd_config(5)); a password is harmless only if every chain needs publickey.
        const chains = methods.value === "any" ? [] : methods.value.split(/\s+/);
        const keyRequired =
          chains.length > 0 && chains.every((c) => c.split(",").some((m) => m.startsWith("publickey")));
        const pwOn = pw.value.toLowerCase() === "yes";
        // keyboard-interactive through PAM asks for the Unix password (pam_unix) unless PAM is off.
        const kbdOn = kbd.value.toLowerCase() === "yes" && pam.value.toLowerCase() === "yes";
        const reEnabling = [
          ...ssh.matches("passwordauthentication"),
          ...ssh.matches("kbdinteractiveauthentication"),
        ].filter((m) => m.value.toLowerCase() === "yes");
        evidence.push(...reEnabling.map((m) => `Match re-enables passwords: ${m.evidence}`));
        const fix = "rampart harden --no-password-auth --apply";
        if ((pwOn || kbdOn) && !keyRequired) {
          return {
            status: "fail",
            summary: pwOn
              ? "PasswordAuthentication yes: anyone can try passwords"
              : "KbdInteractiveAuthentication yes with UsePAM yes: PAM asks for the password",
            evidence,
            remediation: fix,
          };
        }
        if (reEnabling.length > 0 && !keyRequired) {
          const onlyAddress = reEnabling.every(
            (m) => /^address\s/i.test(m.criteria) && !/\s(user|group|host)\s/i.test(` ${m.criteria} `),
          );
          return {
            status: onlyAddress ? "warn" : "fail",
            summary: `A Match block turns passwords back on (${reEnabling.map((m) => `Match ${m.criteria}`).join("; ")})`,
            evidence,
            remediation: fix,
          };
        }
        return {
          status: "pass",
          summary: keyRequired
            ? `Every AuthenticationMethods chain requires a key (${methods.value})`
            : "Password and keyboard-interactive logins are off",
          evidence,
        };
      }),
  },
  {
    id: "ssh.empty-passwords",
    title: "SSH refuses empty passwords",
    area: "ssh",
    severity: "critical",
    run: (facts) =>
      withSsh(facts, (ssh) => {
        const v = ssh.get("permitemptypasswords");
        const m = ssh.matches("permitemptypasswords").filter((x) => x.value.toLowerCase() === "yes");
        const evidence = [v.evidence, ...m.map((x) => x.evidence)];
        if (v.value.toLowerCase() === "yes" || m.length > 0) {
          return {
            status: "fail",
            summary: "PermitEmptyPasswords yes: accounts without a password can log in",
            evidence,
            remediation: "rampart harden --no-password-auth --apply (also sets PermitEmptyPasswords no)",
          };
        }
        return { status: "pass", summary: "PermitEmptyPasswords no", evidence };
      }),
  },
  {
    id: "ssh.max-auth-tries",
    title: "SSH limits authentication attempts",
    area: "ssh",
    severity: "low",
    run: (facts) =>
      withSsh(facts, (ssh) => {
        const v = ssh.get("maxauthtries");
        const n = Number(v.value);
        const looser = ssh.matches("maxauthtries").filter((m) => Number(m.value) > 3);
        const evidence = [v.evidence, ...looser.map((m) => m.evidence)];
        const fix =
          "echo 'MaxAuthTries 3' > /etc/ssh/sshd_config.d/10-rampart-auth.conf && sshd -t && systemctl reload ssh";
        // Lynis SSH-7408 and dev-sec agree on <= 3 (good) and <= 6 (sshd's default) as tolerable.
        if (!Number.isFinite(n) || n > 6)
          return { status: "fail", summary: `MaxAuthTries ${v.value}`, evidence, remediation: fix };
        if (n > 3 || looser.length > 0)
          return {
            status: "warn",
            summary: `MaxAuthTries ${n} (3 or fewer recommended)`,
            evidence,
            remediation: fix,
          };
        return { status: "pass", summary: `MaxAuthTries ${n}`, evidence };
      }),
  },
  {
    id: "ssh.crypto",
    title: "SSH offers no weak ciphers, MACs, key exchanges or host keys",
    area: "ssh",
    severity: "medium",
    run: (facts) =>
      withSsh(facts, (ssh) => {
        const broken: string[] = [];
        const weak: string[] = [];
        const evidence: string[] = [];
        for (const keyword of [
          "ciphers",
          "macs",
          "kexalgorithms",
          "hostkeyalgorithms",
          "pubkeyacceptedalgorithms",
        ]) {
          const v = ssh.get(keyword);
          const names = v.value.split(",").filter((s) => s !== "");
          const b = names.filter((n) => classifyAlgorithm(keyword, n) === "broken");
          const w = names.filter((n) => classifyAlgorithm(keyword, n) === "weak");
          if (b.length || w.length)
            evidence.push(
              v.evidence.length > 200
                ? `${keyword}: ${[...b, ...w].join(",")} (${v.evidence.split(":")[0]})`
                : v.evidence,
            );
          broken.push(...b.map((n) => `${keyword} ${n}`));
          weak.push(...w.map((n) => `${keyword} ${n}`));
        }
        if (facts.hostKeys.ok) {
          for (const k of facts.hostKeys.value) {
            if (k.type === "ssh-dss") broken.push(`host key ${k.path} is DSA`);
            else if (k.type === "ssh-rsa" && k.bits < 2048)
              broken.push(`host key ${k.path} is RSA ${k.bits} bits`);
            else if (k.type === "ssh-rsa" && k.bits < 3072)
              weak.push(`host key ${k.path} is RSA ${k.bits} bits (< 3072)`);
          }
        }
        const fix =
          "printf 'MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128-etm@openssh.com\\nKexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512\\nCiphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes128-ctr\\n' > /etc/ssh/sshd_config.d/10-rampart-crypto.conf && sshd -t && systemctl reload ssh";
        if (broken.length)
          return {
            status: "fail",
            summary: `Broken algorithms offered: ${broken.join(", ")}`,
            evidence,
            remediation: fix,
          };
        if (weak.length)
          return {
            status: "warn",
            summary: `Weak algorithms offered: ${weak.join(", ")}`,
            evidence,
            remediation: fix,
          };
        return {
          status: "pass",
          summary: "Only current algorithms are offered",
          evidence: [ssh.get("ciphers").evidence.slice(0, 120)],
        };
      }),
  },
  {
    id: "ssh.2fa",
    title: "SSH asks for a second factor",
    area: "ssh",
    severity: "low",
    run: (facts) =>
      withSsh(facts, (ssh) => {
        const methods = ssh.get("authenticationmethods");
        const chains = methods.value === "any" ? [] : methods.value.split(/\s+/);
        const twoStep = chains.length > 0 && chains.every((c) => c.split(",").length >= 2);
        const pam = facts.pamSshd.ok ? facts.pamSshd.value : undefined;
        const pamLine = pam?.text
          .split("\n")
          .map((l, i) => ({ l: l.trim(), i }))
          .find(
            ({ l }) =>
              !l.startsWith("#") && /pam_(google_authenticator|oath|u2f|duo|yubico|totp)\.so/.test(l),
          );
        const evidence = [methods.evidence];
        if (pam && pamLine) evidence.push(`${pam.file}:${pamLine.i + 1}: ${pamLine.l}`);
        const fix =
          "Install libpam-google-authenticator, add it to /etc/pam.d/sshd and set AuthenticationMethods publickey,keyboard-interactive";
        if (twoStep && (pamLine || chains.every((c) => !c.includes("keyboard-interactive")))) {
          return {
            status: "pass",
            summary: `Two factors required: AuthenticationMethods ${methods.value}`,
            evidence,
          };
        }
        if (pamLine)
          return {
            status: "warn",
            summary: "A one-time-password PAM module is set up but AuthenticationMethods does not require it",
            evidence,
            remediation: fix,
          };
        // Optional in the guides ("SSH keys only; 2FA"), so missing 2FA is a warning, not a failure.
        return {
          status: "warn",
          summary: "No second factor: a stolen key alone is enough",
          evidence,
          remediation: fix,
        };
      }),
  },
];

/** Algorithm grading after ssh-audit's database (FAIL → broken, WARN → weak); see docs/audit.md. */
export function classifyAlgorithm(keyword: string, name: string): "broken" | "weak" | "ok" {
  const n = name.toLowerCase();
  if (keyword === "ciphers") {
    if (/^(3des|des|arcfour|blowfish|cast128|rijndael|none)/.test(n)) return "broken";
    if (n.endsWith("-cbc")) return "weak";
    return "ok";
  }
  if (keyword === "macs") {
    if (/md5|ripemd|^none$|-96/.test(n)) return "broken";
    if (/sha1|umac-64/.test(n)) return "weak";
    return "ok";
  }
  if (keyword === "kexalgorithms") {
    if (/group1-sha1|group-exchange-sha1|gss-.*sha1|^rsa1024/.test(n)) return "broken";
    if (/group14-sha1|ecdh-sha2-nistp/.test(n)) return "weak";
    return "ok";
  }
  if (/^ssh-dss|^ssh-rsa-cert|^ssh-rsa$/.test(n)) return n.startsWith("ssh-dss") ? "broken" : "weak";
  return "ok";
}
