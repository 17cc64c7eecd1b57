import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatProblem } from "../errors/problem.js";
import { parseYamlWithPositions } from "./config-context.js";
import { FIREWALL_DEFAULTS, parseFirewallSection } from "./firewall-section.js";

function parse(text: string) {
  const { data, context } = parseYamlWithPositions(text, "rampart.yaml");
  const config = parseFirewallSection(data, context);
  return { config, problems: context.problems.map(formatProblem) };
}

describe("firewall config section", () => {
  it("uses the defaults without a config", () => {
    assert.deepEqual(parse(""), { config: FIREWALL_DEFAULTS, problems: [] });
    assert.deepEqual(parse("guard: {}\n").config, FIREWALL_DEFAULTS);
  });

  it("reads the issue's example and every path", () => {
    const { config, problems } = parse(`state_dir: /var/lib/rampart   # rules, sets, last-good lists
firewall:
  table: lab_fw
  nft: /usr/sbin/nft
  services_file: /srv/services
  sshd: /usr/sbin/sshd
  ssh_ports: [22, 2222]
  cloudflare_url: http://127.0.0.1:8080/client/v4/ips
  unit_path: /tmp/unit.service
  ipv6_source_prefix: 56
  sets:
    office: /etc/rampart/office.txt
`);
    assert.deepEqual(problems, []);
    assert.deepEqual(config, {
      stateDir: "/var/lib/rampart",
      table: "lab_fw",
      nft: "/usr/sbin/nft",
      servicesFile: "/srv/services",
      sets: { office: "/etc/rampart/office.txt" },
      cloudflareUrl: "http://127.0.0.1:8080/client/v4/ips",
      sshd: "/usr/sbin/sshd",
      sshPorts: [22, 2222],
      unitPath: "/tmp/unit.service",
      ipv6SourcePrefix: 56,
    });
  });

  it("reports every problem with file:line:col", () => {
    const { problems } = parse(`state_dir: 42
firewall:
  tabel: x
  table: "drop table"
  ssh_ports: [22, 70000]
  cloudflare_url: ftp://example
  ipv6_source_prefix: 0
  sets:
    Office: /x
    ok_set: [1]
`);
    assert.deepEqual(problems, [
      'rampart.yaml:1:1: Expected a path at "state_dir", got 42',
      'rampart.yaml:3:3: Unknown key "tabel" in "firewall" (known: table, nft, services_file, sets, cloudflare_url, sshd, ssh_ports, unit_path, ipv6_source_prefix)',
      'rampart.yaml:4:3: Invalid nft table name "drop table" (letters, digits and "_", starting with a letter)',
      'rampart.yaml:9:5: Invalid set name "Office" (lower-case letters, digits and "_", starting with a letter, at most 24)',
      'rampart.yaml:10:5: Expected a path at "firewall.sets.ok_set", got [1]',
      'rampart.yaml:5:3: Expected a list of ports (1-65535) at "firewall.ssh_ports"',
      'rampart.yaml:7:3: Expected a prefix length from 1 to 128 at "firewall.ipv6_source_prefix", got 0',
      'rampart.yaml:6:3: Expected an http(s) URL at "firewall.cloudflare_url"',
    ]);
  });
});
