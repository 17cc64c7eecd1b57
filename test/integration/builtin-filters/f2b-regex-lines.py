# Runs fail2ban-regex (fail2ban's own command-line code and options) over a batch of jobs in one
# Python process, and tags every line it prints with the number of the log line being
# processed, so each failure maps back to the line that produced it (the `-o` output alone does
# not say which line triggered a multi-line failure).
#
# argv[1]: JSON list of fail2ban-regex argument lists, e.g. [["-o", FMT, LOG, FILTER], ...].
# stdout: "\x01JOB i" before job i, then "LINE\x02<output>" per printed line, then
#         "\x01END i RC" with fail2ban-regex's exit status.
import json
import logging
import sys

from fail2ban.client import fail2banregex as f2br

current = [0]
_process = f2br.Fail2banRegex.process


def process(self, test_lines):
    def numbered():
        for number, line in enumerate(test_lines, 1):
            current[0] = number
            yield line
    return _process(self, numbered())


def output(text):
    sys.stdout.write("%d\x02%s\n" % (current[0], text))


f2br.Fail2banRegex.process = process
f2br.output = output
log = logging.getLogger("fail2ban")

for index, args in enumerate(json.loads(sys.argv[1])):
    current[0] = 0
    sys.stdout.write("\x01JOB %d\n" % index)
    handlers = list(log.handlers)
    rc = 0
    try:
        f2br.exec_command_line(args)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    for h in log.handlers[:]:
        if h not in handlers:
            log.removeHandler(h)
    sys.stdout.write("\x01END %d %d\n" % (index, rc))
    sys.stdout.flush()
