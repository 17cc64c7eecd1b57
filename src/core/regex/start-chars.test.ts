import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { translatePythonRegex } from "./translate-python-regex.js";

function startChars(pattern: string, multiline = false): string | undefined {
  const t = translatePythonRegex(pattern, { multiline });
  if (!t.ok) assert.fail(JSON.stringify(t.problems));
  const table = t.value.startChars;
  if (table === undefined) return undefined;
  let out = "";
  for (let c = 32; c < 127; c++) if (table[c]) out += String.fromCharCode(c);
  return out;
}

describe("anchored start characters", () => {
  it("takes the first literal after ^, through groups and alternations", () => {
    assert.equal(startChars("^Failed password"), "F");
    assert.equal(startChars("^(?P<x>Invalid|[iI]llegal) user"), "Ii");
    assert.equal(startChars("^(?:Accepted|Failed|\\d+)"), "0123456789AF");
  });

  it("looks past optional items and zero-width assertions", () => {
    assert.equal(startChars("^(?:error: )?Failed"), "Fe");
    assert.equal(startChars("^(?=x)x\\w"), "x");
    assert.equal(startChars("^\\s*ab"), " a");
  });

  it("folds case the way the translation does", () => {
    assert.equal(startChars("(?i)^k"), "Kk");
    assert.equal(startChars("^(?i:a)b"), "Aa");
  });

  it("rules nothing out when a match need not start at the text's start or may be empty", () => {
    assert.equal(startChars("Failed"), undefined);
    assert.equal(startChars("^a|b"), undefined);
    assert.equal(startChars("^a", true), undefined, "MULTILINE ^ matches after any newline");
    assert.equal(startChars("^(?:a)?"), undefined);
    assert.equal(startChars("^$"), undefined);
    assert.equal(startChars("^(?P<x>a)?(?(x)b|c)")?.includes("a"), true);
  });

  it("never rules out a character that can start a real match (fail2ban's regexes, sampled)", () => {
    const patterns = [
      "^[aA]uthentication (?:failure|error|failed) for .* from (\\S+)",
      "^(?P<nofail>Connection (?:closed|reset)|Disconnected) (?:by|from)",
      "^User .+ not allowed because",
      "^(?:\\[\\])?\\s*(?:<[^.]+\\.[^.]+>\\s+)?(?:\\S+\\s+)?",
      "^\\W{0,2}\\d+",
    ];
    const subjects = [
      "authentication failure for x from 1",
      "Authentication error for x from 1",
      "Disconnected from",
      "Connection reset by",
      "User bob not allowed because",
      "<a.b> host x",
      "  42",
      "[] x",
      "--7",
    ];
    for (const pattern of patterns) {
      const t = translatePythonRegex(pattern);
      if (!t.ok) assert.fail(JSON.stringify(t.problems));
      const regex = new RegExp(t.value.source, t.value.flags);
      for (const subject of subjects) {
        const c = subject.charCodeAt(0);
        if (regex.test(subject) && t.value.startChars)
          assert.equal(t.value.startChars[c], 1, `${pattern} on ${subject}`);
      }
    }
  });
});

function head(pattern: string, multiline = false): string {
  const t = translatePythonRegex(pattern, { multiline });
  if (!t.ok) assert.fail(JSON.stringify(t.problems));
  return t.value.head;
}

describe("anchored literal head", () => {
  it("takes the literal text after ^, through groups (capturing or not) and sequences", () => {
    assert.equal(
      head("^Failed publickey for invalid user (?P<user>\\S+)"),
      "Failed publickey for invalid user ",
    );
    assert.equal(head("^(?P<nofail>Connection from) (?P<ip4>\\S+)"), "Connection from ");
    assert.equal(head("^(?:(Received (disconnect)) from)"), "Received disconnect from");
    assert.equal(head("\\AUser (\\S+)"), "User ");
  });

  it("stops at anything that is not one exact ASCII character", () => {
    assert.equal(head("^Disconnecting(?: from)? x"), "Disconnecting");
    assert.equal(head("^pam_[a-z]+\\(sshd"), "pam_");
    assert.equal(head("^[aA]uthentication failure"), "");
    assert.equal(head("^caf\u00e9 au lait"), "caf");
    assert.equal(head("^a\\.b.c"), "a.b");
  });

  it("under IGNORECASE keeps only what has no other case (letters also match non-ASCII: K, ſ)", () => {
    assert.equal(head("(?i)^12:ab"), "12:");
    assert.equal(head("^(?i:k)ey"), "");
    assert.equal(head("^x(?i:y)z"), "x");
  });

  it("shares only the common start of every anchored alternative", () => {
    assert.equal(head("^(?:Connection closed|Connection reset) by"), "Connection ");
    assert.equal(head("^(?:Connection closed|Disconnected) by"), "");
    assert.equal(head("^ab|^ac"), "a");
  });

  it("is empty when a match need not start at the text's start", () => {
    assert.equal(head("Failed password"), "");
    assert.equal(head("^ab|cd"), "");
    assert.equal(head("^ab", true), "", "MULTILINE ^ matches after any newline");
  });

  it("is a prefix of every match (fail2ban's sshd failregexes on the corpus' sshd lines)", () => {
    // The native scanner runs no failregex whose head a line lacks: a head that is not a prefix
    // of a real match would lose that match.
    const patterns = [
      "^Failed publickey for invalid user (?P<user>\\S+) from (\\S+)",
      "^(?P<nofail>Connection from) (\\S+)",
      "^(?:Connection closed|Connection reset) by (\\S+)",
      "^Disconnecting(?: from)? (?:invalid|authenticating) user (\\S+)",
    ];
    const subjects = [
      "Failed publickey for invalid user bob from 192.0.2.1",
      "Connection from 192.0.2.1",
      "Connection closed by 192.0.2.1",
      "Connection reset by 192.0.2.1",
      "Disconnecting invalid user bob",
      "Disconnecting from authenticating user bob",
    ];
    let matched = 0;
    for (const pattern of patterns) {
      const t = translatePythonRegex(pattern);
      if (!t.ok) assert.fail(JSON.stringify(t.problems));
      const regex = new RegExp(t.value.source, t.value.flags);
      for (const subject of subjects) {
        if (!regex.test(subject)) continue;
        matched++;
        assert.ok(subject.startsWith(t.value.head), `${pattern} on ${subject}`);
      }
    }
    assert.equal(matched, subjects.length);
  });
});
