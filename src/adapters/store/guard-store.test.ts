import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { banTargetOf } from "../../core/guard/ban-target.js";
import type { GuardDecision } from "../../core/guard/guard-decision.js";
import { parseIp } from "../../core/ip/ip-address.js";
import { checkpointStoreContract } from "../sources/checkpoint-store-contract.js";
import { GuardStore, STORE_SCHEMA_VERSION } from "./guard-store.js";

const dir = mkdtempSync(join(tmpdir(), "rampart-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db${n++}`, "rampart.db");

const T0 = 1_800_000_000;
function ban(jail: string, ip: string, until: number | null, banCount = 1, prefix = 64): GuardDecision {
  const target = banTargetOf(parseIp(ip)!, prefix);
  return {
    kind: "ban",
    ban: { jail, target, since: T0, until, bantime: until === null ? -1 : until - T0, banCount, failures: 5 },
    findtime: 600,
    reason: "failures",
    address: ip,
    matches: Array.from({ length: 15 }, (_, i) => `line ${i}`),
  };
}

describe("GuardStore as a CheckpointStore", () => {
  checkpointStoreContract(() => {
    const path = freshPath();
    const store = GuardStore.open(path);
    return { store, reopen: () => GuardStore.open(path) };
  });
});

describe("GuardStore", () => {
  it("creates a 0600 database in WAL mode at the current schema version", () => {
    const path = freshPath();
    const store = GuardStore.open(path);
    assert.equal(store.schemaVersion, STORE_SCHEMA_VERSION);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    store.close();
    const raw = new Database(path, { readonly: true });
    assert.equal(raw.pragma("journal_mode", { simple: true }), "wal");
    raw.close();
  });

  it("refuses a database from a newer rampart", () => {
    const path = freshPath();
    GuardStore.open(path).close();
    const raw = new Database(path);
    raw.pragma("user_version = 99");
    raw.close();
    assert.throws(() => GuardStore.open(path), /schema version 99/);
  });

  it("keeps active bans across a reopen, drops expired ones, and forgets unbanned ones", () => {
    const path = freshPath();
    const store = GuardStore.open(path);
    store.applyDecisions(
      [
        ban("sshd", "192.0.2.1", T0 + 3600),
        ban("sshd", "2001:db8::7", null),
        ban("web", "192.0.2.2", T0 + 10),
      ],
      T0,
    );
    store.applyDecisions(
      [{ kind: "unban", jail: "sshd", target: banTargetOf(parseIp("192.0.2.1")!, 64), reason: "manual" }],
      T0 + 1,
    );
    store.close();
    const again = GuardStore.open(path);
    const active = again.activeBans(T0 + 100);
    assert.deepEqual(
      active.map((b) => [b.jail, b.target.text, b.until]),
      [["sshd", "2001:db8::/64", null]],
    );
    const history = again.recentHistory(10);
    assert.equal(history.length, 3);
    const unbanned = history.find((h) => h.target === "192.0.2.1");
    assert.equal(unbanned?.end_reason, "manual");
    assert.equal(JSON.parse(String(unbanned?.matches)).length, 10);
    again.close();
  });

  it("answers ban counts per jail and across jails (bantime.increment)", () => {
    const store = GuardStore.open(freshPath());
    store.applyDecisions([ban("sshd", "192.0.2.9", T0 + 10, 1)], T0);
    store.applyDecisions([ban("sshd", "192.0.2.9", T0 + 10, 2), ban("web", "192.0.2.9", T0 + 10, 1)], T0);
    assert.equal(store.previousBans("192.0.2.9", "sshd"), 2);
    assert.equal(store.previousBans("192.0.2.9", "web"), 1);
    assert.equal(store.previousBans("192.0.2.9", undefined), 3);
    assert.equal(store.previousBans("192.0.2.10", undefined), 0);
    store.close();
  });

  it("keeps pending failure windows", () => {
    const store = GuardStore.open(freshPath());
    store.savePendingFailures([{ jail: "sshd", key: "-1062731775", times: [T0, T0 + 1] }]);
    assert.deepEqual(store.loadPendingFailures(), [
      { jail: "sshd", key: "-1062731775", times: [T0, T0 + 1] },
    ]);
    store.savePendingFailures([]);
    assert.deepEqual(store.loadPendingFailures(), []);
    store.close();
  });

  it("writes a burst of 10k bans in one transaction quickly", () => {
    const store = GuardStore.open(freshPath());
    const decisions: GuardDecision[] = [];
    for (let i = 0; i < 10_000; i++) decisions.push(ban("sshd", `10.${i >> 8}.${i & 255}.1`, T0 + 3600));
    const start = performance.now();
    store.applyDecisions(decisions, T0);
    const ms = performance.now() - start;
    assert.equal(store.activeBans(T0).length, 10_000);
    assert.ok(ms < 2000, `took ${ms} ms`);
    store.close();
  });
});
