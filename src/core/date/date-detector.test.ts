import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createDateDetector, type DateDetector, type DateMatch } from "./date-detector.js";
import type { LocalZone } from "./local-zone.js";
import { exYearRegex } from "./strptime.js";
import { zoneToOffset } from "./time-zones.js";

// Fixed UTC+01:00 "local" zone: expectations do not depend on the machine.
const zone: LocalZone = {
  toEpoch: (y, mo, d, h, mi, s) => Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - 3600,
  toCivil: (e) => e + 3600,
};
const START = Date.UTC(2026, 0, 10) / 1000;
/** 2026-11-21 12:00:00 local (11:00 UTC). */
const NOW = Date.UTC(2026, 10, 21, 11) / 1000;

function local(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000 - 3600;
}
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

function detector(datepattern?: string, logTimeZone?: string): DateDetector {
  const r = createDateDetector({ datepattern, logTimeZone, zone, startTime: START });
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join("; "));
  return r.value;
}

function one(datepattern: string | undefined, line: string, now = NOW, tz?: string): DateMatch | null {
  return detector(datepattern, tz).match(line, now);
}

/** [cut text, time] of a line. */
function cut(
  datepattern: string | undefined,
  line: string,
  now = NOW,
  tz?: string,
): [string, number | null] | null {
  const m = one(datepattern, line, now, tz);
  return m === null ? null : [line.slice(m.start, m.end), m.time];
}

describe("default templates", () => {
  const cases: [string, string, number][] = [
    ["2005-01-23T21:59:59.981746 x", "2005-01-23T21:59:59.981746", local(2005, 1, 23, 21, 59, 59)],
    ["2005-01-23  8:59:59 x", "2005-01-23  8:59:59", local(2005, 1, 23, 8, 59, 59)],
    ["2005/01/23 21:59:59 x", "2005/01/23 21:59:59", local(2005, 1, 23, 21, 59, 59)],
    ["2006.12.21 06:43:20 x", "2006.12.21 06:43:20", local(2006, 12, 21, 6, 43, 20)],
    ["2005-01-23T21:59:59+02:00 x", "2005-01-23T21:59:59+02:00", utc(2005, 1, 23, 19, 59, 59)],
    ["Sun Jan 23 21:59:59.011 2005 x", "Sun Jan 23 21:59:59.011 2005", local(2005, 1, 23, 21, 59, 59)],
    ["Sun Jan 23 2005 21:59:59.011 x", "Sun Jan 23 2005 21:59:59.011", local(2005, 1, 23, 21, 59, 59)],
    ["23/01/2005 21:59:59 x", "23/01/2005 21:59:59", local(2005, 1, 23, 21, 59, 59)],
    ["23/01/05 21:59:59 x", "23/01/05 21:59:59", local(2005, 1, 23, 21, 59, 59)],
    ["[31/Oct/2006:09:22:55 -0000] x", "31/Oct/2006:09:22:55 -0000", utc(2006, 10, 31, 9, 22, 55)],
    ["26-Jul-2007 15:20:52.252 x", "26-Jul-2007 15:20:52.252", local(2007, 7, 26, 15, 20, 52)],
    ["05/20/2008:01:57:39 x", "05/20/2008:01:57:39", local(2008, 5, 20, 1, 57, 39)],
    ["01-27-2012 16:22:44.252 x", "01-27-2012 16:22:44.252", local(2012, 1, 27, 16, 22, 44)],
    ["<09/16/08@05:03:30> x", "<09/16/08@05:03:30>", local(2008, 9, 16, 5, 3, 30)],
    ["130322 11:46:11 x", "130322 11:46:11", local(2013, 3, 22, 11, 46, 11)],
    ["Jan 23, 2005 9:22:55 PM x", "Jan 23, 2005 9:22:55 PM", local(2005, 1, 23, 21, 22, 55)],
    ["Apr-27-13 02:33:06 x", "Apr-27-13 02:33:06", local(2013, 4, 27, 2, 33, 6)],
    ["20050123T215959 x", "20050123T215959", local(2005, 1, 23, 21, 59, 59)],
    ["PDT Apr 16 21:05:29 x", "PDT Apr 16 21:05:29", utc(2026, 4, 17, 4, 5, 29)],
  ];
  for (const [line, text, time] of cases) {
    test(JSON.stringify(line), () => assert.deepEqual(cut(undefined, line), [text, time]));
  }
  test("EPOCH keeps sub-seconds; TAI64N is hex seconds", () => {
    assert.deepEqual(cut(undefined, "1234567890.123456 x"), ["1234567890.123456", 1234567890.123456]);
    assert.deepEqual(cut(undefined, "type=X audit(1234567890.123:45): y"), [
      "1234567890.123",
      1234567890.123,
    ]);
    assert.deepEqual(cut(undefined, "@4000000037c219bf2ef02e94 x"), [
      "@4000000037c219bf2ef02e94",
      0x37c219bf,
    ]);
  });
  test("a line without a date gives null", () => {
    assert.equal(one(undefined, "no date here"), null);
  });
  test("%f is matched but ignored: pattern dates are whole seconds", () => {
    assert.equal(one(undefined, "Jan 23 21:59:59.999 x")?.time, local(2026, 1, 23, 21, 59, 59));
  });
});

