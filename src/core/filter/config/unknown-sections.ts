import { type Problem, problem } from "../../errors/problem.js";
import type { IniFile } from "./ini-file.js";

const KNOWN = /^(?:INCLUDES|DEFAULT|Definition|Init)(?:\?.*)?$/;

/**
 * Sections fail2ban would silently ignore: neither one of the filter sections nor referenced by
 * any value (`%(sect/opt)s`, `<sect/opt>`, or a nested `<lt_<logtype>/opt>` prefix). Such a
 * section is almost always a typo — `[Defintion]` leaves the filter without its failregex — so
 * Rampart reports it (fail2ban does not).
 */
export function unknownSections(files: readonly IniFile[]): Problem[] {
  const values: string[] = [];
  for (const file of files) {
    for (const section of [file.defaults, ...file.sections.values()]) {
      for (const value of section.values()) values.push(value.text);
    }
  }
  const text = values.join("\n");
  const referenced = (name: string): boolean => {
    if (text.includes(`%(${name}/`) || text.includes(`<${name}/`)) return true;
    // A nested reference such as `<lt_<logtype>/…>` names every section starting with "lt_".
    for (const m of text.matchAll(/<([\w.-]+)</g)) if (name.startsWith(m[1]!)) return true;
    return false;
  };
  const problems: Problem[] = [];
  for (const file of files) {
    for (const name of file.sections.keys()) {
      if (KNOWN.test(name) || referenced(name)) continue;
      problems.push(
        problem(
          "filter.unknown-section",
          `Unknown section [${name}] (a filter has [INCLUDES], [DEFAULT], [Definition] and [Init]; other sections must be referenced as %(${name}/option)s)`,
          file.sectionAt.get(name) ?? { file: file.file, line: 1, col: 1 },
        ),
      );
    }
  }
  return problems;
}
