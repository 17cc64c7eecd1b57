import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RampartError } from "../../core/errors/rampart-error.js";
import {
  isTrustedField,
  journalMatchArgs,
  journalSourceId,
  parseEntry,
  parseJournalMatch,
  SSHD_JOURNAL_MATCHES,
} from "./journal-source.js";

describe("journal entries", () => {
  it("decode MESSAGE given as a byte array (non-UTF-8 or control characters)", () => {
    const bytes = [...Buffer.from("Invalid user \u001b[31m from 192.0.2.1"), 0xff];
    const e = parseEntry(
      JSON.stringify({
        __CURSOR: "c",
        MESSAGE: bytes,
        _COMM: "sshd",
        _PID: "5",
        __REALTIME_TIMESTAMP: "1700000000123456",
      }),
    );
    assert.deepEqual(e, {
      cursor: "c",
      text: "localhost sshd[5]: Invalid user \u001b[31m from 192.0.2.1\uFFFD",
      time: 1700000000.123456,
    });
  });

  it("take the first value of a repeated field and flatten multi-line messages", () => {
    const e = parseEntry(
      JSON.stringify({ __CURSOR: "c", _HOSTNAME: "h", SYSLOG_IDENTIFIER: ["sshd", "x"], MESSAGE: "a\nb" }),
    );
    assert.equal(e?.text, "h sshd: a\\nb");
  });

  it("skip unreadable JSON and keep the cursor of entries without MESSAGE", () => {
    assert.equal(parseEntry("{broken"), undefined);
    assert.equal(parseEntry(JSON.stringify({ MESSAGE: "no cursor" })), undefined);
    assert.deepEqual(parseEntry(JSON.stringify({ __CURSOR: "k" })), {
      cursor: "k",
      text: undefined,
      time: undefined,
    });
  });
});

describe("journal matches", () => {
  it("render as journalctl arguments with + between groups", () => {
    assert.deepEqual(journalMatchArgs(SSHD_JOURNAL_MATCHES), [
      "_SYSTEMD_UNIT=ssh.service",
      "+",
      "_SYSTEMD_UNIT=sshd.service",
      "+",
      "_COMM=sshd",
      "+",
      "_COMM=sshd-session",
    ]);
    assert.equal(journalSourceId({ matches: [["_COMM=sshd"], ["_COMM=x"]] }), "journal:_COMM=sshd + _COMM=x");
  });

  it("parse fail2ban's journalmatch text into groups", () => {
    assert.deepEqual(
      parseJournalMatch(["_SYSTEMD_UNIT=ssh.service + _COMM=sshd", "_COMM=sshd-session  +", "_PID=1"]),
      [["_SYSTEMD_UNIT=ssh.service"], ["_COMM=sshd", "_COMM=sshd-session"], ["_PID=1"]],
    );
    assert.deepEqual(parseJournalMatch([""]), []);
  });

  it("refuse terms that are not FIELD=value (no option injection)", () => {
    assert.throws(() => journalMatchArgs([["--file=/etc/shadow"]]), RampartError);
    assert.throws(() => journalMatchArgs([["message=x"]]), /Invalid journal match "message=x"/);
    assert.throws(() => journalMatchArgs([[]]), /empty/);
  });

  it("know which fields are trusted", () => {
    assert.equal(isTrustedField("_COMM"), true);
    assert.equal(isTrustedField("_SYSTEMD_UNIT"), true);
    assert.equal(isTrustedField("SYSLOG_IDENTIFIER"), false);
    assert.equal(isTrustedField("__CURSOR"), false);
  });
});
