import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JailConfig } from "../config/guard-section.js";
import type { LogFailure } from "../filter/log-failure.js";
import { Detector } from "./detector.js";
import type { BanHistory, GuardDecision } from "./guard-decision.js";

const T0 = 1_800_000_000;

function jail(overrides: Partial<JailConfig> = {}): JailConfig {
  return {
    name: "sshd",
    enabled: true,
    filter: "sshd",
    backend: "file",
    logpath: ["/var/log/auth.log"],
    journalmatch: [],
    journalfiles: [],
    journalpath: undefined,
    maxretry: 3,
    findtime: 600,
    bantime: 3600,
    increment: undefined,
    ipv6Prefix: 64,
    ignoreip: [],
    actions: [],
    ...overrides,
  };
}

function failure(ip: string, time: number, id = ip): LogFailure {
  return { id, ip, time, line: 1, user: null, matches: [`failure from ${ip}`] };
}

/** Ban counts as the store keeps them, updated from the decisions like the daemon does. */
class MemoryHistory implements BanHistory {
  readonly counts = new Map<string, number>();
  previousBans(target: string, jailName: string | undefined): number {
    let sum = 0;
    for (const [key, n] of this.counts) {
      const [t, j] = key.split("|");
      if (t === target && (jailName === undefined || j === jailName)) sum += n;
    }
    return sum;
  }
  record(decisions: readonly GuardDecision[]): void {
    for (const d of decisions)
      if (d.kind === "ban") this.counts.set(`${d.ban.target.text}|${d.ban.jail}`, d.ban.banCount);
  }
}

function feed(
  d: Detector,
  jailName: string,
  ip: string,
  times: readonly number[],
  now?: number,
): GuardDecision[] {
  const out: GuardDecision[] = [];
  for (const t of times) out.push(...d.observe(jailName, failure(ip, t), now ?? t));
  return out;
}

