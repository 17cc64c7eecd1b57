import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after } from "node:test";
import { MemoryFilterFiles } from "../../core/filter/config/memory-filter-files.js";
import { filterFilesContract } from "./filter-files-contract.js";
import { NodeFilterFiles } from "./node-filter-files.js";

const temps: string[] = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

filterFilesContract("NodeFilterFiles", (_root, files) => {
  const root = mkdtempSync(join(tmpdir(), "rampart-filter-files-"));
  temps.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { files: new NodeFilterFiles(), root };
});

filterFilesContract("MemoryFilterFiles", (root, files) => {
  const tree: Record<string, string> = {};
  for (const [path, text] of Object.entries(files)) tree[`${root}/${path}`] = text;
  return { files: new MemoryFilterFiles(tree), root };
});
