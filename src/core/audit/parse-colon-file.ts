import { type Problem, problem } from "../errors/problem.js";

export interface ColonRecord {
  readonly fields: readonly string[];
  readonly line: number;
}

export interface ColonFile {
  readonly file: string;
  readonly records: readonly ColonRecord[];
  /** Lines with the wrong number of fields: reported with file:line, skipped, never fatal. */
  readonly problems: readonly Problem[];
}

/**
 * passwd(5), shadow(5) and group(5) are colon-separated with a fixed field count; a broken line
 * is reported and skipped so one bad entry cannot hide the others (or crash the audit).
 */
export function parseColonFile(text: string, file: string, fieldCount: number): ColonFile {
  const records: ColonRecord[] = [];
  const problems: Problem[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, "");
    if (line.trim() === "" || line.startsWith("#")) continue;
    const fields = line.split(":");
    // NIS compat entries ("+", "-user") are not accounts of this file.
    if (line.startsWith("+") || line.startsWith("-")) continue;
    if (fields.length !== fieldCount || fields[0] === "") {
      problems.push(
        problem(
          "accounts.malformed-line",
          `Malformed line in "${file}": expected ${fieldCount} colon-separated fields, found ${fields.length}`,
          { file, line: i + 1, col: 1 },
        ),
      );
      continue;
    }
    records.push({ fields, line: i + 1 });
  }
  return { file, records, problems };
}
