# Loads Rampart's built-in filters with fail2ban's own reader and applies the injection lint of
# fail2ban's test-suite (RE_WRONG_GREED, tests/samplestestcase.py): no greedy catch-all before
# the address that is not hard-anchored after it. fail2ban's lint only looks for the <HOST>
# expansion, so it is applied a second time with <ADDR>'s expansion substituted, which is the
# tag the built-ins use.
#
# argv: BASEDIR (holding filter.d/) and a JSON list of [name, {options}] pairs.
# stdout: one JSON object per pair: {"name", "options", "regexes", "greedy": [regex, ...]}.
import json
import re
import sys

from fail2ban.client.filterreader import FilterReader
from fail2ban.server.failregex import R_HOST, RI_ADDR, Regex
from fail2ban.server.filter import Filter

RE_HOST = Regex._resolveHostTag('<HOST>')
RE_ADDR = Regex._resolveHostTag('<ADDR>')


def lint(tag_re):
    # Same expression as fail2ban's samplestestcase.RE_WRONG_GREED, parametrised by the tag.
    return re.compile(r'\.[+\*](?!\?)[^\$\^]*' + re.escape(tag_re) + r'.*(?:\.[+\*].*|[^\$])$')


LINTS = (lint(RE_HOST), lint(RE_ADDR))

basedir = sys.argv[1]
for name, opts in json.loads(sys.argv[2]):
    reader = FilterReader(name, "jail", dict(opts), basedir=basedir)
    if not reader.read():
        raise SystemExit("cannot read filter %s" % name)
    reader.getOptions({})
    flt = Filter(None)
    for opt in reader.convert():
        values = opt[3] if opt[0] == 'multi-set' else [opt[3]]
        for value in values:
            if opt[2] == "prefregex":
                flt.prefRegex = value
            elif opt[2] == "addfailregex":
                flt.addFailRegex(value)
            elif opt[2] == "addignoreregex":
                flt.addIgnoreRegex(value)
    regexes = flt.getFailRegex()
    greedy = [r for r in regexes if any(l.search(r) for l in LINTS)]
    print(json.dumps({"name": name, "options": opts, "regexes": len(regexes),
                      "greedy": [g.replace(RE_HOST, '<HOST>').replace(RE_ADDR, '<ADDR>') for g in greedy]}))
