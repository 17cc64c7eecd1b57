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
