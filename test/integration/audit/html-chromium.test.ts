import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { writeFileAtomic } from "../../../src/adapters/fs/atomic-write.js";
import { gatherHostFacts } from "../../../src/adapters/system/gather-host-facts.js";
import { CHECKS } from "../../../src/core/audit/check-catalog.js";
import { runAudit } from "../../../src/core/audit/run-audit.js";
import { renderHtmlReport } from "../../../src/core/report/html-report.js";
import { AUDIT_FIXTURES } from "./fixture-paths.js";

const CHROMIUM = "/usr/bin/chromium";

/** Headless Chromium with everything that could reach the network switched off. */
function chromium(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const profile = mkdtempSync(join(tmpdir(), "rampart-audit-chromium-"));
  const child = spawn(
    CHROMIUM,
    [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => {
    stdout += b.toString();
  });
  child.stderr.on("data", (b: Buffer) => {
    stderr += b.toString();
  });
  return new Promise((resolve) =>
    child.on("close", (code) => {
      rmSync(profile, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    }),
  );
}

function pngSize(file: string): { width: number; height: number; bytes: number } {
  const png = readFileSync(file);
  assert.deepEqual(
    [...png.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    "PNG signature",
  );
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), bytes: png.length };
}

describe("HTML report in real headless Chromium", {
  skip: existsSync(CHROMIUM) ? false : "apt-get install -y chromium",
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "rampart-audit-html-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("renders the findings: a screenshot far richer than a blank page, and the DOM holds every check", async () => {
    const facts = await gatherHostFacts({
      root: join(AUDIT_FIXTURES, "weak"),
      settings: { behindCloudflare: false },
    });
    const report = runAudit(CHECKS, facts, { skip: new Set(), waivers: [], host: "weak <&> host" });
    const page = join(dir, "report.html");
    writeFileAtomic(page, renderHtmlReport(report));
    const blank = join(dir, "blank.html");
    writeFileAtomic(blank, "<!doctype html><title>blank</title>");
    const shot = join(dir, "report.png");
    const blankShot = join(dir, "blank.png");
    const [a, b, dom] = await Promise.all([
      chromium([`--screenshot=${shot}`, "--window-size=1280,2000", `file://${page}`]),
      chromium([`--screenshot=${blankShot}`, "--window-size=1280,2000", `file://${blank}`]),
      chromium(["--dump-dom", `file://${page}`]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(dom.code, 0, dom.stderr);
    const s = pngSize(shot);
    const blankSize = pngSize(blankShot);
    assert.equal(s.width, 1280);
    assert.equal(s.height, 2000);
    assert.ok(s.bytes > 50_000, `screenshot has content (${s.bytes} bytes)`);
    assert.ok(s.bytes > 10 * blankSize.bytes, `report (${s.bytes} B) vs blank page (${blankSize.bytes} B)`);
    // The DOM after parsing: every check is a rendered element, the host name is escaped text.
    for (const f of report.findings)
      assert.match(dom.stdout, new RegExp(`id="${f.id.replace(".", "\\.")}"`), f.id);
    assert.match(dom.stdout, /Rampart audit: weak &lt;&amp;&gt; host/);
    assert.match(dom.stdout, /What to fix first/);
    assert.doesNotMatch(dom.stdout, /<script/);
  });
});
