import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../errors/problem.js";
import { checkTopLevelKeys, parseYamlWithPositions } from "./config-context.js";

describe("rampart.yaml top level", () => {
  it("reports a misspelt section with its position, accepts the known ones", () => {
    const { data, context } = parseYamlWithPositions(
      "state_dir: /x\nguard: {}\ngaurd:\n  jails: {}\n",
      "rampart.yaml",
    );
    checkTopLevelKeys(context, data);
    assert.deepEqual(context.problems.map(formatProblem), [
      'rampart.yaml:3:1: Unknown section "gaurd" in the config (known: state_dir, guard, firewall, audit, harden)',
    ]);
  });

  it("reports YAML syntax errors with file:line:col", () => {
    const { context } = parseYamlWithPositions("guard:\n  jails: [\n", "bad.yaml");
    assert.ok(context.problems.length > 0);
    assert.match(formatProblem(context.problems[0]!), /^bad\.yaml:\d+:\d+: Invalid YAML/);
  });
});
