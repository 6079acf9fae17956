#!/bin/sh
# health.sh - a list dies behind warm caches (issue 11, section 2).  A real
# rbldnsd serves fade.bl; relayguard-policyd and relayguard-milter run with
# health probes every second, their in-process caches warm and a real
# redis-server holding listings.  rbldnsd is reloaded (SIGHUP) with a file
# that lists the whole IPv4 space, so the RFC 5782 entry 127.0.0.1 is
# listed: a dead list.  After the next probe round no cached listing of
# fade.bl counts, in policyd, the milter (miltertest) and relayguard-ctl
# check; the zone's state and reason show in the logs, `ctl stats` and
# `ctl check`.  Then the list is repaired and counts again.  Last, start-up:
# with the list dead, a fresh daemon and a one-shot ctl check never count
# it, not even on their first check.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli miltertest
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for b in "$POLICYD" "$MILTER" "$CTL"; do [ -x "$b" ] || rg_bail "$b not built"; done
D="$RG_TOP_SRCDIR/tests/data/milter"

# The list alive: the RFC 5782 entry 127.0.0.2 and three clients.
alive() { printf ':127.0.0.2:Listed in fade.bl\n127.0.0.2\n192.0.2.5\n192.0.2.6\n192.0.2.7\n' >"$RUN/fade.ip4set"; }
# The list dead: everything listed (0.0.0.0/0 itself is invalid to rbldnsd).
dead() { printf ':127.0.0.2:Listed in fade.bl\n0.0.0.0/1\n128.0.0.0/1\n' >"$RUN/fade.ip4set"; }
printf '$SOA 60 ns.fade.bl. hm.fade.bl. 1 600 300 86400 60\n$NS 60 ns.fade.bl.\n' >"$RUN/fade.generic"
alive
chmod 644 "${RUN:?}"/fade.*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" fade.bl:ip4set:fade.ip4set fade.bl:generic:fade.generic
RBLDNSD=$RG_RBLDNSD_PID
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
POLICY_PORT=$(rg_free_port)
SOCK="$RUN/milter.sock"

# The settings every program here shares; EXTRA lines follow.
common_conf() {
	cat <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = fade.bl
dnsbl_timeout = 3s
dnsbl_probe_interval = 1s
report_enable = no
report_spool = $RUN/spool
log_level = info
myhostname = mx.example
CONF
}
{ common_conf; cat <<CONF; } >"$RUN/rg.conf"
redis_server = 127.0.0.1:$REDIS_PORT
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
stats_interval = 1s
policy_listen = inet:$POLICY_PORT@127.0.0.1
policy_allowed_clients = 127.0.0.1/32
policy_pidfile = $RUN/policyd.pid
policy_workers = 2
milter_socket = unix:$SOCK
milter_pidfile = $RUN/milter.pid
CONF

"$POLICYD" -f -c "$RUN/rg.conf" 2>"$RUN/policyd.log" &
POLICYD_PID=$!
rg_track "$POLICYD_PID"
"$MILTER" -f -c "$RUN/rg.conf" 2>"$RUN/milter.log" &
MILTER_PID=$!
rg_track "$MILTER_PID"
rg_wait_port "$POLICY_PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"
for _ in $(seq 1 300); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || rg_bail "relayguard-milter did not start: $(cat "$RUN/milter.log")"

RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
N=0
ask() { N=$((N + 1)); $CLIENT ask "$POLICY_PORT" $RCPT client_address="$1" instance="i$N" | cut -d' ' -f1; }
# milter SCRIPT IP: run a miltertest script of tests/data/milter against the milter
milter() { miltertest -s "$D/$1.lua" -D "SOCK=$SOCK" -D "DIR=$D" -D "IP=$2" >"$RUN/mt.out" 2>&1; }
# wait_log FILE PATTERN COUNT: wait up to 20 s for COUNT lines matching PATTERN
wait_log() {
	for _ in $(seq 1 200); do
		[ "$(grep -c -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
# Every engine (2 policyd workers, 1 milter) logs its own zone state.
wait_log "$RUN/policyd.log" 'zone=fade.bl state=in_service was=unprobed' 2
rg_ok $? "policyd: each worker logs fade.bl entering service after its first probe round"
wait_log "$RUN/milter.log" 'zone=fade.bl state=in_service was=unprobed' 1
rg_ok $? "milter: fade.bl enters service after its first probe round"

# --- warm caches while the list is alive ------------------------------------
rg_is "$(ask 192.0.2.5)" "action=550" "alive: 192.0.2.5 listed (DNS)"
# Two workers: which one takes a connection is the kernel's choice, so a
# worker's first answer may come from Redis; the others from its memory.
for _ in 1 2 3 4 5 6 7 8; do ask 192.0.2.5 >/dev/null; done
rg_like "$(grep 'client=192.0.2.5 .*verdict=reject' "$RUN/policyd.log" | grep 'cache=memory' | tail -1)" 'cache=memory' \
	"alive: 192.0.2.5 answered from the in-process cache"
"$CTL" -c "$RUN/rg.conf" check 192.0.2.6 >/dev/null
rg_is "$?" 1 "alive: ctl check lists 192.0.2.6 and puts it in Redis"
rg_like "$(redis-cli -p "$REDIS_PORT" get rg:v2:c:{192.0.2.6}:fade.bl)" '^L127.0.0.2' "the listing is in Redis"
milter listed_rcpt 192.0.2.5
rg_ok $? "alive: the milter refuses 192.0.2.5"
milter listed_rcpt 192.0.2.7
rg_ok $? "alive: the milter refuses 192.0.2.7"

# --- the list dies ---------------------------------------------------------------
dead
kill -HUP "$RBLDNSD"
wait_log "$RUN/policyd.log" 'zone=fade.bl state=suspended' 2
rg_ok $? "policyd: both workers suspend fade.bl at the next probe round"
wait_log "$RUN/milter.log" 'zone=fade.bl state=suspended' 1
rg_ok $? "milter: fade.bl suspended at the next probe round"
# Whichever engine probes first finds it; the others may learn it from
# Redis first (slow machines, valgrind): either way the line names the probe
# and its answer, and the shared one also the host that found it.
rg_like "$(grep 'zone=fade.bl state=suspended' "$RUN/policyd.log" | head -1)" \
	'warning: dnsbl zone=fade.bl state=suspended was=in_service reason="(shared from Redis by host [^:]+: )?1\.0\.0\.127\.fade\.bl listed 127\.0\.0\.2 \(it must not be' \
	"the change is logged once per engine with the probe and its answer"

rg_is "$(ask 192.0.2.5)" "action=DUNNO" "policyd: 192.0.2.5, cached in memory, no longer counts"
rg_is "$(ask 192.0.2.5)" "action=DUNNO" "policyd: ... on the other worker either"
rg_is "$(ask 192.0.2.6)" "action=DUNNO" "policyd: 192.0.2.6, cached in Redis, no longer counts"
rg_is "$(ask 192.0.2.99)" "action=DUNNO" "policyd: an address only the dead list lists passes"
milter unlisted 192.0.2.5
rg_ok $? "milter: 192.0.2.5 (cached) passes"
[ $? -eq 0 ] || sed 's/^/# /' "$RUN/mt.out"
milter unlisted 192.0.2.7
rg_ok $? "milter: 192.0.2.7 (cached) passes"
out=$("$CTL" -c "$RUN/rg.conf" check 192.0.2.6); rc=$?
rg_is "$rc" 0 "ctl check: 192.0.2.6 (in Redis) is not listed"
rg_like "$out" '^fade.bl +dnsbl +skipped .*zone suspended' "ctl check: the source is skipped as suspended"
rg_like "$out" 'zone fade.bl: suspended \(1\.0\.0\.127\.fade\.bl listed 127\.0\.0\.2' \
	"ctl check: the zone's state and why"
rg_like "$("$CTL" -c "$RUN/rg.conf" check --json 192.0.2.6)" \
	'"zones":\[\{"name":"fade.bl","state":"suspended","reason":"1\.0\.0\.127\.fade\.bl listed' \
	"ctl check --json: the zone's state and why"
rg_is "$(redis-cli -p "$REDIS_PORT" exists rg:v2:c:{192.0.2.99}:fade.bl)" 0 \
	"a dead list's answers never reach the Redis cache"
sleep 2	# a stats snapshot after the change (stats_interval = 1s)
out=$("$CTL" -c "$RUN/rg.conf" stats)
rg_like "$out" 'fade.bl +dnsbl .* suspended' "ctl stats: the zone is suspended"
rg_like "$out" 'fade.bl suspended: 1\.0\.0\.127\.fade\.bl listed 127\.0\.0\.2' "ctl stats: and why"

# --- repaired: it counts again ------------------------------------------------------
alive
kill -HUP "$RBLDNSD"
wait_log "$RUN/policyd.log" 'zone=fade.bl state=in_service was=suspended' 2
rg_ok $? "policyd: fade.bl back in service after a passing round"
wait_log "$RUN/milter.log" 'zone=fade.bl state=in_service was=suspended' 1
rg_ok $? "milter: fade.bl back in service"
rg_is "$(ask 192.0.2.5)" "action=550" "repaired: 192.0.2.5 listed again"
rg_is "$(ask 192.0.2.99)" "action=DUNNO" "repaired: 192.0.2.99 not listed"
milter listed_rcpt 192.0.2.7
rg_ok $? "repaired: the milter refuses 192.0.2.7 again"

# --- start-up with the list dead: never counted, not even on the first check --------
dead
kill -HUP "$RBLDNSD"
wait_log "$RUN/milter.log" 'zone=fade.bl state=suspended' 2 || sleep 2	# main's code logs otherwise
{ common_conf; echo "dnsbl_probe_interval = 5m"; } >"$RUN/alone.conf"	# no Redis: decides alone
first=0
for i in 1 2 3 4 5; do
	"$CTL" -c "$RUN/alone.conf" check 192.0.2.$((100 + i)) >"$RUN/first.out" 2>&1
	[ $? -eq 0 ] && grep -q 'zone fade.bl: suspended' "$RUN/first.out" && first=$((first + 1))
done
rg_is "$first" 5 "ctl check without Redis, list dead at start: not listed, 5 of 5 runs"
[ "$first" -eq 5 ] || sed 's/^/# /' "$RUN/first.out"
P2=$(rg_free_port)
{ common_conf; cat <<CONF; } >"$RUN/fresh.conf"
dnsbl_probe_interval = 5m
policy_listen = inet:$P2@127.0.0.1
policy_allowed_clients = 127.0.0.1/32
policy_pidfile = $RUN/fresh.pid
policy_workers = 1
CONF
"$POLICYD" -f -c "$RUN/fresh.conf" 2>"$RUN/fresh.log" &
FRESH_PID=$!
rg_track "$FRESH_PID"
rg_wait_port "$P2" || rg_bail "the second policyd did not start"
rg_is "$($CLIENT ask "$P2" $RCPT client_address=192.0.2.120 instance=first | cut -d' ' -f1)" "action=DUNNO" \
	"a fresh policyd, list dead at start: its very first check does not count it"
rg_like "$(grep 'client=192.0.2.120' "$RUN/fresh.log")" 'verdict=pass' "and logs a pass"
rg_like "$(grep 'zone=fade.bl' "$RUN/fresh.log")" 'state=suspended was=unprobed' \
	"it went from not yet probed to suspended"

# The daemons end cleanly (under ASan: no report, no leak).
for pid in "$POLICYD_PID" "$MILTER_PID" "$FRESH_PID"; do rg_stop "$pid"; done
! grep -l 'Sanitizer\|runtime error' "$RUN"/policyd.log "$RUN"/milter.log "$RUN"/fresh.log
rg_ok $? "policyd and the milter end without a sanitizer report"

rg_done
