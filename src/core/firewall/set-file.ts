import { failed, ok, type Problem, problem, type Result } from "../errors/problem.js";
import { type IpNetwork, networkContains, parseCidr } from "../ip/ip-address.js";

/** The addresses of one named set, split by family because nft sets have one key type. */
export interface AddressSet {
  readonly name: string;
  readonly v4: readonly IpNetwork[];
  readonly v6: readonly IpNetwork[];
  /** Where the elements came from, for status and messages. */
  readonly source: string;
}

/**
 * Parses a set file: one address or CIDR per line, `#` comments, blank lines ignored. Every bad
 * line is reported with file:line:col so a typo cannot silently open or close a port.
 */
export function parseSetFile(text: string, file: string, name: string): Result<AddressSet> {
  const problems: Problem[] = [];
  const networks: IpNetwork[] = [];
  text.split("\n").forEach((raw, index) => {
    const withoutComment = raw.replace(/#.*/, "");
    const token = withoutComment.trim();
    if (token === "") return;
    const col = withoutComment.indexOf(token) + 1;
    const at = { file, line: index + 1, col };
    if (/\s/.test(token)) {
      problems.push(
        problem("firewall.set-line", `Expected one address or CIDR per line, got "${token}"`, at),
      );
      return;
    }
    const network = parseCidr(token);
    if (!network) {
      problems.push(
        problem("firewall.set-address", `Invalid address or CIDR "${token}" in set "${name}"`, at),
      );
      return;
    }
    networks.push(network);
  });
  if (problems.length > 0) return failed(problems);
  return ok(makeAddressSet(name, networks, file));
}

export function makeAddressSet(name: string, networks: readonly IpNetwork[], source: string): AddressSet {
  return {
    name,
    v4: normaliseNetworks(networks.filter((n) => n.address.family === 4)),
    v6: normaliseNetworks(networks.filter((n) => n.address.family === 6)),
    source,
  };
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Sorts and drops networks contained in another one: nft rejects overlapping elements in an
 * interval set (without the costly auto-merge), and duplicates are common in hand-made lists.
 */
export function normaliseNetworks(networks: readonly IpNetwork[]): IpNetwork[] {
  const sorted = [...networks].sort(
    (a, b) => compareBytes(a.address.bytes, b.address.bytes) || a.prefix - b.prefix,
  );
  const kept: IpNetwork[] = [];
  for (const network of sorted) {
    const last = kept[kept.length - 1];
    if (last && networkContains(last, network.address)) continue;
    kept.push(network);
  }
  return kept;
}