describe("{^LN-BEG}", () => {
  test("cuts only the date; up to two leading non-word characters stay", () => {
    const line = "[Nov 21 11:59:59] host sshd[1]: x";
    const m = one("{^LN-BEG}", line)!;
    assert.equal(line.slice(0, m.start) + line.slice(m.end), "[] host sshd[1]: x");
    assert.equal(m.time, local(2026, 11, 21, 11, 59, 59));
  });
  test("a leading space before the failregex text is kept", () => {
    const line = "Nov 21 11:59:59 host sshd[1]: x";
    const m = one("{^LN-BEG}", line)!;
    assert.equal(line.slice(0, m.start) + line.slice(m.end), " host sshd[1]: x");
  });
  test("a date later in the line is not found", () => {
    assert.equal(one("{^LN-BEG}", "host said Nov 21 11:59:59"), null);
  });
  test("Fail2Ban quirk: a leading word of 3-5 letters is taken as a %Z zone (then no time)", () => {
    const m = one("{^LN-BEG}", "abc Nov 21 11:59:59 x")!;
    assert.deepEqual([m.start, m.end, m.time], [0, 19, null]);
  });
  test("the word boundary after the date is required", () => {
    assert.equal(one("{^LN-BEG}", "Nov 21 11:59:59abc"), null);
    assert.deepEqual(cut("{^LN-BEG}", "Nov 21 11:59:59.5x y"), [
      "Nov 21 11:59:59",
      local(2026, 11, 21, 11, 59, 59),
    ]);
  });
});

describe("year and day inference", () => {
  test("a yearless date up to one day ahead stays in this year", () => {
    assert.equal(one("{^LN-BEG}", "Nov 22 11:59:59 x")?.time, local(2026, 11, 22, 11, 59, 59));
  });
  test("more than one day ahead means last year", () => {
    assert.equal(one("{^LN-BEG}", "Nov 22 12:00:01 x")?.time, local(2025, 11, 22, 12, 0, 1));
    assert.equal(
      one("{^LN-BEG}", "Dec 31 23:59:59 x", local(2026, 1, 1, 0, 0, 30))?.time,
      local(2025, 12, 31, 23, 59, 59),
    );
  });
  test("a time without a date is today, or yesterday if in the future", () => {
    assert.equal(one("{^LN-BEG}%H:%M:%S", "11:00:00 x")?.time, local(2026, 11, 21, 11));
    assert.equal(one("{^LN-BEG}%H:%M:%S", "13:00:00 x")?.time, local(2026, 11, 20, 13));
  });
  test("Feb 29 in a non-leap year is no date (still cut)", () => {
    const m = one("{^LN-BEG}", "Feb 29 10:00:00 x")!;
    assert.deepEqual([m.start, m.end, m.time], [0, 15, null]);
  });
  test("two-digit years are 20yy", () => {
    assert.equal(one("%y%m%d %H%M%S", "991231 235959")?.time, local(2099, 12, 31, 23, 59, 59));
  });
});

