import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { quoteUnitArg, renderGuardUnit } from "./guard-unit.js";

// dist/src/core/guard → test/fixtures/guard in the source tree.
const GOLDEN = fileURLToPath(
  new URL("../../../../test/fixtures/guard/rampart-guard.service", import.meta.url),
);

describe("renderGuardUnit", () => {
  const unit = renderGuardUnit({
    node: "/usr/bin/node",
    rampart: "/opt/rampart/bin/rampart",
    config: "/etc/rampart/rampart.yaml",
    writablePaths: ["/var/lib/rampart", "/run/rampart", "/srv/rampart log"],
  });

  it("matches the golden file (RAMPART_UPDATE_GOLDEN=1 rewrites it)", () => {
    if (process.env.RAMPART_UPDATE_GOLDEN) writeFileSync(GOLDEN, unit);
    assert.equal(unit, readFileSync(GOLDEN, "utf8"));
  });

  it("grants only CAP_NET_ADMIN and CAP_DAC_READ_SEARCH and makes the system read-only", () => {
    assert.match(unit, /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_DAC_READ_SEARCH$/m);
    assert.match(unit, /^NoNewPrivileges=yes$/m);
    assert.match(unit, /^ProtectSystem=strict$/m);
    assert.match(unit, /^ReadWritePaths="-\/srv\/rampart log"$/m);
    assert.match(unit, /^StateDirectory=rampart$/m);
    assert.match(unit, /^RuntimeDirectory=rampart$/m);
    assert.doesNotMatch(unit, /MemoryDenyWriteExecute/);
  });

  it("refuses relative paths", () => {
    assert.throws(
      () => renderGuardUnit({ node: "node", rampart: "/r", config: "/c", writablePaths: [] }),
      /absolute paths, got "node"/,
    );
  });
});

describe("quoteUnitArg", () => {
  it("escapes specifiers, variables and whitespace (systemd.service(5) command lines)", () => {
    assert.equal(quoteUnitArg("/etc/rampart/rampart.yaml"), "/etc/rampart/rampart.yaml");
    assert.equal(quoteUnitArg("/a b/c"), '"/a b/c"');
    assert.equal(quoteUnitArg("100%$HOME"), "100%%$$HOME");
    assert.equal(quoteUnitArg('say "hi"\\'), '"say \\"hi\\"\\\\"');
    assert.equal(quoteUnitArg(""), '""');
  });
});
