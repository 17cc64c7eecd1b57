import { execFileSync } from "node:child_process";
import { join } from "node:path";

const NATIVE = new URL("../../../native/", import.meta.url).pathname;

/**
 * Compiles a test probe, native/test/NAME.c, with the scanner sources it needs (file names
 * under native/src) and PCRE2, into `dir`; returns the program's path.
 */
export function buildNativeProbe(dir: string, name: string, sources: readonly string[]): string {
  const probe = join(dir, name);
  const pcre = execFileSync("pkg-config", ["--cflags", "--libs", "libpcre2-8"])
    .toString()
    .trim()
    .split(/\s+/);
  execFileSync("cc", [
    "-std=c11",
    "-O1",
    "-pthread",
    `-I${join(NATIVE, "src")}`,
    "-o",
    probe,
    join(NATIVE, "test", `${name}.c`),
    ...sources.map((f) => join(NATIVE, "src", f)),
    ...pcre,
    "-lm",
  ]);
  return probe;
}
