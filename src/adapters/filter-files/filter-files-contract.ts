import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FilterFiles } from "../../core/filter/config/filter-definition.js";

/**
 * The contract every FilterFiles implementation must meet. `make` builds one holding exactly
 * these files (paths under `root`).
 */
export function filterFilesContract(
  label: string,
  make: (root: string, files: Record<string, string>) => { files: FilterFiles; root: string },
): void {
  describe(`FilterFiles contract: ${label}`, () => {
    const tree = {
      "filter.d/sshd.conf": "[Definition]\nfailregex = x <HOST>\n",
      "filter.d/sshd.local": "[Definition]\n",
      "filter.d/sshd.d/10-extra.conf": "[Init]\n",
      "filter.d/empty.conf": "",
    };

    it("reads an existing file's text", () => {
      const { files, root } = make("/virtual", tree);
      assert.equal(files.read(`${root}/filter.d/sshd.conf`), "[Definition]\nfailregex = x <HOST>\n");
      assert.equal(files.read(`${root}/filter.d/empty.conf`), "");
    });

    it("answers undefined for a missing file and for a directory", () => {
      const { files, root } = make("/virtual", tree);
      assert.equal(files.read(`${root}/filter.d/nope.conf`), undefined);
      assert.equal(files.read(`${root}/filter.d/sshd.d`), undefined);
      assert.equal(files.read(`${root}/filter.d/`), undefined);
    });

    it("lists the names in a directory and [] for a missing one", () => {
      const { files, root } = make("/virtual", tree);
      assert.deepEqual(files.list(`${root}/filter.d/sshd.d`), ["10-extra.conf"]);
      assert.deepEqual(files.list(`${root}/filter.d`).sort(), [
        "empty.conf",
        "sshd.conf",
        "sshd.d",
        "sshd.local",
      ]);
      assert.deepEqual(files.list(`${root}/filter.d/nope.d`), []);
    });

    it("keeps a byte order mark and CRLF as they are (the parser decides)", () => {
      const { files, root } = make("/virtual", { "f.conf": "\ufeff[Definition]\r\n" });
      assert.equal(files.read(`${root}/f.conf`), "\ufeff[Definition]\r\n");
    });
  });
}