describe("directives", () => {
  const t = (p: string, line: string) => one(p, line)?.time ?? null;
  test("%I %p", () => {
    assert.equal(t("%Y-%m-%d %I:%M:%S %p", "2005-01-23 12:00:00 AM"), local(2005, 1, 23, 0));
    assert.equal(t("%Y-%m-%d %I:%M:%S %p", "2005-01-23 12:00:00 pm"), local(2005, 1, 23, 12));
    assert.equal(t("%Y-%m-%d %I:%M:%S %p", "2005-01-23 01:00:00 PM"), local(2005, 1, 23, 13));
    assert.equal(t("%Y-%m-%d %l:%M:%S", "2005-01-23 12:00:00"), local(2005, 1, 23, 0));
  });
  test("%a %A %b %B are case-insensitive names", () => {
    assert.equal(
      t("%A, %d %B %Y %H:%M:%S", "sunday, 23 JANUARY 2005 21:59:59"),
      local(2005, 1, 23, 21, 59, 59),
    );
    assert.equal(t("%a %b %d %H:%M:%S %Y", "SUN jan 23 21:59:59 2005"), local(2005, 1, 23, 21, 59, 59));
  });
  test("%j day of year", () => {
    assert.equal(t("%Y %j %H:%M:%S", "2024 366 10:00:00"), local(2024, 12, 31, 10));
  });
  test("%z offsets, %Z and %Exz abbreviations from the fixed table", () => {
    assert.equal(t("%Y-%m-%d %H:%M:%S %z", "2005-01-23 21:59:59 -05:30"), utc(2005, 1, 24, 3, 29, 59));
    assert.equal(t("%Y-%m-%d %H:%M:%S %Z", "2005-01-23 21:59:59 CEST"), utc(2005, 1, 23, 19, 59, 59));
    assert.equal(t("%Y-%m-%d %H:%M:%S %Exz", "2005-01-23 21:59:59 CET+0100"), utc(2005, 1, 23, 19, 59, 59));
    assert.equal(t("%Y-%m-%d %H:%M:%S %ExZ", "2005-01-23 21:59:59 NPT"), utc(2005, 1, 23, 16, 14, 59));
  });
  test("an unknown abbreviation is a line fault, a lowercase one no date", () => {
    assert.equal(one("%b %d %H:%M:%S %Z", "Jan 23 21:59:59 ABCD")?.fault, true);
    const m = one("%b %d %H:%M:%S %Z", "Jan 23 21:59:59 cest")!;
    assert.deepEqual([m.time, m.fault], [null, false]);
  });
  test("%k %Exk %% and %Ex exact widths", () => {
    assert.equal(t("{^LN-BEG}%d.%m.%Y %k:%M", "23.01.2005  9:59"), local(2005, 1, 23, 9, 59));
    assert.equal(t("%%%Y-%m-%d %H:%M:%S%%", "%2005-01-23 21:59:59%"), local(2005, 1, 23, 21, 59, 59));
    assert.equal(t("%ExY-%Exm-%Exd %ExH:%ExM:%ExS", "2005-1-23 21:59:59"), null);
    assert.equal(t("%ExY-%Exm-%Exd %ExH:%ExM:%ExS", "1999-01-23 21:59:59"), null);
  });
  test("%ExY accepts 2000 up to the decade of start year + 3", () => {
    assert.equal(exYearRegex(2026), "(?P<Y>(?:200|201|202)\\d)");
    assert.equal(exYearRegex(2027), "(?P<Y>(?:200|201|202|203)\\d)");
  });
});

describe("special datepatterns", () => {
  test("{DATE} inside a custom regex cuts only the capturing group", () => {
    const line = "1.2.3.4 - - [31/Oct/2006:09:22:55 -0000] GET /";
    const m = one("^[^\\[]*\\[({DATE})", line)!;
    assert.equal(line.slice(0, m.start) + line.slice(m.end), "1.2.3.4 - - [] GET /");
    assert.equal(m.time, utc(2006, 10, 31, 9, 22, 55));
  });
  test("{DATE} without a group cuts the whole match", () => {
    const line = "<W>2005-01-23 21:59:59.123 x";
    const m = one("^<W>{DATE}", line)!;
    assert.equal(line.slice(m.end), " x");
    assert.equal(m.start, 0);
  });
  test("{NONE} matches empty at 0 and flags the detector", () => {
    const d = detector("{NONE}");
    assert.equal(d.usesNoDate, true);
    assert.deepEqual(d.match("Jan 23 21:59:59 x", NOW), { start: 0, end: 0, time: null, fault: false });
  });
  test("{UNB} drops the word boundaries", () => {
    assert.deepEqual(cut("{UNB}%H:%M:%S", "x21:59:59y"), ["21:59:59", local(2026, 11, 20, 21, 59, 59)]);
    assert.equal(one("%H:%M:%S", "x21:59:59y"), null);
  });
  test("EPOCH, {^LN-BEG}EPOCH, LEPOCH, TAI64N", () => {
    assert.deepEqual(cut("EPOCH", "1234567890 y"), ["1234567890", 1234567890]);
    assert.equal(one("EPOCH", "x 1234567890 y"), null); // only at line start, after "[", or in audit(
    assert.equal(one("{^LN-BEG}EPOCH", "x 1234567890 y"), null);
    assert.deepEqual(cut("{^LN-BEG}Epoch", "[1234567890] y"), ["1234567890", 1234567890]);
    assert.deepEqual(cut("LEPOCH", "1234567890123 x"), ["1234567890123", 1234567890.123]);
    assert.deepEqual(cut("LEPOCH", "1234567890123456 x"), ["1234567890123456", 1234567890.123456]);
    assert.deepEqual(cut("{^LN-BEG}TAI64N", "@4000000037c219bf2ef02e94 x"), [
      "@4000000037c219bf2ef02e94",
      0x37c219bf,
    ]);
  });
  test("{DEFAULT} after another pattern adds nothing (Fail2Ban 1.0.2 quirk)", () => {
    assert.equal(one("%d/%m/%Y %H:%M:%S\n{DEFAULT}", "Jan 23 21:59:59 x"), null);
    assert.equal(one("{DEFAULT}", "Jan 23 21:59:59 x")?.time, local(2026, 1, 23, 21, 59, 59));
  });
  test("multi-line datepattern: several templates", () => {
    const d = detector("\n %Y-%m-%d %H:%M:%S \n\n%d/%m/%Y %H:%M:%S\n");
    assert.equal(d.templateNames().length, 2);
    assert.equal(d.match("23/01/2005 21:59:59 b", NOW)?.time, local(2005, 1, 23, 21, 59, 59));
    assert.equal(d.match("2005-01-23 21:59:58 a", NOW)?.time, local(2005, 1, 23, 21, 59, 58));
  });
});

