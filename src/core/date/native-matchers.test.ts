import assert from "node:assert/strict";
import { test } from "node:test";
import { DatePatternRegex } from "./date-template.js";
import type { LocalZone } from "./local-zone.js";
import { NATIVE_ISO_PATTERN } from "./native-iso.js";
import { createNativeTemplate, NATIVE_SYSLOG_PATTERN } from "./native-syslog.js";
import { buildTimeRe } from "./strptime.js";

// A fixed UTC+1 zone keeps this test independent of the machine's zone.
const zone: LocalZone = {
  toEpoch: (y, mo, d, h, mi, s) => Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - 3600,
  toCivil: (e) => e + 3600,
};

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "Jan",
  "jan",
  "FEB",
  "Sep",
  "Dec",
  "Mon ",
  "sun ",
  "Thu ",
  " ",
  "  ",
  "1",
  "2",
  "3",
  "0",
  "9",
  "6",
  "31",
  "32",
  "29",
  "60",
  "61",
  "7",
  ":",
  ".",
  "123456",
  "1234567",
  " 2025",
  " 2019",
  " 1999",
  " 2005",
  "x",
  "_",
  "[",
  "]",
  "<",
  "-",
  "é",
  "ſ",
  "\u00a0",
  "٣",
  "Nov 21 10:00:00",
  "Oct  5  1:02:03",
  "Wed Jan 23 21:59:59.011 2026",
];
const ALPHABET = "0123456789 :.aAbJjnN_-[]<>()éſ\t٣Ω";

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** A syslog-like date with random variations in every field. */
function structured(r: () => number): string {
  const num = (max: number) => String(Math.floor(r() * max));
  return (
    pick(r, ["", "", "[", "<", " ", "  ", "[[", "é", "-", "_"]) +
    pick(r, ["", "", "Mon ", "sun ", "Fri", "fri "]) +
    pick(r, ["Jan", "jan", "NOV", "Feb", "Sep", "Foo"]) +
    pick(r, [" ", " ", "  ", ""]) +
    pick(r, [num(40), ` ${num(10)}`, `0${num(10)}`, num(10)]) +
    pick(r, [" ", " ", "  ", ""]) +
    pick(r, [num(30), `0${num(10)}`, num(10), ` ${num(10)}`]) +
    ":" +
    pick(r, [num(70), `0${num(10)}`, num(10)]) +
    pick(r, [":", ":", "."]) +
    pick(r, [num(70), `0${num(10)}`, num(10), "60", "61"]) +
    pick(r, ["", "", ".", `.${num(1000)}`, `.${num(10000000)}`, "x"]) +
    pick(r, ["", "", " 2026", " 2019", " 1999", " 20261", " 2026x"]) +
    pick(r, ["", " ", "x", "_", ".", "é", "]", ":1"])
  );
}

/** An ISO-like date with random variations in every field. */
function structuredIso(r: () => number): string {
  const num = (max: number) => String(Math.floor(r() * max));
  const sep = pick(r, ["-", "-", "/", ".", "_"]);
  return (
    pick(r, ["", "", "[", "<", " ", "  ", "é", "-"]) +
    pick(r, ["2026", "2005", "2019", "1999", "2030", "20261", "205"]) +
    sep +
    pick(r, [num(14), `0${num(10)}`, num(10), "1", "12"]) +
    pick(r, [sep, sep, sep, "-"]) +
    pick(r, [num(40), ` ${num(10)}`, `0${num(10)}`, num(10)]) +
    pick(r, ["T", " ", "  ", "   ", "t", ""]) +
    pick(r, [num(30), `0${num(10)}`, num(10)]) +
    ":" +
    pick(r, [num(70), `0${num(10)}`, num(10)]) +
    ":" +
    pick(r, [num(70), `0${num(10)}`, num(10), "60", "61"]) +
    pick(r, ["", "", ".", ",", `.${num(1000)}`, `,${num(10000000)}`, "x"]) +
    pick(r, [
      "",
      "",
      "Z",
      " Z",
      "UTC",
      " UTC",
      "GMT",
      "  GMT",
      "+01:00",
      "-0530",
      "+05",
      " +1",
      "+2",
      "+01:0",
      "\t+01:00",
      "\u2003+01:00",
      " utc",
      "+21:00",
    ]) +
    pick(r, ["", " ", "x", "_", ".", "é", "]", ":1", "0"])
  );
}

function randomLine(r: () => number): string {
  let s = "";
  const kind = r();
  if (kind < 0.35) s = structured(r);
  else if (kind < 0.7) s = structuredIso(r);
  else {
    const n = 1 + Math.floor(r() * 12);
    for (let i = 0; i < n; i += 1) s += PIECES[Math.floor(r() * PIECES.length)];
  }
  // Mutate a few characters.
  const chars = [...s];
  const muts = Math.floor(r() * 3);
  for (let i = 0; i < muts; i += 1) {
    const at = Math.floor(r() * (chars.length + 1));
    const c = ALPHABET[Math.floor(r() * ALPHABET.length)]!;
    const op = r();
    if (op < 0.4) chars.splice(at, 1, c);
    else if (op < 0.7) chars.splice(at, 0, c);
    else chars.splice(at, 1);
  }
  return chars.join("") + (r() < 0.5 ? " host sshd[1]: x" : "");
}

for (const pattern of [NATIVE_SYSLOG_PATTERN, NATIVE_ISO_PATTERN])
  test(`native matcher for ${pattern} equals the translated regex on 200k generated lines`, () => {
    const timeRe = buildTimeRe(2026);
    const native = createNativeTemplate(pattern, timeRe)!;
    const regex = new DatePatternRegex(pattern, timeRe);
    assert.ok(native !== null);
    assert.equal(native.regex, regex.regex);
    assert.equal(native.name, regex.name);
    assert.equal(native.flags, regex.flags);
    const r = rng(42);
    const now = Date.UTC(2026, 10, 21, 12) / 1000;
    let matched = 0;
    for (let i = 0; i < 200_000; i += 1) {
      const line = randomLine(r);
      const a = native.search(line, 0, line.length);
      const b = regex.search(line, 0, line.length);
      if (a === null || b === null) {
        assert.equal(a, b, `line ${JSON.stringify(line)}`);
        continue;
      }
      matched += 1;
      assert.deepEqual(
        [a.start, a.end, a.g1Start, a.g1End],
        [b.start, b.end, b.g1Start, b.g1End],
        JSON.stringify(line),
      );
      assert.equal(
        native.getDate(a, null, now, zone),
        regex.getDate(b, null, now, zone),
        JSON.stringify(line),
      );
      assert.equal(native.getDate(a, 120, now, zone), regex.getDate(b, 120, now, zone), JSON.stringify(line));
    }
    assert.ok(matched > 2_000, `enough lines matched (${matched})`);
  });
