#!/usr/bin/env python3
"""Reference oracle for Rampart's date detector: runs Fail2Ban 1.0.2's own DateDetector.

Reads one JSON document on stdin:
  {"now": <epoch s>, "cases": [{"filter": NAME|null, "options": {..}|null,
                                "datepattern": STR|null, "logtimezone": STR|null,
                                "lines": [STR, ...]}, ...]}
For a case with "filter", the datepattern comes from /etc/fail2ban/filter.d/NAME.conf read by
Fail2Ban's FilterReader (with the given options), so no config reading is reimplemented.
Writes {"cases": [{"datepattern": STR|null, "error": STR|null,
                   "results": [[start, end, time|null, fault] | null, ...]}]}
where start/end are group 1 of the match in UTF-16 code units (what JS slices with), exactly
the part filter.py processLine cuts out, and time is what processLine would use as the date.
Like fail2ban-regex, it calls MyTime.setAlternateNow(0) and _updateTimeRE() first.
"""
import json
import sys

sys.path.insert(0, "/usr/lib/python3/dist-packages")

from fail2ban.server.mytime import MyTime  # noqa: E402

MyTime.setAlternateNow(0)
from fail2ban.server.strptime import _updateTimeRE  # noqa: E402

_updateTimeRE()
from fail2ban.client.filterreader import FilterReader  # noqa: E402
from fail2ban.server.datedetector import DateDetector  # noqa: E402
from fail2ban.server.strptime import validateTimeZone  # noqa: E402

import re  # noqa: E402


def u16(s, i):
    return len(s[:i].encode("utf-16-le", "surrogatepass")) // 2


def resolve_datepattern(name, options):
    reader = FilterReader(name, "jail", dict(options or {}), basedir="/etc/fail2ban")
    if not reader.read():
        raise ValueError("cannot read filter %s" % name)
    reader.getOptions({})
    pattern = None
    for opt in reader.convert():
        if opt[2] == "datepattern":
            pattern = opt[3]
    return pattern


def build(datepattern, logtimezone):
    dd = DateDetector()
    if logtimezone is not None:
        validateTimeZone(logtimezone)
    dd.default_tz = logtimezone
    if datepattern is not None:
        for p in list(filter(bool, list(map(str.strip, re.split("\n+", datepattern))))):
            dd.appendTemplate(p)
    return dd


def run_line(dd, line):
    try:
        timeMatch = dd.matchTime(line)
        m = timeMatch[0]
        if not m:
            return None
        s = m.start(1)
        e = m.end(1)
        text = line[s:e]
        t = None
        if text:
            date = dd.getTime(text, timeMatch)
            if date is not None:
                t = date[0]
        return [u16(line, s), u16(line, e), t, False]
    except Exception:
        return [0, 0, None, True]


def main():
    req = json.load(sys.stdin)
    MyTime.setTime(req["now"])
    out = []
    for case in req["cases"]:
        res = {"datepattern": None, "error": None, "results": []}
        MyTime.setTime(case.get("now", req["now"]))
        try:
            dp = case.get("datepattern")
            if case.get("filter"):
                dp = resolve_datepattern(case["filter"], case.get("options"))
            res["datepattern"] = dp
            dd = build(dp, case.get("logtimezone"))
        except Exception as e:  # a bad pattern or zone: the TS side must reject it too
            res["error"] = "%s: %s" % (type(e).__name__, e)
            out.append(res)
            continue
        res["results"] = [run_line(dd, line) for line in case["lines"]]
        res["order"] = [t.name for t in dd.templates]
        out.append(res)
    json.dump({"cases": out}, sys.stdout)


main()
