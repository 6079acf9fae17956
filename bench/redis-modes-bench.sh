#!/bin/bash
# redis-modes-bench.sh - Redis-hit checks per second with the engine reaching
# Redis directly (redis_server), through Sentinel (redis_sentinels +
# redis_sentinel_master) and on a Redis Cluster (redis_cluster_nodes), side
# by side in one run (one master, one replica, three Sentinels; a cluster of
# three masters with a replica each; all on loopback, started here).
# Runs alternate (standalone, Sentinel, Cluster, standalone, ...) so that
# load from other processes hits all alike.  Then the pause of each kind of
# failover, seen by checks (bench_engine watch: 300 warm addresses checked
# every 20 ms): SENTINEL FAILOVER, a killed Sentinel master, CLUSTER
# FAILOVER on a replica, a killed cluster master.
#   bench/redis-modes-bench.sh [BUILD_DIR]      (default: ./build)
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$top_srcdir/build}
export top_srcdir top_builddir=$BUILD
. "$top_srcdir/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
. "$top_srcdir/tests/integration/cluster_lib.sh" || exit 99
BIN="$BUILD/bench/bench_engine"
[ -x "$BIN" ] || { echo "build first: make -C $BUILD bench/bench_engine" >&2; exit 1; }

. "$top_srcdir/bench/lib.sh"
# Five zones, each listing ~10% of 198.18.0.0/16 (as bench/engine-bench.sh).
bench_five_zones

bench_redis_pair
SLIST=""
for i in 1 2 3; do
	sp=$(rg_free_port)
	printf 'bind 127.0.0.1\nport %s\ndir %s\nlogfile %s/s%s.log\nsentinel monitor mymaster 127.0.0.1 %s 2\n' \
		"$sp" "$RUN" "$RUN" "$i" "$MASTER" >"$RUN/s$i.conf"
	# as tests/integration/sentinel.sh: a dead master is noticed after 1 s
	printf 'sentinel down-after-milliseconds mymaster 1000\nsentinel failover-timeout mymaster 10000\n' >>"$RUN/s$i.conf"
	redis-sentinel "$RUN/s$i.conf" &
	rg_track $!
	rg_wait_port "$sp" tcp
	SLIST="${SLIST:+$SLIST,}127.0.0.1:$sp"
done

RG_CLUSTER_NODE_TIMEOUT=1000
rg_start_redis_cluster 3 1

echo "# $(date -u +%F) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
# cpu PORT...: CPU seconds (user + sys) the redis-servers on PORTs used so far
cpu() {
	for _p in "$@"; do redis-cli -p "$_p" info cpu; done |
		awk -F: '/^used_cpu_(user|sys):/ { s += $2 } END { printf "%.2f", s }'
}
# row NAME TARGET PORTS...: one run; checks/s and latency from bench_engine,
# then the CPU seconds of bench_engine and of the redis-servers for it
row() {
	_name=$1; _target=$2; shift 2
	_before=$(cpu "$@")
	TIMEFORMAT="%U %S"
	_times=$( { time "$BIN" redis "$DNS_PORT" 5 "$_target" 16 100000 >"$RUN/row.out" 2>>"$RUN/row.err"; } 2>&1 )
	_client=$(echo "$_times" | awk '{ printf "%.2f", $1 + $2 }')
	_server=$(awk -v a="$_before" -v b="$(cpu "$@")" 'BEGIN { printf "%.2f", b - a }')
	echo "$(cat "$RUN/row.out") client_cpu_s=$_client redis_cpu_s=$_server mode_name=$_name" | tee -a "$RUN/rows"
}
for round in 1 2 3; do
	echo "# round $round"
	row standalone "$MASTER" "$MASTER"
	row sentinel "mymaster@$SLIST" "$MASTER"
	# shellcheck disable=SC2086
	row cluster "cluster:$RG_CLUSTER_NODES" $RG_CLUSTER_PORTS
done
echo "# best of 3 rounds (checks/s; CPU seconds of that run): the run least disturbed by other processes"
for m in standalone sentinel cluster; do
	grep "mode_name=$m\$" "$RUN/rows" | sort -t= -k6 -n | awk '{ l = $0 } END { print "best " l }'
done

# Pauses.  watch runs 12 s; the failover starts 3 s in.
pause() {	# WHAT TARGET COMMAND...
	_what=$1; _target=$2; shift 2
	"$BIN" watch "$DNS_PORT" 5 "$_target" 16 12 >"$RUN/watch.out" 2>&1 &
	_w=$!
	sleep 3
	echo "# pause: $_what at $(date -u +%T.%N | cut -c1-12)"
	"$@"
	wait "$_w"
	sed 's/^/#   /' "$RUN/watch.out" | tail -12
	grep '^mode=watch' "$RUN/watch.out" | sed "s/^/pause=$(echo "$_what" | tr ' ' '_') /"
}
S1=$(echo "${SLIST%%,*}" | cut -d: -f2)
for _ in $(seq 1 100); do
	[ "$(redis-cli -p "$S1" sentinel master mymaster | grep -A1 '^num-slaves$' | tail -1)" = 1 ] && break
	sleep 0.1
done
pause "SENTINEL FAILOVER" "mymaster@$SLIST" redis-cli -p "$S1" sentinel failover mymaster
sleep 3
NOW=$(redis-cli -p "$S1" sentinel get-master-addr-by-name mymaster | sed -n 2p)
NOWPID=$MASTER_PID
[ "$NOW" = "$REPLICA" ] && NOWPID=$REPLICA_PID
pause "killed Sentinel master" "mymaster@$SLIST" kill "$NOWPID"

P1=${RG_CLUSTER_PORTS%% *}
pause "CLUSTER FAILOVER" "cluster:$RG_CLUSTER_NODES" redis-cli -p "$(rg_cluster_replica_of "$P1")" cluster failover
sleep 2
M=$(rg_cluster_master_of "bench:x" | cut -d: -f2)
pause "killed cluster master" "cluster:$RG_CLUSTER_NODES" kill "$(rg_cluster_pid "$M")"
