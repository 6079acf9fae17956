#!/bin/sh
# fleet-bench.sh - what a mail admin asks of a fleet: checks/s across it and
# the pause in checks during a failover.
#
#   bench/fleet-bench.sh [BUILDDIR] [SECONDS] [MODE]
#
# Runs tests/integration/fleet.sh (three relayguard-policyd, two
# relayguard-milter, two relayguard-notify on one Redis back end: MODE,
# default sentinel) with its load phase lasting SECONDS (default 10), and
# prints its measurements (the "# fleet:" lines):
#  - warm policy checks/s across the three policyd, bench/policy_load at 16
#    connections on each, all three at once;
#  - for each failover (planned, master killed): how long it took, and per
#    door the checks made (one every 50 ms per door) and the slowest one.
# The test's own checks must pass too: the exit status is the test's.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$SRC}" && pwd)
OUT=$(mktemp /tmp/rg-bench-fleet.XXXXXX)
trap 'rm -f "${OUT:?}"' EXIT
FLEET_BENCH_SECONDS=${2:-10} FLEET_REDIS=${3:-sentinel} top_srcdir=$SRC top_builddir=$BUILD \
	sh "$SRC/tests/integration/fleet.sh" >"$OUT" 2>&1
rc=$?
grep '^# fleet:\|^#   conns=\|^not ok' "$OUT"
echo "# fleet.sh: $(grep -c '^ok' "$OUT") passed, $(grep -c '^not ok' "$OUT") failed"
exit $rc
