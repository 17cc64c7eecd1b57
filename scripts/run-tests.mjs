// Runs every compiled test file with node's test runner. Node 20 has no glob in --test,
// so the file list is gathered here. RAMPART_TEST_ONLY=substring narrows the run.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const only = process.env.RAMPART_TEST_ONLY;
const files = [...collect("dist/src", []), ...collect("dist/test", [])]
  .filter((f) => !only || f.includes(only))
  .sort();
if (files.length === 0) {
  console.error("No test files found under dist/ (did the build run?)");
  process.exit(1);
}
// Everything Rampart caches (scan plans) goes to a folder of this run, never to ~/.cache.
const cacheDir = mkdtempSync(join(tmpdir(), "rampart-test-cache-"));
const result = spawnSync(
  process.execPath,
  [
    "--enable-experimental-regexp-engine-on-excessive-backtracks",
    "--test",
    `--test-concurrency=${process.env.RAMPART_TEST_CONCURRENCY ?? "3"}`,
    "--test-reporter=spec",
    ...files,
  ],
  { stdio: "inherit", env: { ...process.env, RAMPART_CACHE_DIR: cacheDir } },
);
rmSync(cacheDir, { recursive: true, force: true });
process.exit(result.status ?? 1);
