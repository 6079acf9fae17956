#!/bin/sh
# reload_memory.sh - what SIGHUP reloads cost in memory (issue 14, soak).
#
# relayguard-policyd (two workers) and relayguard-milter against a real
# rbldnsd, a few checks through each door between reloads (policy protocol,
# miltertest), then RELOADS SIGHUPs.  Checks that every reload frees the
# previous generation (one log line per policyd worker and one for the
# milter, "previous configuration freed") and that the resident size after
# the reloads is within RSS_SLACK_KB of the size before the first one.
#
# Without common/heap (glibc's dynamic mmap threshold; no malloc_trim) the
# first reloads move each new engine's 1 MiB cache table into a malloc arena
# and leave the old one there as a hole: +5.6 MB for policyd and +2.4 MB for
# the milter over 5 reloads, flat after; with it, +0.2 MB for each over 40
# reloads (doc/PERFORMANCE.md, "Soak").
#
# Under ASan the daemons' memory is ASan's allocator's (freed blocks wait in
# its quarantine), so the resident size says nothing about ours: there the
# RSS checks are not made (the normal build makes them); the log checks are.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd miltertest
[ -n "$PY" ] || rg_require python3
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
for b in "$POLICYD" "$MILTER"; do [ -x "$b" ] || rg_bail "$b not built"; done
RELOADS=${RELOADS:-12}
RSS_SLACK_KB=${RSS_SLACK_KB:-1024}
ASAN=no
grep -q __asan_init "$POLICYD" && ASAN=ASan
case ${RG_VALGRIND:-0} in 0) ;; *) ASAN=valgrind ;; esac

cp "$RG_TOP_SRCDIR"/tests/data/engine/* "$RUN/"
chmod 644 "${RUN:?}"/*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" bl1.test:ip4set:bl1.ip4set bl1.test:generic:common.generic \
	bl2.test:ip4set:bl2.ip4set
PORT=$(rg_free_port)
SOCK="$RUN/milter.sock"
cat >"$RUN/rg.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = bl1.test*2, bl2.test*1
dnsbl_threshold = 2
dnsbl_timeout = 3s
dnsbl_probe_interval = 0
report_enable = no
stats_dir = $RUN/stats
policy_listen = inet:$PORT@127.0.0.1
policy_workers = 2
milter_socket = unix:$SOCK
myhostname = mx.example
log_level = info
CONF
"$POLICYD" -f -c "$RUN/rg.conf" 2>"$RUN/policyd.log" &
PPID_=$!
rg_track "$PPID_"
"$MILTER" -f -c "$RUN/rg.conf" 2>"$RUN/milter.log" &
MPID=$!
rg_track "$MPID"
rg_wait_port "$PORT" || rg_bail "policyd did not start: $(cat "$RUN/policyd.log")"
for _ in $(seq 1 "$RG_VG_WAIT"); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || rg_bail "the milter did not start: $(cat "$RUN/milter.log")"

RCPT="request=smtpd_access_policy protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
# some checks through both doors: listed and unlisted clients, several connections
traffic() {
	for a in 127.0.0.2 192.0.2.5 198.51.100.7 203.0.113.9; do
		$CLIENT repeat "$PORT" 5 $RCPT "client_address=$a" "instance=$a.$1" >/dev/null ||
			echo "policy request failed ($a)" >>"$RUN/traffic.err"
	done
	miltertest -s "$RG_TOP_SRCDIR/tests/data/milter/unlisted.lua" -D "SOCK=$SOCK" \
		-D "DIR=$RG_TOP_SRCDIR/tests/data/milter" >"$RUN/mt.out" 2>&1 ||
		echo "milter session failed: $(cat "$RUN/mt.out")" >>"$RUN/traffic.err"
}
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
count() { grep -c "$1" "$2"; }
# wait_count PATTERN FILE N: up to 30 s (the log line comes from another thread)
wait_count() {
	for _ in $(seq 1 300); do
		[ "$(count "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}

traffic 0
traffic 0
sleep 1
p0=$(rss "$PPID_") m0=$(rss "$MPID")
i=0 missed=""
while [ "$i" -lt "$RELOADS" ]; do
	i=$((i + 1))
	kill -HUP "$PPID_" "$MPID"
	wait_count "config reloaded" "$RUN/policyd.log" "$i" || missed="$missed policyd:$i"
	wait_count "configuration reloaded" "$RUN/milter.log" "$i" || missed="$missed milter:$i"
	traffic "$i"
done
sleep 1
p1=$(rss "$PPID_") m1=$(rss "$MPID")
rg_is "$missed" "" "$RELOADS SIGHUPs: each daemon logged every reload"
rg_is "$(cat "$RUN/traffic.err" 2>/dev/null)" "" "every policy request and milter session between the reloads answered"

# one line per worker and reload, one per milter reload: each old generation
# was freed (and its memory handed back) once nothing used it any more
wait_count "policy: previous configuration freed: heap" "$RUN/policyd.log" $((2 * RELOADS))
rg_is "$(count "policy: previous configuration freed: heap" "$RUN/policyd.log")" $((2 * RELOADS)) \
	"policyd: each worker freed its previous engine after each reload"
wait_count "previous configuration freed: heap" "$RUN/milter.log" "$RELOADS"
rg_is "$(count "previous configuration freed: heap" "$RUN/milter.log")" "$RELOADS" \
	"milter: each reload's previous generation freed"

if [ "$ASAN" = no ]; then
	echo "# RSS before the first reload / after $RELOADS: policyd $p0 / $p1 kB, milter $m0 / $m1 kB"
	rg_ok "$([ $((p1 - p0)) -le "$RSS_SLACK_KB" ]; echo $?)" \
		"policyd RSS grew $((p1 - p0)) kB over $RELOADS reloads (at most $RSS_SLACK_KB)"
	rg_ok "$([ $((m1 - m0)) -le "$RSS_SLACK_KB" ]; echo $?)" \
		"milter RSS grew $((m1 - m0)) kB over $RELOADS reloads (at most $RSS_SLACK_KB)"
else
	echo "# under $ASAN: RSS is that allocator's, not checked here (the normal build checks it)"
fi
! grep -l 'Sanitizer\|runtime error' "$RUN"/policyd.log "$RUN"/milter.log
rg_ok $? "policyd and the milter run without a sanitizer report"
rg_done
