import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../errors/problem.js";
import { parseYamlWithPositions } from "./config-context.js";
import { HARDEN_DEFAULTS, parseHardenSection } from "./harden-section.js";

describe("parseHardenSection", () => {
  it("reads the desired state and settings", () => {
    const { data, context } = parseYamlWithPositions(
      "harden:\n  ssh_port: 2222\n  admin_user: alice\n  no_root_login: true\n  confirm_timeout: 30\n  reload: signal\n",
      "r.yaml",
    );
    const s = parseHardenSection(data, context);
    assert.deepEqual(context.problems, []);
    assert.equal(s.sshPort, 2222);
    assert.equal(s.adminUser, "alice");
    assert.equal(s.noRootLogin, true);
    assert.equal(s.confirmTimeout, 30);
    assert.equal(s.reload, "signal");
    assert.equal(s.stateDir, HARDEN_DEFAULTS.stateDir);
  });

  it("reports bad values with file:line:col and keeps safe defaults", () => {
    const { data, context } = parseYamlWithPositions(
      "harden:\n  ssh_port: 70000\n  no_root_login: yes please\n  sshport: 1\n",
      "r.yaml",
    );
    const s = parseHardenSection(data, context);
    assert.equal(s.sshPort, undefined);
    assert.equal(s.noRootLogin, false);
    assert.deepEqual(context.problems.map(formatProblem), [
      'r.yaml:4:3: Unknown key "sshport" in "harden" (known: ssh_port, admin_user, admin_key, no_root_login, no_password_auth, updates, firewall, guard, ftp_port, max_auth_tries, confirm_timeout, state_dir, sshd, reload)',
      'r.yaml:2:3: Expected a port number (1-65535) at "harden.ssh_port", got 70000',
      'r.yaml:3:3: Expected true or false at "harden.no_root_login", got "yes please"',
    ]);
  });
});
