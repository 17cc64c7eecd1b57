import { parseCidr } from "../ip/ip-address.js";
import { parseFirewallCommand } from "./firewall-command.js";
import { type FirewallRule, type FirewallState, INITIAL_STATE } from "./firewall-rule.js";
import { parseServices } from "./services-file.js";
import { type AddressSet, makeAddressSet } from "./set-file.js";

/**
 * Rule sets whose rendered scripts are kept as golden files (test/fixtures/firewall/*.nft). The
 * unit test compares the renderer's output with them; the netns test loads each with `nft -c`.
 */
export interface GoldenCase {
  readonly name: string;
  readonly state: FirewallState;
  readonly sets: ReadonlyMap<string, AddressSet>;
}

const services = parseServices("ssh 22/tcp\nhttp 80/tcp\nhttps 443/tcp\nhttps 443/udp\n");

function set(name: string, items: readonly string[]): AddressSet {
  return makeAddressSet(
    name,
    items.map((t) => parseCidr(t)!),
    `${name}.txt`,
  );
}

const SETS = new Map([
  [
    "cloudflare",
    set("cloudflare", ["173.245.48.0/20", "103.21.244.0/22", "2400:cb00::/32", "2606:4700::/32"]),
  ],
  ["office", set("office", ["192.0.2.0/24", "192.0.2.7", "198.51.100.9"])],
]);

function rules(lines: readonly string[]): FirewallRule[] {
  return lines.map((line) => {
    const [words, ...options] = line.split(" --");
    const extras: Record<string, string> = {};
    for (const o of options) {
      const [k, v] = o.split(" ");
      extras[k ?? ""] = v ?? "";
    }
    const parsed = parseFirewallCommand((words ?? "").split(" "), extras, {
      services,
      servicesFile: "services",
      knownSets: [...SETS.keys()],
    });
    if (!parsed.ok || parsed.value.kind !== "add") throw new Error(`bad golden rule "${line}"`);
    return parsed.value.rule;
  });
}

export const GOLDEN_CASES: readonly GoldenCase[] = [
  { name: "disabled", state: INITIAL_STATE, sets: SETS },
  {
    name: "ssh-limit",
    state: {
      ...INITIAL_STATE,
      enabled: true,
      rules: rules(["allow 22/tcp", "limit ssh", "allow 6000:6007/udp"]),
    },
    sets: SETS,
  },
  {
    name: "cloudflare-web",
    state: {
      version: 1,
      enabled: true,
      defaults: { incoming: "reject", outgoing: "deny", routed: "deny" },
      rules: rules([
        "allow ssh comment admin-access",
        "allow from cloudflare to any port 80,443 proto tcp",
        "deny from office",
        "allow in on eth0 proto udp from 203.0.113.0/24 port 53 to 192.0.2.1 port 1024:65535",
        "allow 8080/tcp --connlimit 2 --rate 2/second",
        "allow from 2001:db8::/32 to any port 9000 --rate 30/minute --burst 10",
        "reject out 25/tcp",
        "allow out 53",
        "deny out to 2001:db8:bad::/48",
      ]),
    },
    sets: SETS,
  },
];
