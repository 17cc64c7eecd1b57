import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseIp } from "../ip/ip-address.js";
import { banTargetOf } from "./ban-target.js";
import { renderGuardChanges, renderGuardTable } from "./guard-nft-script.js";

const now = 1_800_000_000;
const t = (ip: string, p = 64) => banTargetOf(parseIp(ip)!, p);

describe("guard nft scripts", () => {
  it("renders the table with allow sets first, hooks on input and forward, timeouts on elements", () => {
    const script = renderGuardTable(
      {
        table: "rampart_guard",
        priority: -10,
        blocktype: "drop",
        allow4: ["127.0.0.0/8"],
        allow6: ["::1"],
        ipv6Prefixes: [64, 128],
      },
      [
        { target: t("192.0.2.1"), until: now + 3600 },
        { target: t("2001:db8::1"), until: null },
        { target: t("2001:db8::1", 128), until: now + 0.2 },
      ],
      now,
    );
    assert.equal(
      script,
      `table inet rampart_guard {}
delete table inet rampart_guard
table inet rampart_guard {
  set allow4 { type ipv4_addr; flags interval; elements = { 127.0.0.0/8 }; }
  set allow6 { type ipv6_addr; flags interval; elements = { ::1 }; }
  set banned4 { type ipv4_addr; flags timeout; }
  set ack { type ipv4_addr; }
  set banned6 { type ipv6_addr; flags timeout; }
  set banned6_128 { type ipv6_addr; flags timeout; }
  chain input {
    type filter hook input priority -10; policy accept;
    ip saddr @allow4 return
    ip6 saddr @allow6 return
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } return
    ip saddr @banned4 drop
    ip6 saddr & ffff:ffff:ffff:ffff:0:0:0:0 @banned6 drop
    ip6 saddr @banned6_128 drop
  }
  chain forward {
    type filter hook forward priority -10; policy accept;
    ip saddr @allow4 return
    ip6 saddr @allow6 return
    icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } return
    ip saddr @banned4 drop
    ip6 saddr & ffff:ffff:ffff:ffff:0:0:0:0 @banned6 drop
    ip6 saddr @banned6_128 drop
  }
}
add element inet rampart_guard banned4 { 192.0.2.1 timeout 3600s }
add element inet rampart_guard banned6 { 2001:db8:: }
add element inet rampart_guard banned6_128 { 2001:db8::1 timeout 1s }
`,
    );
  });

  it("renders changes as add-delete-add so timeouts are replaced and missing elements do not fail", () => {
    assert.equal(
      renderGuardChanges("g", [{ target: t("192.0.2.1"), until: now + 60 }], [t("192.0.2.2")], now),
      `add element inet g banned4 { 192.0.2.1, 192.0.2.2 }
delete element inet g banned4 { 192.0.2.1, 192.0.2.2 }
add element inet g banned4 { 192.0.2.1 timeout 60s }
`,
    );
    assert.equal(renderGuardChanges("g", [], [], now), "");
  });
});
