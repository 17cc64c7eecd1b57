import type { Problem, SourcePosition } from "../errors/problem.js";

/** One keyword line, with the keyword lower-cased and aliases resolved (sshd is case-insensitive). */
export interface SshdDirective {
  readonly keyword: string;
  /** The keyword as written, for messages. */
  readonly written: string;
  readonly args: readonly string[];
  readonly at: SourcePosition;
}

export interface SshdMatchCriterion {
  /** Lower-cased criterion: user, group, host, address, localaddress, localport, rdomain, all. */
  readonly kind: string;
  /** Comma-separated pattern list split; `!` negation kept on each item. */
  readonly patterns: readonly string[];
}

/** A `Match` block with its criteria kept, so a check can ask what it could allow and for whom. */
export interface SshdMatchBlock {
  readonly criteria: readonly SshdMatchCriterion[];
  /** The criteria as written, e.g. `User deploy Address 10.0.0.0/8`. */
  readonly text: string;
  readonly at: SourcePosition;
  readonly directives: readonly SshdDirective[];
}

/** sshd_config as sshd reads it: global lines in order (Includes expanded in place), Match blocks. */
export interface SshdConfig {
  readonly mainFile: string;
  /** Every file read, in the order sshd reads them. */
  readonly files: readonly string[];
  readonly global: readonly SshdDirective[];
  readonly matchBlocks: readonly SshdMatchBlock[];
  /** Unknown keywords, bad Match lines, unreadable includes — each with file:line. */
  readonly problems: readonly Problem[];
}

/** The effective global value: sshd keeps the FIRST value it reads for most keywords. */
export function firstDirective(config: SshdConfig, keyword: string): SshdDirective | undefined {
  return config.global.find((d) => d.keyword === keyword);
}

/** Every occurrence, for keywords that accumulate (Port, ListenAddress, HostKey, ...). */
export function allDirectives(config: SshdConfig, keyword: string): readonly SshdDirective[] {
  return config.global.filter((d) => d.keyword === keyword);
}

export interface MatchSetting {
  readonly block: SshdMatchBlock;
  readonly directive: SshdDirective;
}

/** For each Match block that sets `keyword`, the value it would apply (first inside the block). */
export function matchSettings(config: SshdConfig, keyword: string): readonly MatchSetting[] {
  const out: MatchSetting[] = [];
  for (const block of config.matchBlocks) {
    const directive = block.directives.find((d) => d.keyword === keyword);
    if (directive) out.push({ block, directive });
  }
  return out;
}
