#!/bin/bash
# engine-bench.sh - the core engine's checks/s and latency: in-process cache
# hits, Redis hits, and cold lookups (with and without TXT) against a local
# rbldnsd with 1 and 5 zones.  Starts its own rbldnsd and redis-server on
# free loopback ports.
#   bench/engine-bench.sh [BUILD_DIR]      (default: ./build)
set -u
top_srcdir=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$top_srcdir/build}
export top_srcdir top_builddir=$BUILD
. "$top_srcdir/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
BIN="$BUILD/bench/bench_engine"
[ -x "$BIN" ] || { echo "build first: make -C $BUILD bench/bench_engine" >&2; exit 1; }

. "$top_srcdir/bench/lib.sh"
# Five zones, each listing ~10% of 198.18.0.0/16 (a different 10% each).
bench_five_zones soa
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
# The same zones behind 20 ms of simulated network latency.
DELAY_PORT=$(rg_free_port)
/usr/bin/python3 "$top_srcdir/bench/dns_delay_proxy.py" "$DELAY_PORT" "$DNS_PORT" 20 &
rg_track $!
rg_wait_port "$DELAY_PORT" udp

echo "# $(date -u +%F) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$BIN" memory "$DNS_PORT" 5 "$REDIS_PORT" 16 1000000
"$BIN" memory "$DNS_PORT" 5 "$REDIS_PORT" 1 200000
"$BIN" redis "$DNS_PORT" 5 "$REDIS_PORT" 16 100000
"$BIN" redis "$DNS_PORT" 5 "$REDIS_PORT" 1 20000
"$BIN" cold "$DNS_PORT" 1 "$REDIS_PORT" 1 5000
"$BIN" cold "$DNS_PORT" 5 "$REDIS_PORT" 1 5000
"$BIN" cold "$DNS_PORT" 5 "$REDIS_PORT" 16 20000
echo "# cold lookups with dnsbl_txt = yes: a TXT query beside each A query, the text of the listings"
"$BIN" cold-txt "$DNS_PORT" 5 "$REDIS_PORT" 1 5000
"$BIN" cold-txt "$DNS_PORT" 5 "$REDIS_PORT" 16 20000
echo "# cold lookups through a resolver 20 ms away: 5 zones cost one round trip, not five"
"$BIN" cold "$DELAY_PORT" 1 "$REDIS_PORT" 1 100
"$BIN" cold "$DELAY_PORT" 5 "$REDIS_PORT" 1 100
"$BIN" cold-txt "$DELAY_PORT" 5 "$REDIS_PORT" 1 100
