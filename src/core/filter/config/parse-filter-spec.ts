import { failed, ok, problem, type Result } from "../../errors/problem.js";
import { PY_SPACE, PY_WORD, pyStrip } from "./py-text.js";

export interface FilterSpec {
  readonly name: string;
  readonly options: Record<string, string>;
}

// fail2banregex.py readRegex: what it accepts as a filter (otherwise it takes the text as a regex).
const FILTER_NAME_RE = new RegExp(`^/{0,3}[${PY_WORD}/\\-.]+(?:\\[[\\s\\S]*\\])?$`, "mu");
// helpers.py OPTION_CRE and OPTION_EXTRACT_CRE (re.DOTALL; Python's "$" also matches before a
// final newline).
const OPTION_RE = new RegExp(`^([^\\[]+)(?:\\[([\\s\\S]*)\\])?[${PY_SPACE}]*$`, "u");
const END = "(?=\\n?$)";
const OPTION_EXTRACT_RE = new RegExp(
  `[${PY_SPACE}]*([${PY_WORD}\\-.]+)=(?:"([^"]*)"|'([^']*)'|([^,\\]]*))(?:,|\\][${PY_SPACE}]*\\[|${END}|(?<wrngA>[\\s\\S]+))|,?[${PY_SPACE}]*${END}|(?<wrngB>[\\s\\S]+)`,
  "gu",
);

/**
 * Parses `name[key=value, key2="a,b"][key3='c']` as fail2ban-regex accepts a filter argument
 * (helpers.extractOptions). `name` may be a bare filter name or a path.
 */
export function parseFilterSpec(spec: string): Result<FilterSpec> {
  const at = { file: "<filter>", line: 1, col: 1 };
  if (!FILTER_NAME_RE.test(spec)) {
    return failed([
      problem(
        "filter.bad-spec",
        `Invalid filter "${spec}": expected a name or path (letters, digits, "_-./") optionally followed by "[key=value, …]"`,
        at,
      ),
    ]);
  }
  const m = OPTION_RE.exec(spec);
  if (!m) return failed([problem("filter.bad-spec", `Invalid filter "${spec}"`, at)]);
  const options: Record<string, string> = {};
  const optstr = m[2];
  if (optstr) {
    for (const om of optstr.matchAll(OPTION_EXTRACT_RE)) {
      const base = (m[1]?.length ?? 0) + 1 + om.index;
      if (om.groups?.wrngA !== undefined) {
        const col = base + om[0].length - om.groups.wrngA.length + 1;
        return failed([
          problem(
            "filter.bad-spec",
            `Invalid filter options in "${spec}": unexpected "${om.groups.wrngA.slice(0, 25)}" after option "${om[1]}"`,
            { ...at, col },
          ),
        ]);
      }
      if (om.groups?.wrngB !== undefined) {
        return failed([
          problem(
            "filter.bad-spec",
            `Invalid filter options in "${spec}": expected key=value, found "${om.groups.wrngB.slice(0, 25)}"`,
            { ...at, col: base + 1 },
          ),
        ]);
      }
      const opt = om[1];
      if (!opt) continue;
      const value = om[2] ?? om[3] ?? om[4] ?? "";
      options[pyStrip(opt)] = pyStrip(value);
    }
  }
  return ok({ name: m[1]!, options });
}
