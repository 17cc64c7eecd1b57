import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../fs/atomic-write.js";
import type { CheckpointStore, SourceCheckpoint } from "./log-source.js";

const FIELDS = ["inode", "offset", "line"] as const;

/**
 * Positions in one JSON file, replaced atomically on every save. For setups without the SQLite
 * database (tests, the benchmark); the daemon uses the store in its database.
 */
export class JsonCheckpointStore implements CheckpointStore {
  private readonly entries: Record<string, SourceCheckpoint>;

  constructor(private readonly path: string) {
    this.entries = readEntries(path);
  }

  load(sourceId: string): SourceCheckpoint | undefined {
    const found = this.entries[sourceId];
    return found === undefined ? undefined : { ...found };
  }

  save(sourceId: string, checkpoint: SourceCheckpoint): void {
    this.entries[sourceId] = { ...checkpoint };
    writeFileAtomic(this.path, `${JSON.stringify(this.entries, null, 2)}\n`, { mode: 0o600 });
  }
}

function readEntries(path: string): Record<string, SourceCheckpoint> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return {};
  }
  const out: Record<string, SourceCheckpoint> = Object.create(null);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // A damaged position file costs a re-read from the configured start, never a crash.
    return out;
  }
  if (typeof data !== "object" || data === null) return out;
  for (const [id, raw] of Object.entries(data as Record<string, unknown>)) {
    if (typeof raw !== "object" || raw === null) continue;
    const r = raw as Record<string, unknown>;
    const cp: { -readonly [K in keyof SourceCheckpoint]: SourceCheckpoint[K] } = {};
    for (const f of FIELDS) if (typeof r[f] === "number") cp[f] = r[f] as number;
    if (typeof r.firstLineHash === "string") cp.firstLineHash = r.firstLineHash;
    if (typeof r.cursor === "string") cp.cursor = r.cursor;
    out[id] = cp;
  }
  return out;
}
