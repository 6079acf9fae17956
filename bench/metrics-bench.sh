#!/bin/bash
# metrics-bench.sh - what metrics_listen costs relayguard-policyd.
#
#   bench/metrics-bench.sh [BUILDDIR] [SECONDS] [ROUNDS]
#
# rbldnsd serves test.bl on a free loopback port; two relayguard-policyd
# (2 workers, warm in-process cache, as bench/compare-policy.sh), one without
# metrics_listen and one with it, take turns under bench/policy_load at 16
# connections (1000 addresses, 10% listed), ROUNDS times each.  While the one
# with metrics is loaded, curl scrapes it 10 times a second; the scrape times
# are reported (p50 / max) with the size of one scrape.  Prints a Markdown table.
# Everything runs on 127.0.0.1; every process started here is stopped by PID.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC}
SECS=${2:-5}
ROUNDS=${3:-3}
RUN=$(mktemp -d /tmp/rg-bench-metrics.XXXXXX)
chmod 755 "$RUN"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "${RUN:?}"
}
trap cleanup EXIT
port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 1 100); do ss -Hltn "sport = :$1" | grep -q . && return 0; sleep 0.1; done; return 1; }
LOAD="$BUILD/bench/policy_load"

{ for i in $(seq 1 100); do echo "198.51.100.$i"; done
  for i in $(seq 0 899); do echo "198.18.$((i / 250)).$((i % 250 + 1))"; done; } | shuf --random-source=<(yes) >"$RUN/addrs"
cp "$SRC"/tests/data/rbldnsd/test.bl.* "$RUN/"
DNS=$(port)
(cd "$RUN" && exec rbldnsd -n -u rbldns -b "127.0.0.1/$DNS" -4 -t 3600 -c 0 \
	test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set >/dev/null 2>&1) &
PIDS="$PIDS $!"
sleep 0.5

start() {	# start NAME PORT [EXTRA]
	cat >"$RUN/$1.conf" <<CONF
dns_servers = 127.0.0.1:$DNS
dnsbl_sites = test.bl
dnsbl_probe_interval = 0
report_enable = no
report_spool = $RUN/spool-$1
stats_dir =
stats_history_dir =
log_level = notice
policy_listen = inet:$2@127.0.0.1
policy_pidfile =
policy_workers = 2
${3:-}
CONF
	"$BUILD/policy/relayguard-policyd" -f -c "$RUN/$1.conf" 2>"$RUN/$1.log" & PIDS="$PIDS $!"
	wait_port "$2" || { echo "relayguard-policyd ($1) did not start: $(cat "$RUN/$1.log")" >&2; exit 1; }
}
P0=$(port); start plain "$P0"
P1=$(port); M=$(port); start metrics "$P1" "metrics_listen = 127.0.0.1:$M"
wait_port "$M" || exit 1

load() { "$LOAD" -p "$1" -c 16 -t 2 -w 1 -d "$SECS" -f "$RUN/addrs"; }
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }
scraper() {	# 10 scrapes a second until killed: one time_total (s) per line
	while :; do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$M/metrics"; sleep 0.1; done
}
echo "| round | without metrics: rps (p50 / p99 µs) | with metrics, scraped 10/s: rps (p50 / p99 µs) | ratio |"
echo "|---|---|---|---|"
for r in $(seq 1 "$ROUNDS"); do
	a=$(load "$P0")
	scraper >>"$RUN/scrapes" & SP=$!
	b=$(load "$P1")
	kill "$SP"; wait "$SP" 2>/dev/null
	ra=$(field rps "$a"); rb=$(field rps "$b")
	echo "| $r | $ra ($(field p50_us "$a") / $(field p99_us "$a")) | $rb ($(field p50_us "$b") / $(field p99_us "$b")) | $(( 100 * rb / (ra > 0 ? ra : 1) ))% |"
done
n=$(wc -l <"$RUN/scrapes")
sort -n "$RUN/scrapes" >"$RUN/sorted"
p50=$(sed -n "$(( (n + 1) / 2 ))p" "$RUN/sorted")
max=$(tail -1 "$RUN/sorted")
size=$(curl -s "http://127.0.0.1:$M/metrics" | wc -c)
echo
echo "scrapes under load: $n, time p50 ${p50}s, max ${max}s, $size bytes each"
