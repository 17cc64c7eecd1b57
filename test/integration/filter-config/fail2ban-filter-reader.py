#!/usr/bin/python3
"""Reference answers from fail2ban's own filter reader, for the differential test.

Reads a JSON list of cases {"name", "options", "basedir", "backend"} on stdin and prints one JSON
list of results. Each case is loaded the way fail2ban-regex's readRegex loads a filter: from
filter.d (basedir set) with FilterReader(...).read(), or a foreign file (basedir null, name an
absolute path) with readexplicit(); then applyAutoOptions(backend), getOptions(None), convert().
The command stream is decoded back into prefregex/failregex/ignoreregex/maxlines/datepattern/
journalmatch/usedns; "files" is the list fail2ban logs as "Loading files".
"""
import json
import sys

from fail2ban.client.configparserinc import SafeConfigParserWithIncludes
from fail2ban.client.filterreader import FilterReader


class LoadedFiles:
    """Records the outermost _getIncludes result: the files read, in merge order."""

    def __init__(self):
        self.files = None
        self.depth = 0
        original = SafeConfigParserWithIncludes._getIncludes
        recorder = self

        def get_includes(parser, filenames, seen=[]):
            recorder.depth += 1
            try:
                result = original(parser, filenames, seen)
            finally:
                recorder.depth -= 1
            if recorder.depth == 0:
                recorder.files = list(result)
            return result

        SafeConfigParserWithIncludes._getIncludes = get_includes


def load(case, loaded):
    loaded.files = None
    reader = FilterReader(case["name"], "fail2ban-regex-jail", dict(case["options"]),
                          basedir=case["basedir"])
    if case["basedir"] is None:
        reader.setBaseDir(None)
        ok = reader.readexplicit()
    else:
        ok = reader.read()
    if not ok:
        return {"ok": False, "error": "failed to load filter"}
    reader.applyAutoOptions(case.get("backend", "auto"))
    reader.getOptions(None)
    out = {"ok": True, "prefregex": None, "failregex": [], "ignoreregex": [], "maxlines": None,
           "datepattern": None, "journalmatch": [], "usedns": None, "files": loaded.files}
    for cmd in reader.convert():
        kind, opt = cmd[0], cmd[2]
        values = cmd[3] if kind == "multi-set" else cmd[3:]
        if opt == "prefregex":
            out["prefregex"] = values[0]
        elif opt == "addfailregex":
            out["failregex"] += values
        elif opt == "addignoreregex":
            out["ignoreregex"] += values
        elif opt == "maxlines":
            out["maxlines"] = values[0]
        elif opt == "datepattern":
            out["datepattern"] = values[0]
        elif opt == "usedns":
            out["usedns"] = values[0]
        elif opt == "addjournalmatch":
            out["journalmatch"].append(values)
    return out


def main():
    cases = json.load(sys.stdin)
    loaded = LoadedFiles()
    results = []
    for case in cases:
        try:
            results.append(load(case, loaded))
        except Exception as e:  # the reader's failure is an answer too
            results.append({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
    json.dump(results, sys.stdout)


main()
