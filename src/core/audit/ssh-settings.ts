import type { Problem } from "../errors/problem.js";
import { formatProblem } from "../errors/problem.js";
import { allDirectives, firstDirective, matchSettings, type SshdConfig } from "../sshd/sshd-config.js";
import { SSHD_DEFAULTS } from "../sshd/sshd-keywords.js";

export interface SshValue {
  readonly value: string;
  /** `sshd -T: permitrootlogin no (set at /etc/ssh/sshd_config:33)` or `/etc/ssh/sshd_config:33`. */
  readonly evidence: string;
  readonly isDefault: boolean;
}

export interface SshMatchValue {
  readonly criteria: string;
  readonly value: string;
  readonly evidence: string;
}

/**
 * The effective sshd settings the checks read, from `sshd -T` when sshd could be asked (it knows
 * its own defaults and semantics) and otherwise from the config files read with sshd's rules.
 * Match blocks always come from the files, since `sshd -T` only shows one connection's view.
 */
export interface SshSettings {
  readonly source: "sshd -T" | "files";
  /** Why `sshd -T` was not used, when it was not. */
  readonly fallbackReason?: string;
  get(keyword: string): SshValue;
  getAll(keyword: string): readonly SshValue[];
  matches(keyword: string): readonly SshMatchValue[];
  /** sshd -T -C user=root,... : what a root login from an unknown address would get. */
  readonly rootView?: ReadonlyMap<string, readonly string[]>;
  readonly problems: readonly Problem[];
  readonly files: readonly string[];
}

// sshd -T prints the old spelling for PermitRootLogin's default (servconf.c fmt_intarg).
function normalise(keyword: string, value: string): string {
  if (keyword === "permitrootlogin" && value === "without-password") return "prohibit-password";
  return value;
}

function at(d: { at: { file: string; line: number } }): string {
  return `${d.at.file}:${d.at.line}`;
}

function line(d: { at: { file: string; line: number }; written: string; args: readonly string[] }): string {
  return `${at(d)}: ${d.written} ${d.args.join(" ")}`;
}

export function sshSettingsFrom(
  config: SshdConfig | undefined,
  sshdT: ReadonlyMap<string, readonly string[]> | undefined,
  options: { fallbackReason?: string; rootView?: ReadonlyMap<string, readonly string[]> } = {},
): SshSettings {
  const fromFile = (keyword: string): SshValue | undefined => {
    const d = config ? firstDirective(config, keyword) : undefined;
    return d
      ? { value: normalise(keyword, d.args.join(" ")), evidence: line(d), isDefault: false }
      : undefined;
  };
  const get = (keyword: string): SshValue => {
    if (sshdT) {
      const values = sshdT.get(keyword);
      const value = normalise(keyword, values?.[0] ?? SSHD_DEFAULTS[keyword] ?? "");
      const file = fromFile(keyword);
      const where =
        file && file.value.toLowerCase() === value.toLowerCase()
          ? ` (set at ${file.evidence.split(": ")[0]})`
          : "";
      return { value, evidence: `sshd -T: ${keyword} ${value}${where}`, isDefault: file === undefined };
    }
    const file = fromFile(keyword);
    if (file) return file;
    const value = SSHD_DEFAULTS[keyword] ?? "";
    return {
      value,
      evidence: `${keyword} not set in ${config?.mainFile ?? "sshd_config"}: default "${value}"`,
      isDefault: true,
    };
  };
  const getAll = (keyword: string): SshValue[] => {
    if (sshdT) {
      const values = sshdT.get(keyword) ?? [];
      return values.map((value) => ({ value, evidence: `sshd -T: ${keyword} ${value}`, isDefault: false }));
    }
    const ds = config ? allDirectives(config, keyword) : [];
    if (ds.length === 0) {
      const def = SSHD_DEFAULTS[keyword];
      return def === undefined
        ? []
        : [
            {
              value: def,
              evidence: `${keyword} not set in ${config?.mainFile ?? "sshd_config"}: default "${def}"`,
              isDefault: true,
            },
          ];
    }
    return ds.map((d) => ({ value: d.args.join(" "), evidence: line(d), isDefault: false }));
  };
  const matches = (keyword: string): SshMatchValue[] =>
    config
      ? matchSettings(config, keyword).map((m) => ({
          criteria: m.block.text,
          value: normalise(keyword, m.directive.args.join(" ")),
          evidence: `${line(m.directive)} (in "Match ${m.block.text}" at ${at(m.block)})`,
        }))
      : [];
  return {
    source: sshdT ? "sshd -T" : "files",
    ...(options.fallbackReason !== undefined ? { fallbackReason: options.fallbackReason } : {}),
    ...(options.rootView !== undefined ? { rootView: options.rootView } : {}),
    get,
    getAll,
    matches,
    problems: config?.problems ?? [],
    files: config?.files ?? [],
  };
}

export function problemLines(problems: readonly Problem[]): string[] {
  return problems.map(formatProblem);
}
