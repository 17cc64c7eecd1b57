import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  isCanonicalIpv4,
  isLoopback,
  maskAddress,
  networkContains,
  parseCidr,
  parseIp,
} from "./ip-address.js";

describe("parseIp", () => {
  it("accepts canonical IPv4 and IPv6", () => {
    assert.equal(parseIp("192.0.2.1")?.text, "192.0.2.1");
    assert.equal(parseIp("2001:DB8:0:0:0:0:0:1")?.text, "2001:db8::1");
    assert.equal(parseIp("::")?.text, "::");
    assert.equal(parseIp("[2001:db8::1]")?.text, "2001:db8::1");
    assert.equal(parseIp("1:0:0:2:0:0:0:3")?.text, "1:0:0:2::3");
  });
  it("normalises IPv4-mapped IPv6 to IPv4", () => {
    assert.deepEqual(parseIp("::ffff:192.0.2.7")?.text, "192.0.2.7");
    assert.equal(parseIp("::ffff:192.0.2.7")?.family, 4);
  });
  it("rejects junk that fail2ban's IPv6 regex lets through", () => {
    for (const bad of [
      "12:34:56",
      "dead:beef",
      "192.030.0.6",
      "256.1.1.1",
      "1.2.3",
      "1.2.3.4.5",
      "",
      "::1::",
      "fe80::1%eth0",
      "1:2:3:4:5:6:7:8:9",
      " 1.2.3.4",
    ]) {
      assert.equal(parseIp(bad), undefined, bad);
    }
  });
});

describe("networks", () => {
  it("masks host bits and tests membership", () => {
    const net = parseCidr("2001:db8:1:2:3::9/64");
    assert.equal(net?.text, "2001:db8:1:2::/64");
    assert.ok(net && networkContains(net, parseIp("2001:db8:1:2:ffff::1")!));
    assert.ok(net && !networkContains(net, parseIp("2001:db8:1:3::1")!));
    assert.equal(parseCidr("127.0.0.1/8")?.text, "127.0.0.0/8");
    assert.equal(parseCidr("10.0.0.0/33"), undefined);
    assert.equal(maskAddress(parseIp("203.0.113.77")!, 24).text, "203.0.113.0");
  });
  it("knows loopback", () => {
    assert.ok(isLoopback(parseIp("127.8.9.1")!));
    assert.ok(isLoopback(parseIp("::1")!));
    assert.ok(!isLoopback(parseIp("::2")!));
  });
});

describe("isCanonicalIpv4", () => {
  it("agrees with parseIp printing the text unchanged", () => {
    const inputs = [
      "1.2.3.4",
      "0.0.0.0",
      "255.255.255.255",
      "256.1.1.1",
      "01.2.3.4",
      "1.02.3.4",
      "1.2.3",
      "1.2.3.4.5",
      "1..3.4",
      "1.2.3.4 ",
      "a.b.c.d",
      "10.0.0.1000",
      "192.168.000.1",
      "1.2.3.-4",
      "",
      "::ffff:1.2.3.4",
    ];
    for (const text of inputs) {
      const parsed = parseIp(text);
      const expected = parsed?.family === 4 && parsed.text === text;
      assert.equal(isCanonicalIpv4(text), expected, text);
    }
  });
});
