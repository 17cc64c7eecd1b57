import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { type Problem, problem, type SourcePosition } from "../errors/problem.js";

export type ConfigPath = readonly (string | number)[];

/**
 * What a section parser needs: the raw value, where each path came from, and a place to put
 * problems. Parsers never throw on bad input; they record a problem and return a safe default.
 */
export class ConfigContext {
  readonly problems: Problem[] = [];
  constructor(
    readonly file: string,
    private readonly locate: (path: ConfigPath) => SourcePosition | undefined,
  ) {}

  positionOf(path: ConfigPath): SourcePosition | undefined {
    return this.locate(path);
  }

  report(code: string, message: string, path: ConfigPath): void {
    this.problems.push(problem(code, message, this.positionOf(path) ?? { file: this.file, line: 1, col: 1 }));
  }
}

export interface ParsedYaml {
  readonly data: unknown;
  readonly context: ConfigContext;
}

/** Parses YAML keeping every node's position so problems can name file:line:col. */
export function parseYamlWithPositions(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const toPosition = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const locate = (path: ConfigPath): SourcePosition | undefined => {
    // Point at the key when the path ends on a map entry, else at the value node.
    let node: unknown = doc.contents;
    let keyOffset: number | undefined;
    for (const step of path) {
      keyOffset = undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
        if (!pair) return undefined;
        if (isScalar(pair.key) && pair.key.range) keyOffset = pair.key.range[0];
        node = pair.value;
      } else if (isSeq(node) && typeof step === "number") {
        node = node.items[step];
      } else {
        return undefined;
      }
    }
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (keyOffset !== undefined) return toPosition(keyOffset);
    return range ? toPosition(range[0]) : undefined;
  };
  const context = new ConfigContext(file, locate);
  for (const error of [...doc.errors, ...doc.warnings]) {
    context.problems.push(
      problem("config.yaml", `Invalid YAML: ${error.message.split("\n")[0]}`, toPosition(error.pos[0])),
    );
  }
  return { data: doc.errors.length > 0 ? undefined : doc.toJS(), context };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reports keys a section does not know, with the closest known key as a hint. */
export function checkKnownKeys(
  ctx: ConfigContext,
  value: Record<string, unknown>,
  known: readonly string[],
  path: ConfigPath,
  section: string,
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      ctx.report("config.unknown-key", `Unknown key "${key}" in ${section} (known: ${known.join(", ")})`, [
        ...path,
        key,
      ]);
    }
  }
}

/** The sections of rampart.yaml; each command reads its own, all of them reject a misspelt one. */
export const RAMPART_CONFIG_SECTIONS = ["state_dir", "guard", "firewall", "audit", "harden"] as const;

/**
 * A misspelt section (`gaurd:`) would otherwise be ignored silently and its defaults used, so
 * every command reports unknown top-level keys (code "config.unknown-section").
 */
export function checkTopLevelKeys(ctx: ConfigContext, data: unknown): void {
  if (!isRecord(data)) return;
  for (const key of Object.keys(data)) {
    if (!(RAMPART_CONFIG_SECTIONS as readonly string[]).includes(key)) {
      ctx.report(
        "config.unknown-section",
        `Unknown section "${key}" in the config (known: ${RAMPART_CONFIG_SECTIONS.join(", ")})`,
        [key],
      );
    }
  }
}
