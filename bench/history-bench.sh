#!/bin/bash
# history-bench.sh - the stats history's costs: one append on the engine
# thread (bench/bench_history), and relayguard-ctl report --html over 30
# days of history of a policyd with 2 workers and 3 lists at the default
# stats_history_interval (1m): 30 x 1440 x 8 lines, about 55 MB.
#   bench/history-bench.sh [BUILD_DIR]      (default: ./build)
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$top_srcdir/build}
export top_srcdir top_builddir=$BUILD
. "$top_srcdir/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
[ -x "$BUILD/bench/bench_history" ] || { echo "build first: make -C $BUILD bench/bench_history" >&2; exit 1; }

"$BUILD/bench/bench_history" "$RUN/append" 20000
ls -l "$RUN"/append/history-*.log | awk '{ print "  file after 20000 appends: " $5 " bytes" }'

mkdir -p "$RUN/h"
now=$(date +%s)
for d in $(seq 29 -1 0); do
	day0=$(( (now / 86400 - d) * 86400 ))
	f="$RUN/h/history-$(date -u -d "@$day0" +%Y%m%d).log"
	awk -v t0="$day0" -v now="$now" 'BEGIN {
		for (m = 0; m < 1440; m++) { t = t0 + m * 60; if (t > now) break
			for (w = 0; w < 2; w++) { c = (t - t0 + 86400) * 3
				printf "t=%d src=relayguard-policyd.4242.%d started=%d checks=%d skipped=%d listed=%d failed=0\n", t, w, t0 - 86400, c, c / 50, c / 10
				for (z = 0; z < 3; z++)
					printf "t=%d src=relayguard-policyd.4242.%d zone=zen%d.dnsbl.example kind=dnsbl queries=%d listed=%d not_listed=%d errors=%d timeouts=0 state=%s\n", t, w, z, c, c / 10, c - c / 10, m / 100, (m % 200 < 5 ? "suspended" : "in_service") } } }' >"$f"
done
echo "  history: $(cat "$RUN"/h/*.log | wc -l) lines, $(du -sm "$RUN/h" | cut -f1) MB"
printf 'stats_history_dir = %s\nnotify_state_dir = %s\nmyhostname = bench.example\n' "$RUN/h" "$RUN" >"$RUN/rg.conf"
for since in 1d 7d 30d; do
	/usr/bin/time -f "  report --since $since: %e s, %M kB max RSS" \
		"$BUILD/ctl/relayguard-ctl" -c "$RUN/rg.conf" report --html "$RUN/r-$since.html" --since "$since"
	echo "    page: $(wc -c <"$RUN/r-$since.html") bytes"
done
