#!/usr/bin/env python3
"""Reference answers from Python's own `re` for the regex translation's differential test.

stdin: JSON {"cases": [{"pattern", "flags", "subjects": [...]}], "sweeps": [{"pattern", "flags"}],
             "fail2ban": null | {"config": "/etc/fail2ban", "corpus": ".../tests/files/logs",
                                 "extraSubjects": [...]}}
stdout: JSON {"subjects": [...], "cases": [{"pattern", "flags", "origin", "subjectIds", "groupindex",
                         "error", "errorPos", "results": [null | [start, end, [group values...]]]}]}
             "sweeps": [{"pattern", "flags", "ranges": [[lo, hi], ...]}], "unassigned": [[lo, hi], ...]}
(subjects are listed once and referred to by index; spans are code-point offsets; a sweep lists
the code points a one-character pattern matches; "unassigned" = general category Cn in Python's
Unicode database, where a newer Unicode in V8 may legitimately differ)

With "fail2ban", every regex fail2ban's shipped filters produce (failregex, ignoreregex,
prefregex; every `mode`, both logtypes, usedns yes/no; built by fail2ban's own FilterReader and
Regex classes) is added, with subjects from the fail2ban test corpus as fail2ban would feed them:
the raw line, the line with its date cut out, and for filters with a prefregex the <F-CONTENT>
part, each followed by "\n" as in fail2ban's Regex._tupleLinesBuf.
"""
import json
import os
import re
import sys
import unicodedata
import warnings

warnings.simplefilter("ignore")


def run_case(pattern, flags, subjects):
    try:
        rx = re.compile(pattern, flags)
    except re.error as e:
        return {"error": e.msg, "errorPos": e.pos, "groupindex": {}, "results": []}
    results = []
    for s in subjects:
        m = rx.search(s)
        results.append(None if m is None else [m.start(), m.end(), list(m.groups())])
    return {"error": None, "groupindex": dict(rx.groupindex), "results": results}


def filter_modes(path):
    """Mode names a filter offers: suffixes of options used as %(PREFIX-<mode>)s."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    modes = {"normal"}
    for prefix in set(re.findall(r"%\(([\w-]+?)-<mode>\)s", text)):
        modes.update(re.findall(r"(?m)^" + re.escape(prefix) + r"-([\w-]+)\s*=", text))
    return sorted(modes)


def fail2ban_cases(cfg):
    from fail2ban.client.filterreader import FilterReader
    from fail2ban.server.datedetector import DateDetector
    from fail2ban.server.failregex import Regex
    from fail2ban.server.filter import Filter

    config = cfg["config"]
    corpus = cfg["corpus"]
    extra = cfg.get("extraSubjects", [])

    detector = DateDetector()
    detector.addDefaultTemplate()

    def corpus_lines(name):
        path = os.path.join(corpus, name)
        if not os.path.isfile(path):
            return []
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            return [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]

    def variants(line):
        out = [line + "\n"]
        m, _ = detector.matchTime(line)
        if m is not None:
            s, e = m.span(1) if m.re.groups else m.span()
            out.append(line[:s] + line[e:] + "\n")
        return out

    all_files = sorted(f for f in os.listdir(corpus) if os.path.isfile(os.path.join(corpus, f)))
    shared = []
    for name in all_files:
        lines = corpus_lines(name)
        shared.extend(lines[:: max(1, len(lines) // 3)][:3])
    shared_subjects = [v for l in shared for v in variants(l)]

    cases = {}

    def add(pattern, flags, origin, subjects):
        key = (pattern, flags)
        case = cases.get(key)
        if case is None:
            case = cases[key] = {"pattern": pattern, "flags": flags, "origin": origin, "subjects": {}}
        for s in subjects:
            case["subjects"][s] = None

    share_config = {}
    filter_dir = os.path.join(config, "filter.d")
    for fname in sorted(os.listdir(filter_dir)):
        if not fname.endswith(".conf"):
            continue
        name = fname[:-5]
        own = [v for l in corpus_lines(name) for v in variants(l)]
        for mode in filter_modes(os.path.join(filter_dir, fname)):
            for logtype in ("file", "journal"):
                for usedns in ("yes", "no"):
                    reader = FilterReader(
                        name, "jail", {"mode": mode, "logtype": logtype}, share_config=share_config, basedir=config
                    )
                    try:
                        if not reader.read():
                            continue
                        reader.getOptions(None)
                        opts = reader.getCombined()
                    except Exception:
                        # Include-only files (e.g. selinux-common) do not load on their own,
                        # in fail2ban either.
                        continue
                    origin = "%s[mode=%s, logtype=%s, usedns=%s]" % (name, mode, logtype, usedns)
                    maxlines = int(opts.get("maxlines") or 1)
                    pref = opts.get("prefregex")
                    subjects = own + shared_subjects + extra
                    fail_subjects = list(subjects)
                    if pref:
                        prx = Regex(pref, useDns=usedns)
                        add(prx._regex, 0, origin + " prefregex", subjects)
                        for s in subjects:
                            m = prx._regexObj.search(s)
                            if m and m.groupdict().get("content") is not None:
                                fail_subjects.append(m.group("content") + "\n")
                    for kind in ("failregex", "ignoreregex"):
                        for value in (opts.get(kind) or "").split("\n"):
                            if not value.strip():
                                continue
                            multiline = kind == "failregex" and maxlines > 1
                            rx = Regex(value, multiline=multiline, useDns=usedns)
                            add(rx._regex, re.MULTILINE if multiline else 0, origin + " " + kind,
                                fail_subjects if kind == "failregex" else subjects)
    return [
        {"pattern": c["pattern"], "flags": c["flags"], "origin": c["origin"], "subjects": list(c["subjects"])}
        for c in cases.values()
    ]


def ranges(cps):
    out = []
    for c in cps:
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


EVERY_CODE_POINT = "".join(map(chr, range(0x110000)))


def sweep(pattern, flags):
    """Code points one-character `pattern` matches: finditer over every code point in order."""
    every = EVERY_CODE_POINT
    return ranges(m.start() for m in re.finditer(pattern, every, flags) if m.end() == m.start() + 1)


def main():
    import logging
    logging.disable(logging.CRITICAL)
    request = json.load(sys.stdin)
    cases = [dict(c, origin=c.get("origin", "crafted")) for c in request.get("cases", [])]
    if request.get("fail2ban"):
        cases.extend(fail2ban_cases(request["fail2ban"]))
    subject_ids = {}
    out = []
    for c in cases:
        res = run_case(c["pattern"], c["flags"], c["subjects"])
        ids = [subject_ids.setdefault(s, len(subject_ids)) for s in c["subjects"]]
        out.append({"pattern": c["pattern"], "flags": c["flags"], "origin": c["origin"], "subjectIds": ids, **res})
    # surrogateescape'd corpus bytes become lone surrogates; JSON carries them as \udcXX escapes.
    sweeps = [dict(w, ranges=sweep(w["pattern"], w["flags"])) for w in request.get("sweeps", [])]
    unassigned = ranges(c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cn")
    result = {"subjects": list(subject_ids), "cases": out, "sweeps": sweeps, "unassigned": unassigned}
    sys.stdout.write(json.dumps(result, ensure_ascii=True))


main()
