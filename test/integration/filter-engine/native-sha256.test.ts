import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../../support/native-scanner.js";

// native/src/sha256.c checks plan-cache entries in the front door and the split scan's dates. It
// has two compresses: the x86 SHA extensions (SHA-NI) when CPUID reports them, and plain C, which
// RAMPART_SHA256_PORTABLE=1 forces. Both must give node:crypto's digest for every input length
// (the padding's one- and two-block tails, whole blocks) and however the input is cut into
// sha256_update calls (native/build/sha256-check takes the chunk size: 1 byte, chunks that end
// just before, on and after a block boundary, and runs of whole blocks).
const CHECK = join(REPO_ROOT, "native/build/sha256-check");
const CHUNKS = [1, 3, 63, 64, 65, 4096] as const;

const { RAMPART_SHA256_PORTABLE: _inherited, ...cleanEnv } = process.env;
const PATHS = [
  { name: "default", env: cleanEnv },
  { name: "portable", env: { ...cleanEnv, RAMPART_SHA256_PORTABLE: "1" } },
] as const;

/** Seeded bytes (xorshift32), so that a failure comes back the same on the next run. */
function pseudoRandom(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const BYTES = pseudoRandom(1 << 20, 0x9e3779b9);

function nativeSha256(input: Buffer, chunk: number, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(CHECK, [String(chunk)], { input, env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function nativePath(env: NodeJS.ProcessEnv): string {
  const r = spawnSync(CHECK, ["--path"], { env, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function agree(lengths: readonly number[], chunks: readonly number[], env: NodeJS.ProcessEnv): void {
  for (const length of lengths) {
    const input = BYTES.subarray(0, length);
    const expected = createHash("sha256").update(input).digest("hex");
    for (const chunk of chunks) {
      assert.equal(nativeSha256(input, chunk, env), expected, `${length} bytes in chunks of ${chunk}`);
    }
  }
}

/**
 * Lengths next to k*64: a last block of 55 bytes (room for the padding's 0x80 and length), 56 and
 * 57 (the length goes to a block of its own), and whole blocks give or take a byte or two.
 */
function aroundBlocks(): number[] {
  const lengths: number[] = [];
  for (const blocks of [5, 8, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65]) {
    for (const d of [-9, -8, -7, -2, -1, 0, 1, 2]) lengths.push(blocks * 64 + d);
  }
  return lengths;
}

function cpuHasShaNi(): boolean {
  try {
    return /^flags\s*:.*\bsha_ni\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

describe("native SHA-256 (native/src/sha256.c) gives node:crypto's digests", {
  skip: !existsSync(CHECK) && "not built (make -C native all)",
}, () => {
  for (const { name, env } of PATHS) {
    it(`${name}: every length from 0 to 300 bytes`, () => {
      agree(
        Array.from({ length: 301 }, (_, i) => i),
        CHUNKS,
        env,
      );
    });

    it(`${name}: lengths around multiples of 64 bytes up to 4 KiB`, () => {
      agree(aroundBlocks(), CHUNKS, env);
    });

    it(`${name}: 1 MiB`, () => {
      agree([BYTES.length], [...CHUNKS, 1 << 20], env);
    });
  }

  it("RAMPART_SHA256_PORTABLE=1 runs the portable compress", () => {
    assert.equal(nativePath(PATHS[1].env), "portable");
  });

  it("the default is SHA-NI on a CPU that has it", (t) => {
    if (!cpuHasShaNi()) {
      t.skip("/proc/cpuinfo lists no sha_ni: only the portable compress can run here");
      return;
    }
    assert.equal(nativePath(PATHS[0].env), "sha-ni");
  });
});
