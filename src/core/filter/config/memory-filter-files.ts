import type { FilterFiles } from "./filter-definition.js";

/**
 * FilterFiles over an in-memory tree ({"/f/filter.d/sshd.conf": "…"}): for filters shipped inside
 * Rampart or generated, and for tests of the pure loader.
 */
export class MemoryFilterFiles implements FilterFiles {
  readonly #files: ReadonlyMap<string, string>;

  constructor(files: Readonly<Record<string, string>>) {
    this.#files = new Map(Object.entries(files));
  }

  read(path: string): string | undefined {
    return this.#files.get(path);
  }

  list(dir: string): string[] {
    const prefix = dir.endsWith("/") ? dir : `${dir}/`;
    const names = new Set<string>();
    for (const path of this.#files.keys()) {
      if (path.startsWith(prefix)) names.add(path.slice(prefix.length).split("/")[0]!);
    }
    return [...names];
  }
}
