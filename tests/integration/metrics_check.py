#!/usr/bin/python3
"""metrics_check.py - read Prometheus text scrapes for metrics.sh.

  metrics_check.py value FILE NAME [LABEL=VALUE...]
      print the sum of the samples NAME whose labels include the given ones
      (0 when there is none)
  metrics_check.py dashboard JSON SCRAPE...
      every relayguard_* metric a panel of the Grafana dashboard JSON uses
      must be the name of a sample in one of the scrapes; print the ones that
      are not (exit 1), or "ok N" with the number of names checked
"""
import json
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def samples(path):
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise SystemExit("%s: not a sample line: %r" % (path, line))
        labels = dict(LABEL.findall(m.group(2) or ""))
        yield m.group(1), labels, float(m.group(3))


def value(path, name, wanted):
    want = dict(w.split("=", 1) for w in wanted)
    total = 0.0
    for n, labels, v in samples(path):
        if n == name and all(labels.get(k) == val for k, val in want.items()):
            total += v
    print(int(total) if total == int(total) else total)


def exprs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("expr", "query", "definition") and isinstance(v, str):
                yield v
            else:
                yield from exprs(v)
    elif isinstance(node, list):
        for v in node:
            yield from exprs(v)


def dashboard(path, scrapes):
    board = json.load(open(path, encoding="utf-8"))
    names = set()
    for e in exprs(board):
        names.update(re.findall(r'\brelayguard_[a-z0-9_]+', e))
    seen = set()
    for s in scrapes:
        seen.update(n for n, _, _ in samples(s))
    missing = sorted(names - seen)
    for n in missing:
        print("dashboard uses %s: not in any scrape" % n)
    if not names:
        print("the dashboard uses no relayguard_ metric")
        return 1
    if not missing:
        print("ok %d" % len(names))
    return 1 if missing else 0


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "value":
        value(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "dashboard":
        sys.exit(dashboard(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit(__doc__)
