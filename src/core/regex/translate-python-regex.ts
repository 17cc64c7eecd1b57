import { failed, ok, problem, type Result } from "../errors/problem.js";
import { expandConditionals } from "./continuation-expansion.js";
import { emitJsRegex } from "./js-regex-emitter.js";
import {
  FLAG_DOTALL,
  FLAG_IGNORECASE,
  FLAG_MULTILINE,
  PythonRegexError,
  parsePythonRegex,
  UnsupportedRegexError,
} from "./python-regex-parser.js";
import { unrollRetainingRepetitions } from "./repetition-unrolling.js";
import { anchoredLiteralHead, anchoredStartChars } from "./start-chars.js";

/**
 * Python `re` (3.11, `str` patterns, `re.search`) → JavaScript RegExp with the same answers: the
 * same match or no match, the same span, the same groups. See docs/regex-dialect.md.
 */

export interface TranslatedRegex {
  readonly source: string;
  readonly flags: string;
  /** JS group name → Python group name (copies made by expansion map back to one name). */
  readonly groupNames: ReadonlyMap<string, string>;
  /** JS capture index → Python group number (0 = whole match, -1 = a helper group of the translation). */
  readonly groupNumbers: readonly number[];
  /** JS capture index → Python group name (undefined for unnamed and helper groups). */
  readonly captureNames: readonly (string | undefined)[];
  /** ASCII characters a match can start with, when anchored at the text's start (see start-chars.ts). */
  readonly startChars: Uint8Array | undefined;
  /** The ASCII text every match starts with, when anchored at the text's start ("" if none). */
  readonly head: string;
}

export interface PythonRegexOptions {
  /** `re.MULTILINE` */
  readonly multiline?: boolean | undefined;
  /** `re.IGNORECASE` */
  readonly ignoreCase?: boolean | undefined;
  /** `re.DOTALL` */
  readonly dotAll?: boolean | undefined;
  /**
   * Emit JS named groups (default true). Without them `match.groups` is undefined and captures
   * are read by index through `captureNames`, which is faster.
   */
  readonly namedGroups?: boolean | undefined;
}

export interface CompiledPythonRegex {
  readonly regex: RegExp;
  readonly groupNames: ReadonlyMap<string, string>;
  readonly groupNumbers: readonly number[];
  readonly captureNames: readonly (string | undefined)[];
  readonly startChars: Uint8Array | undefined;
}

const REGEX_FILE = "<regex>";

function optionFlags(options: PythonRegexOptions | undefined): number {
  let flags = 0;
  if (options?.multiline) flags |= FLAG_MULTILINE;
  if (options?.ignoreCase) flags |= FLAG_IGNORECASE;
  if (options?.dotAll) flags |= FLAG_DOTALL;
  return flags;
}

export function translatePythonRegex(pattern: string, options?: PythonRegexOptions): Result<TranslatedRegex> {
  try {
    const parsed = parsePythonRegex(pattern, optionFlags(options));
    const root = expandConditionals(unrollRetainingRepetitions(parsed.root));
    return ok({
      ...emitJsRegex(root, parsed.groupCount, parsed.groupIndex, {
        namedGroups: options?.namedGroups ?? true,
      }),
      startChars: anchoredStartChars(root),
      head: anchoredLiteralHead(root),
    });
  } catch (err) {
    if (err instanceof PythonRegexError) {
      const code = err instanceof UnsupportedRegexError ? "regex.unsupported" : "regex.syntax";
      return failed([problem(code, err.message, { file: REGEX_FILE, line: 1, col: err.pos + 1 })]);
    }
    throw err;
  }
}

export function compilePythonRegex(
  pattern: string,
  options?: PythonRegexOptions,
): Result<CompiledPythonRegex> {
  const translated = translatePythonRegex(pattern, options);
  if (!translated.ok) return translated;
  const { source, flags, groupNames, groupNumbers, captureNames, startChars } = translated.value;
  try {
    return ok({ regex: new RegExp(source, flags), groupNames, groupNumbers, captureNames, startChars });
  } catch (err) {
    // A translation V8 rejects is a bug here, but it must still surface as a reportable problem.
    const message = err instanceof Error ? err.message : String(err);
    return failed([
      problem("regex.unsupported", `cannot compile the translated pattern: ${message}`, {
        file: REGEX_FILE,
        line: 1,
        col: 1,
      }),
    ]);
  }
}

/**
 * Python's `match.groupdict()` for a JS match of a translated pattern: each Python name gets the
 * value of the last copy of its group that participated (copies are in pattern order, which is
 * iteration order for unrolled repetitions), `undefined` when none did.
 */
export function pythonGroupDict(
  match: RegExpExecArray,
  groupNames: ReadonlyMap<string, string>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const pyName of groupNames.values()) out[pyName] = undefined;
  const groups = match.groups;
  if (groups === undefined) return out;
  for (const [jsName, pyName] of groupNames) {
    const value = groups[jsName];
    if (value !== undefined) out[pyName] = value;
  }
  return out;
}
