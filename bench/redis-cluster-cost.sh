#!/bin/bash
# redis-cluster-cost.sh - where the Redis Cluster row of redis-modes-bench.sh
# spends its time, in counts that hold on a loaded machine: per run of
# 110,000 Redis-hit MGETs (bench_engine redis: 10,000 warming checks and
# 100,000 measured, CONC in flight), the client's CPU and system calls
# (perf stat, when perf is there), the CPU of the redis-servers, their read
# events, MGET and CLUSTER SLOTS calls and MOVED/ASK replies (INFO), on a
# standalone master (with a replica) and on a cluster of three masters
# (with a replica each, cluster-node-timeout 1000), as redis-modes-bench.sh
# starts them.  Beside bench_engine, bench/redis_mget_bench sends the same
# MGETs with no engine at all (ADAPTER redis_ev, ours, and hiredis, hiredis'
# own libevent adapter): what any client pays for the cluster here.
#   bench/redis-cluster-cost.sh [BUILD_DIR [ROUNDS [CONC]]]
#   BENCH_ENGINE_OLD=PATH: also "engine_old" rows with that bench_engine
#   (e.g. of an older build), interleaved with the others.
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$top_srcdir/build}
ROUNDS=${2:-3}
CONC=${3:-16}
export top_srcdir top_builddir=$BUILD
. "$top_srcdir/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
. "$top_srcdir/tests/integration/cluster_lib.sh" || exit 99
ENGINE=$BUILD/bench/bench_engine
OLD=${BENCH_ENGINE_OLD:-}
RAW="$BUILD/bench/redis_mget_bench"
if [ ! -x "$ENGINE" ] || [ ! -x "$RAW" ]; then echo "build first: make -C $BUILD" >&2; exit 1; fi

. "$top_srcdir/bench/lib.sh"
bench_five_zones
bench_redis_pair
RG_CLUSTER_NODE_TIMEOUT=1000
rg_start_redis_cluster 3 1
# shellcheck disable=SC2086
set -- $RG_CLUSTER_PORTS
CMASTERS="$1 $2 $3"	# redis-cli --cluster create: the first three are the masters
CREPLICAS="$4 $5 $6"
PERF=""
if command -v perf >/dev/null && perf stat -e syscalls:sys_enter_write -o /dev/null true 2>/dev/null; then
	PERF=yes
fi

# rstat PORT...: CPU s, read events, MGET calls, CLUSTER SLOTS calls, MOVED+ASK
rstat() {
	for _p in "$@"; do redis-cli -p "$_p" info all | tr -d '\r'; done |
		awk -F'[:,=]' '/^used_cpu_(user|sys):/ { c += $2 } /^total_reads_processed:/ { r += $2 }
			/^cmdstat_mget:/ { m += $3 } /^cmdstat_cluster\|slots:/ { s += $3 }
			/^errorstat_(MOVED|ASK):/ { e += $3 } END { printf "%.3f %d %d %d %d", c, r, m, s, e }'
}
# row MODE KIND: one run; prints one line of key=value
row() {
	_mode=$1; _kind=$2
	if [ "$_mode" = standalone ]; then _t=$MASTER; _rt=$MASTER; _m=$MASTER; _r=$REPLICA
	else _t="cluster:$RG_CLUSTER_NODES"; _rt="cluster:${CMASTERS%% *}"; _m=$CMASTERS; _r=$CREPLICAS; fi
	case $_kind in
	engine) set -- "$ENGINE" redis "$DNS_PORT" 5 "$_t" "$CONC" 100000 ;;
	engine_old) set -- "$OLD" redis "$DNS_PORT" 5 "$_t" "$CONC" 100000 ;;
	raw) set -- "$RAW" "$_rt" "$CONC" 110000 redis_ev ;;
	raw_hiredis) set -- "$RAW" "$_rt" "$CONC" 110000 hiredis ;;
	esac
	# shellcheck disable=SC2086
	_b="$(rstat $_m) $(rstat $_r)"
	if [ -n "$PERF" ]; then
		perf stat -x, -e task-clock,context-switches,syscalls:sys_enter_write,syscalls:sys_enter_read,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_ctl \
			-o "$RUN/perf" -- "$@" >"$RUN/out" 2>&1
		_c=$(awk -F, '!/^#/ && NF > 2 { sub("syscalls:sys_enter_", "", $3); sub("task-clock", "client_cpu_ms", $3);
			sub("context-switches", "client_cs", $3); printf "%s=%.0f ", $3, $1 }' "$RUN/perf")
	else
		TIMEFORMAT="%U %S"
		_c=$( { time "$@" >"$RUN/out" 2>&1; } 2>&1 | awk '{ printf "client_cpu_ms=%.0f", 1000 * ($1 + $2) }')
	fi
	# shellcheck disable=SC2086
	_a="$(rstat $_m) $(rstat $_r)"
	echo "mode=$_mode kind=$_kind conc=$CONC $(grep -o 'per_sec=[0-9]*' "$RUN/out") $_c $(echo "$_b" "$_a" |
		awk '{ printf "redis_cpu_ms=%.0f redis_reads=%d mget=%d cluster_slots=%d moved_ask=%d replica_cpu_ms=%.0f",
			1000 * ($11 - $1), $12 - $2, $13 - $3, $14 - $4, $15 - $5, 1000 * ($16 - $6) }')" | tee -a "$RUN/rows"
}
echo "# $(date -u '+%F %T') $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); engine $ENGINE${OLD:+, engine_old $OLD}"
row standalone engine >/dev/null	# first runs fill the caches from DNS
row cluster engine >/dev/null
for round in $(seq 1 "$ROUNDS"); do
	echo "# round $round"
	for mode in standalone cluster; do
		for kind in ${OLD:+engine_old} engine raw raw_hiredis; do row "$mode" "$kind"; done
	done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
