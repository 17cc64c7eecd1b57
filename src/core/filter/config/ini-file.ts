import { type Problem, problem, type SourcePosition } from "../../errors/problem.js";
import { leadingSpace, pyIsSpace, pyRstrip, pyStrip } from "./py-text.js";
import { joinLines, type OriginTable, sliceTracked, type TrackedText } from "./tracked-text.js";

/** One option section of a parsed file: lower-cased option name → value, in file order. */
export type IniSection = Map<string, TrackedText>;

/** One filter file parsed the way Python's `configparser.ConfigParser._read` parses it. */
export interface IniFile {
  readonly file: string;
  readonly defaults: IniSection;
  /** Sections other than [DEFAULT], in file order; names are case-sensitive. */
  readonly sections: Map<string, IniSection>;
  /** Where each section header is, for messages ("missing [Definition]" etc.). */
  readonly sectionAt: Map<string, SourcePosition>;
  readonly problems: readonly Problem[];
}

const DEFAULT_SECTION = "DEFAULT";
// configparser.RawConfigParser.SECTCRE with Python's `.` (anything but "\n").
const SECTION_RE = /^\[([^\n]+)\]/;

/**
 * Parses one file as fail2ban's `SafeConfigParserWithIncludes` does for a single file:
 * `ConfigParser(interpolation=…, inline_comment_prefixes=";")` with the defaults `strict=True`,
 * `empty_lines_in_values=True`, comment prefixes `#` and `;`, delimiters `=` and `:`, and
 * `optionxform = str.lower`. Python stops at the first structural error; here every problem is
 * collected and parsing goes on, but a file with problems must not be used.
 */
export function parseIniFile(text: string, file: string, table: OriginTable): IniFile {
  const defaults: IniSection = new Map();
  const sections = new Map<string, IniSection>();
  const sectionAt = new Map<string, SourcePosition>();
  const problems: Problem[] = [];
  const pending = new Map<IniSection, Map<string, TrackedText[]>>();
  const added = new Set<string>();

  let cursect: IniSection | undefined;
  let sectname = "";
  let optname: string | undefined;
  let indentLevel = 0;

  // Python reads config files in text mode: universal newlines turn "\r\n" and "\r" into "\n".
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();

  lines.forEach((line, index) => {
    const lineno = index + 1;
    let commentStart: number | undefined;
    // An inline ";" comment must start the line or follow whitespace (configparser rule).
    for (let i = line.indexOf(";"); i >= 0; i = line.indexOf(";", i + 1)) {
      if (i === 0 || pyIsSpace(line[i - 1]!)) {
        commentStart = i;
        break;
      }
    }
    const stripped = pyStrip(line);
    if (stripped.startsWith("#") || stripped.startsWith(";")) commentStart = 0;
    const content = commentStart === undefined ? line : line.slice(0, commentStart);
    const value = pyStrip(content);
    const lead = leadingSpace(content);

    // configparser tests `optname` for truth: an option with an empty name takes no continuation.
    const lineValues = cursect && optname ? pending.get(cursect)?.get(optname) : undefined;
    if (value === "") {
      // An empty line (not a comment) inside a value is kept: empty_lines_in_values=True.
      if (commentStart === undefined && lineValues) {
        lineValues.push(table.track("", { file, line: lineno, col: 1 }));
      }
      return;
    }
    const curIndent = leadingSpace(line);
    if (lineValues && curIndent > indentLevel) {
      lineValues.push(table.track(value, { file, line: lineno, col: lead + 1 }));
      return;
    }
    indentLevel = curIndent;
    const header = SECTION_RE.exec(value);
    if (header) {
      sectname = header[1]!;
      const at = { file, line: lineno, col: lead + 1 };
      if (sections.has(sectname)) {
        if (added.has(sectname)) {
          problems.push(
            problem("filter.duplicate-section", `Section "${sectname}" is defined twice in this file`, at),
          );
        }
        cursect = sections.get(sectname)!;
      } else if (sectname === DEFAULT_SECTION) {
        cursect = defaults;
      } else {
        cursect = new Map();
        sections.set(sectname, cursect);
        sectionAt.set(sectname, at);
        added.add(sectname);
      }
      optname = undefined;
      return;
    }
    const at = { file, line: lineno, col: lead + 1 };
    if (cursect === undefined) {
      problems.push(problem("filter.outside-section", `Line is outside any [section]: "${clip(value)}"`, at));
      return;
    }
    // configparser's OPTCRE `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$` splits at the first
    // "=" or ":"; done by hand because that regex backtracks quadratically on long blank runs.
    const eq = value.indexOf("=");
    const colon = value.indexOf(":");
    const delim = eq < 0 ? colon : colon < 0 ? eq : Math.min(eq, colon);
    if (delim < 0) {
      problems.push(problem("filter.syntax", `Expected "name = value", got "${clip(value)}"`, at));
      return;
    }
    const name = pyRstrip(value.slice(0, delim)).toLowerCase();
    if (name === "") {
      problems.push(problem("filter.syntax", `Option without a name: "${clip(value)}"`, at));
    }
    const key = `${sectname}\u0000${name}`;
    if (added.has(key)) {
      problems.push(
        problem("filter.duplicate-option", `Option "${name}" is set twice in section [${sectname}]`, at),
      );
    }
    added.add(key);
    optname = name;
    const raw = value.slice(delim + 1);
    const valueCol = lead + delim + 1 + leadingSpace(raw) + 1;
    let perSection = pending.get(cursect);
    if (!perSection) {
      perSection = new Map();
      pending.set(cursect, perSection);
    }
    perSection.set(name, [table.track(pyStrip(raw), { file, line: lineno, col: valueCol })]);
    cursect.set(name, { text: "", origins: [] });
  });

  // Multi-line values: lines joined with "\n", then rstrip() (configparser._join_multiline_values).
  for (const [section, values] of pending) {
    for (const [name, parts] of values) {
      const joined = joinLines(parts);
      section.set(name, sliceTracked(joined, 0, pyRstrip(joined.text).length));
    }
  }
  return { file, defaults, sections, sectionAt, problems };
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
