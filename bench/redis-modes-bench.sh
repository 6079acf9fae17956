#!/bin/bash
# redis-modes-bench.sh - Redis-hit checks per second with the engine reaching
# Redis directly (redis_server) and through Sentinel (redis_sentinels +
# redis_sentinel_master), side by side in one run against the same master
# (one master, one replica, three Sentinels, all on loopback, started here).
# Runs alternate (standalone, Sentinel, standalone, Sentinel) so that load
# from other processes hits both alike.
#   bench/redis-modes-bench.sh [BUILD_DIR]      (default: ./build)
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$top_srcdir/build}
export top_srcdir top_builddir=$BUILD
. "$top_srcdir/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
BIN="$BUILD/bench/bench_engine"
[ -x "$BIN" ] || { echo "build first: make -C $BUILD bench/bench_engine" >&2; exit 1; }

# Five zones, each listing ~10% of 198.18.0.0/16 (as bench/engine-bench.sh).
for z in 1 2 3 4 5; do
	{
		echo ":127.0.0.2:listed in z$z"
		echo "127.0.0.2"
		for i in $(seq $z 10 65535); do echo "198.$((18 + i / 65536)).$(((i / 256) % 256)).$((i % 256))"; done
	} >"$RUN/z$z.ip4set"
done
DNS_PORT=$(rg_free_port)
args=()
for z in 1 2 3 4 5; do args+=("z$z.test:ip4set:z$z.ip4set"); done
( cd "$RUN" && exec rbldnsd -n -u rbldns -b "127.0.0.1/$DNS_PORT" -t 3600 -c 0 -p "$RUN/rbldnsd.pid" "${args[@]}" >"$RUN/rbldnsd.log" 2>&1 ) &
rg_track $!
rg_wait_port "$DNS_PORT" udp || { echo "rbldnsd did not start" >&2; exit 1; }

MASTER=$(rg_free_port)
rg_start_redis "$MASTER"
REPLICA=$(rg_free_port)
redis-server --bind 127.0.0.1 --port "$REPLICA" --save '' --appendonly no --dir "$RUN" \
	--logfile "$RUN/replica.log" --replicaof 127.0.0.1 "$MASTER" &
rg_track $!
rg_wait_port "$REPLICA" tcp
SLIST=""
for i in 1 2 3; do
	sp=$(rg_free_port)
	printf 'bind 127.0.0.1\nport %s\ndir %s\nlogfile %s/s%s.log\nsentinel monitor mymaster 127.0.0.1 %s 2\n' \
		"$sp" "$RUN" "$RUN" "$i" "$MASTER" >"$RUN/s$i.conf"
	redis-sentinel "$RUN/s$i.conf" &
	rg_track $!
	rg_wait_port "$sp" tcp
	SLIST="${SLIST:+$SLIST,}127.0.0.1:$sp"
done

echo "# $(date -u +%F) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for round in 1 2; do
	echo "# round $round: standalone (redis_server)"
	"$BIN" redis "$DNS_PORT" 5 "$MASTER" 16 100000
	echo "# round $round: Sentinel (redis_sentinels, the same master)"
	"$BIN" redis "$DNS_PORT" 5 "mymaster@$SLIST" 16 100000
done