describe("logtimezone", () => {
  test("applies to dates without a zone only", () => {
    assert.equal(
      one(undefined, "2005-01-23 21:59:59 x", NOW, "UTC+0200")?.time,
      utc(2005, 1, 23, 19, 59, 59),
    );
    assert.equal(
      one(undefined, "2005-01-23 21:59:59 +0000 x", NOW, "UTC+0200")?.time,
      utc(2005, 1, 23, 21, 59, 59),
    );
    assert.equal(one("{^LN-BEG}", "Jul 23 21:59:59 x", NOW, "CET")?.time, utc(2026, 7, 23, 20, 59, 59));
  });
  test("zone strings", () => {
    assert.equal(zoneToOffset("UTC"), 0);
    assert.equal(zoneToOffset("UTC+0200"), 120);
    assert.equal(zoneToOffset("-05:30"), -330);
    assert.equal(zoneToOffset("+05"), 300);
    assert.equal(zoneToOffset("NPT"), 345);
  });
});

describe("errors", () => {
  test("bad datepattern, bad regex, bad zone give problems", () => {
    for (const [dp, tz] of [
      ["%Y-%q", undefined],
      ["%Y-(%m", undefined],
      [undefined, "Mars/Base"],
    ] as const) {
      const r = createDateDetector({ datepattern: dp, logTimeZone: tz, zone });
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.problems[0]!.message, /"/);
    }
  });
  test("duplicate templates are rejected like Fail2Ban", () => {
    assert.equal(createDateDetector({ datepattern: "%H:%M:%S\n%H:%M:%S", zone }).ok, false);
  });
});

describe("template state (last hit reuse and reordering)", () => {
  test("default templates: a first winner bubbles to the front", () => {
    const d = detector();
    d.match("Jan 23 21:59:59 b", NOW);
    assert.match(d.templateNames()[0]!, /^\{\^LN-BEG\}\(\?:DAY \)\?MON/);
  });
  test("an equally weighted used template is not displaced (as Fail2Ban 1.0.2)", () => {
    const d = detector();
    d.match("2005-01-23 21:59:59 a", NOW);
    assert.match(d.templateNames()[0]!, /^\{\^LN-BEG\}ExYear/);
    for (const l of ["Jan 23 21:59:59 b", "Jan 23 21:59:58 c", "Jan 23 21:59:57 d"]) d.match(l, NOW);
    assert.match(d.templateNames()[0]!, /^\{\^LN-BEG\}ExYear/);
    assert.equal(d.match("Jan 23 21:59:57 d", NOW)?.time, local(2026, 1, 23, 21, 59, 57));
  });
  test("a date found later in the line does not beat the earlier one", () => {
    const d = detector();
    const m = d.match("a Jan 23 21:59:59 b 2005-01-23 21:59:59", NOW)!;
    assert.deepEqual([m.start, m.end], [2, 17]);
  });
});

describe("isolated template cache", () => {
  test("a private cache gives the same answers", () => {
    const r = createDateDetector({ zone, startTime: START, isolatedTemplates: true });
    assert.ok(r.ok);
    if (r.ok) assert.equal(r.value.match("Jan 23 21:59:59 x", NOW)?.time, local(2026, 1, 23, 21, 59, 59));
  });
});
