import { createHash } from "node:crypto";
import {
  cpSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** test/fixtures/harden in the source tree (tests run from dist/, fixtures are not compiled). */
export const HARDEN_FIXTURES = fileURLToPath(new URL("../../../../test/fixtures/harden/", import.meta.url));
export const ADMIN_PUB = join(HARDEN_FIXTURES, "admin_ed25519.pub");
export const ADMIN_KEY = join(HARDEN_FIXTURES, "admin_ed25519");

/** A private copy of a fixture tree (plus a state dir beside it); `cleanup()` removes both. */
export function copyFixture(name: string): { root: string; stateDir: string; cleanup(): void } {
  const base = mkdtempSync(join(tmpdir(), "rampart-harden-"));
  const root = join(base, "root");
  cpSync(join(HARDEN_FIXTURES, name), root, { recursive: true });
  mkdirSync(join(root, "home"), { recursive: true });
  return {
    root,
    stateDir: join(base, "state"),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** Every entry of a tree: content hash, mode, owner, link target — to prove "nothing changed". */
export function treeSnapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const r = `${rel}/${name}`;
      const st = lstatSync(path);
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out.set(r, `link ${readlinkSync(path)}`);
      else if (st.isDirectory()) {
        out.set(r, `dir ${meta}`);
        walk(path, r);
      } else out.set(r, `file ${meta} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`);
    }
  };
  walk(root, "");
  return out;
}
