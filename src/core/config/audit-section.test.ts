import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_AUDIT_SECTION, parseAuditSection } from "./audit-section.js";
import { isRecord, parseYamlWithPositions } from "./config-context.js";

function parse(text: string) {
  const { data, context } = parseYamlWithPositions(text, "rampart.yaml");
  const section = parseAuditSection(isRecord(data) ? data.audit : undefined, context);
  return { section, problems: context.problems.map((p) => `${p.at?.line}:${p.at?.col} ${p.message}`) };
}

describe("parseAuditSection", () => {
  it("reads behind_cloudflare, waivers and skip", () => {
    const r = parse(
      "audit:\n  behind_cloudflare: true\n  waivers: /etc/rampart/w.yaml\n  skip: [ssh.port, ftp.port]\n",
    );
    assert.deepEqual(r.section, {
      behindCloudflare: true,
      waivers: "/etc/rampart/w.yaml",
      skip: ["ssh.port", "ftp.port"],
    });
    assert.deepEqual(r.problems, []);
  });

  it("defaults when absent", () => {
    assert.deepEqual(parse("guard: {}\n").section, DEFAULT_AUDIT_SECTION);
  });

  it("reports every bad value with line:col and falls back to defaults", () => {
    const r = parse("audit:\n  behind_cloudflare: yes please\n  skip: ssh.port\n  waivers: 3\n  extra: 1\n");
    assert.deepEqual(r.section, DEFAULT_AUDIT_SECTION);
    assert.deepEqual(r.problems, [
      '5:3 Unknown key "extra" in "audit" (known: behind_cloudflare, waivers, skip)',
      '2:3 "audit.behind_cloudflare" must be true or false, not "yes please"',
      '4:3 "audit.waivers" must be a file path',
      '3:3 "audit.skip" must be a list of check ids',
    ]);
  });
});