describe("Detector", () => {
  it("bans on the maxretry-th failure within findtime, from the last failure's time", () => {
    const d = new Detector([jail()], [], new MemoryHistory());
    assert.equal(feed(d, "sshd", "192.0.2.7", [T0, T0 + 10]).length, 0);
    const [ban] = feed(d, "sshd", "192.0.2.7", [T0 + 20]);
    assert.equal(ban?.kind, "ban");
    if (ban?.kind !== "ban") return;
    assert.equal(ban.ban.target.text, "192.0.2.7");
    assert.equal(ban.ban.since, T0 + 20);
    assert.equal(ban.ban.until, T0 + 20 + 3600);
    assert.equal(ban.ban.failures, 3);
    assert.equal(d.status("sshd")?.currentlyBanned, 1);
  });

  it("counts an exact sliding window: failures older than findtime fall out one by one", () => {
    const d = new Detector([jail({ maxretry: 3, findtime: 100 })], [], new MemoryHistory());
    // fail2ban's rate rescaling would ban here or not depending on the average; the window says:
    // at T0+150 only T0+60 and T0+150 lie within 100 s.
    assert.equal(feed(d, "sshd", "192.0.2.8", [T0, T0 + 60, T0 + 150]).length, 0);
    // T0+160: T0+60, T0+150, T0+160 are within [T0+60, T0+160] → ban.
    assert.equal(feed(d, "sshd", "192.0.2.8", [T0 + 160]).length, 1);
  });

  it("does not count failures already older than findtime when read (old log lines)", () => {
    const d = new Detector([jail()], [], new MemoryHistory());
    const now = T0 + 10_000;
    assert.equal(feed(d, "sshd", "192.0.2.9", [T0, T0 + 1, T0 + 2], now).length, 0);
    assert.equal(d.status("sshd")?.currentlyFailed, 0);
  });

  it("keeps addresses apart and jails apart", () => {
    const d = new Detector([jail(), jail({ name: "web" })], [], new MemoryHistory());
    feed(d, "sshd", "192.0.2.1", [T0, T0 + 1]);
    feed(d, "web", "192.0.2.1", [T0 + 2]);
    assert.equal(feed(d, "sshd", "192.0.2.2", [T0 + 3]).length, 0);
    assert.equal(feed(d, "sshd", "192.0.2.1", [T0 + 4]).length, 1);
    assert.equal(d.status("web")?.currentlyBanned, 0);
  });

  it("never bans loopback (v4, v6, IPv4-mapped) nor ignoreip addresses and networks", () => {
    const d = new Detector(
      [jail({ maxretry: 1, ignoreip: ["198.51.100.0/24"] })],
      ["2001:db8:1::/48", "192.0.2.5"],
      new MemoryHistory(),
    );
    for (const ip of [
      "127.0.0.1",
      "127.9.9.9",
      "::1",
      "::ffff:127.0.0.1",
      "198.51.100.77",
      "2001:db8:1:5::9",
      "192.0.2.5",
      "::ffff:192.0.2.5",
    ]) {
      assert.deepEqual(feed(d, "sshd", ip, [T0]), [], ip);
    }
    assert.equal(feed(d, "sshd", "192.0.2.6", [T0]).length, 1);
    const refused = d.manualBan("sshd", "::1", T0);
    assert.equal(refused.ok, false);
  });

  it("treats IPv4-mapped IPv6 as the IPv4 address", () => {
    const d = new Detector([jail({ maxretry: 2 })], [], new MemoryHistory());
    feed(d, "sshd", "192.0.2.44", [T0]);
    const [ban] = d.observe("sshd", failure("::ffff:192.0.2.44", T0 + 1), T0 + 1);
    assert.equal(ban?.kind === "ban" && ban.ban.target.text, "192.0.2.44");
  });

  it("counts and bans IPv6 by prefix (default /64, configurable)", () => {
    const d = new Detector(
      [jail({ maxretry: 3 }), jail({ name: "wide", maxretry: 2, ipv6Prefix: 48 })],
      [],
      new MemoryHistory(),
    );
    feed(d, "sshd", "2001:db8:0:1::1", [T0]);
    feed(d, "sshd", "2001:db8:0:1::2", [T0 + 1]);
    const [ban] = feed(d, "sshd", "2001:db8:0:1:ffff::3", [T0 + 2]);
    assert.equal(ban?.kind === "ban" && ban.ban.target.text, "2001:db8:0:1::/64");
    assert.equal(ban?.kind === "ban" && ban.address, "2001:db8:0:1:ffff::3");
    feed(d, "wide", "2001:db8:7:1::1", [T0]);
    const [wide] = feed(d, "wide", "2001:db8:7:2::1", [T0 + 1]);
    assert.equal(wide?.kind === "ban" && wide.ban.target.text, "2001:db8:7::/48");
  });

  it("ignores failures whose id is not an IP address", () => {
    const d = new Detector([jail({ maxretry: 1 })], [], new MemoryHistory());
    assert.deepEqual(d.observe("sshd", { ...failure("x", T0), ip: null, id: "evil.example" }, T0), []);
  });

  it("does not count failures of an address while it is banned", () => {
    const d = new Detector([jail({ maxretry: 1 })], [], new MemoryHistory());
    assert.equal(feed(d, "sshd", "192.0.2.3", [T0]).length, 1);
    assert.equal(feed(d, "sshd", "192.0.2.3", [T0 + 1, T0 + 2]).length, 0);
  });

  it("expires bans at their end, and unbans manually by address or prefix member", () => {
    const d = new Detector([jail({ maxretry: 1, bantime: 60 })], [], new MemoryHistory());
    feed(d, "sshd", "192.0.2.10", [T0]);
    feed(d, "sshd", "2001:db8::1", [T0]);
    assert.deepEqual(d.expire(T0 + 59), []);
    const un = d.manualUnban("2001:db8::ffff", undefined);
    assert.equal(un.ok && un.decisions[0]?.kind === "unban" && un.decisions[0].target.text, "2001:db8::/64");
    const expired = d.expire(T0 + 60);
    assert.deepEqual(
      expired.map((e) => e.kind === "unban" && [e.target.text, e.reason]),
      [["192.0.2.10", "expired"]],
    );
    assert.equal(d.manualUnban("192.0.2.10", undefined).ok, false);
  });

  it("manual ban and unban honour the jail", () => {
    const d = new Detector([jail(), jail({ name: "web" })], [], new MemoryHistory());
    const r = d.manualBan("web", "192.0.2.20", T0);
    assert.ok(r.ok);
    assert.equal(d.manualBan("nope", "192.0.2.20", T0).ok, false);
    assert.equal(d.manualBan("web", "not-an-ip", T0).ok, false);
    assert.equal(d.manualUnban("192.0.2.20", "sshd").ok, false);
    assert.ok(d.manualUnban("192.0.2.20", "web").ok);
  });

  it("increments bantime for repeat offenders from the history, per jail or across jails", () => {
    const history = new MemoryHistory();
    const inc = { factor: 1, maxtime: 4 * 3600, multipliers: [], overalljails: false };
    const d = new Detector(
      [
        jail({ maxretry: 1, increment: inc }),
        jail({ name: "web", maxretry: 1, increment: { ...inc, overalljails: true } }),
      ],
      [],
      history,
    );
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const now = T0 + i * 100_000;
      const decisions = feed(d, "sshd", "192.0.2.30", [now]);
      history.record(decisions);
      const ban = decisions[0];
      assert.ok(ban?.kind === "ban");
      times.push(ban.ban.bantime);
      assert.equal(ban.ban.banCount, i + 1);
      d.expire(now + 99_999);
    }
    // 1h, 1h·2, 1h·4, then capped at maxtime 4h.
    assert.deepEqual(times, [3600, 7200, 14400, 14400]);
    // overalljails: the sshd history (count 4) counts in "web".
    const [web] = feed(d, "web", "192.0.2.30", [T0 + 1_000_000]);
    assert.ok(web?.kind === "ban");
    assert.equal(web.ban.banCount, 5);
    assert.equal(web.ban.bantime, 14400);
  });

  it("reconfigure keeps bans of surviving jails and unbans a removed jail's bans", () => {
    const d = new Detector(
      [jail({ maxretry: 1 }), jail({ name: "web", maxretry: 1 })],
      [],
      new MemoryHistory(),
    );
    feed(d, "sshd", "192.0.2.40", [T0]);
    feed(d, "web", "192.0.2.41", [T0]);
    const decisions = d.configure([jail({ maxretry: 1 })], []);
    assert.deepEqual(
      decisions.map((x) => x.kind === "unban" && [x.jail, x.target.text, x.reason]),
      [["web", "192.0.2.41", "jail-removed"]],
    );
    assert.equal(d.status("sshd")?.currentlyBanned, 1);
  });

  it("the kernel keeps the longest ban when several jails ban one target", () => {
    const d = new Detector(
      [jail({ maxretry: 1 }), jail({ name: "web", maxretry: 1, bantime: 86400 })],
      [],
      new MemoryHistory(),
    );
    const [a] = feed(d, "sshd", "192.0.2.50", [T0]);
    feed(d, "web", "192.0.2.50", [T0]);
    assert.ok(a?.kind === "ban");
    assert.equal(d.kernelUntil(a.ban.target), T0 + 86400);
    d.manualUnban("192.0.2.50", "web");
    assert.equal(d.kernelUntil(a.ban.target), T0 + 3600);
  });

  it("saves and restores open failure windows", () => {
    const d = new Detector([jail()], [], new MemoryHistory());
    feed(d, "sshd", "192.0.2.60", [T0, T0 + 1]);
    feed(d, "sshd", "2001:db8::5", [T0]);
    const saved = [...d.pendingFailures()];
    const again = new Detector([jail()], [], new MemoryHistory());
    again.restorePendingFailures(saved, T0 + 5);
    assert.equal(again.status("sshd")?.currentlyFailed, 2);
    assert.equal(feed(again, "sshd", "192.0.2.60", [T0 + 6]).length, 1);
  });
});
