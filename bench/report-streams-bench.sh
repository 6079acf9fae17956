#!/bin/bash
# report-streams-bench.sh - what report_streams spreads: on a Redis Cluster
# of three masters (no replicas, loopback, started here), E events from
# E/10 /24s (one owner network of 198.18.0.0/15, so one notice) are queued
# by report_driver and counted by one relayguard-notify --once, with
# report_streams = 1 and then 3.  Printed per run: each master's Redis CPU
# seconds (INFO CPU, used_cpu_sys + used_cpu_user, delta over the run) and
# the notifier's CPU and wall time.
#   bench/report-streams-bench.sh [BUILD_DIR] [EVENTS]   (default: ./build 30000)
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$top_srcdir/build}
EVENTS=${2:-30000}
export top_srcdir top_builddir=$BUILD
. "$top_srcdir/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
. "$top_srcdir/tests/integration/cluster_lib.sh" || exit 99
DRV="$BUILD/tests/integration/report_driver"
NOTIFY="$BUILD/notify/relayguard-notify"
[ -x "$DRV" ] && [ -x "$NOTIFY" ] || { echo "build first: make -C $BUILD check TESTS=" >&2; exit 1; }

rg_start_redis_cluster 3 0
cat >"$RUN/owners.db" <<'DB'
inetnum:        198.18.0.0 - 198.19.255.255
netname:        NET-BENCH
country:        NL
abuse-mailbox:  abuse@bench.example
source:         TEST
DB
# E addresses: 10 per /24 (hosts 1..10), /24s counted up from 198.18.0.0
awk -v e="$EVENTS" 'BEGIN { for (i = 0; i < e; i++) { n = int(i / 10)
	printf "198.%d.%d.%d\n", 18 + int(n / 65536), int(n / 256) % 256, (i % 10) + 1 } }' >"$RUN/addrs"

cpu() {	# cpu PORT: used_cpu_sys + used_cpu_user of that node
	redis-cli -p "$1" info cpu | tr -d '\r' | awk -F: '$1 == "used_cpu_sys" || $1 == "used_cpu_user" { s += $2 } END { printf "%.2f", s }'
}
for n in 1 3; do
	cat >"$RUN/s$n.conf" <<CONF
allow_root = yes
myhostname = bench.test
redis_cluster_nodes = $RG_CLUSTER_NODES
redis_prefix = b$n:
report_streams = $n
report_queue_max = 10000000
report_spool = $RUN/spool-$n
report_dedupe_window = 0
owners_db = $RUN/owners.db
notify_min_hits = 1
notify_window = 1d
notify_interval = 30d
notify_template = $top_srcdir/conf/notice.txt
notify_from = rg@bench.test
notify_transport = outbox:$RUN/outbox-$n
notify_state_dir = $RUN/state-$n
redis_timeout = 5s
CONF
	# in chunks: one driver's events are all in flight at once
	xargs -n 3000 "$DRV" "$RUN/s$n.conf" emit <"$RUN/addrs" 2>"$RUN/drv-$n.err" |
		sed -n 's/.*queued=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s }' >"$RUN/drv-$n.out"
	before=""
	for p in $RG_CLUSTER_PORTS; do before="$before $(cpu "$p")"; done
	/usr/bin/time -f "%e %U %S" -o "$RUN/time-$n" "$NOTIFY" -c "$RUN/s$n.conf" --once 2>"$RUN/notify-$n.err"
	set -- $before
	line="report_streams=$n queued=$(cat "$RUN/drv-$n.out") redis_cpu_s_per_master:"
	for p in $RG_CLUSTER_PORTS; do
		line="$line $(awk -v a="$(cpu "$p")" -v b="$1" 'BEGIN { printf "%.2f", a - b }')"
		shift
	done
	read -r wall usr sys <"$RUN/time-$n"
	echo "$line notifier: wall ${wall}s cpu $(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')s notices=$(ls "$RUN/outbox-$n" | grep -c '\.eml$')"
done
