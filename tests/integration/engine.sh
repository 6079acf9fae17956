#!/bin/sh
# engine.sh - the core engine against a real rbldnsd and a real redis-server.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server python3

D="$RG_TOP_SRCDIR/tests/data/engine"
cp "$D"/* "$RUN/"
# m1.test .. m64.test: one group at the limit of one Redis read (engine_driver).
ZONES=
for i in $(seq 1 64); do ZONES="$ZONES m$i.test:ip4set:bl2.ip4set"; done
DNS_PORT=$(rg_free_port)
# shellcheck disable=SC2086 # $ZONES: one word per zone
rg_start_rbldnsd "$DNS_PORT" \
	bl1.test:ip4set:bl1.ip4set bl1.test:ip6trie:bl1.ip6trie bl1.test:generic:common.generic \
	bl2.test:ip4set:bl2.ip4set wl.test:ip4set:wl.ip4set dom.test:dnset:dom.dnset $ZONES

# A DNS server that never answers: a UDP socket bound and never read.
BH_PORT=$(rg_free_port)
python3 -c "import socket,time,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('127.0.0.1',int(sys.argv[1]))); time.sleep(600)" "$BH_PORT" &
rg_track $!
rg_wait_port "$BH_PORT" udp || rg_bail "the silent DNS server did not start"

REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"

"$RG_TOP_BUILDDIR/tests/integration/engine_driver" "$DNS_PORT" "$BH_PORT" "$RUN/rbldnsd.log" "$REDIS_PORT"
