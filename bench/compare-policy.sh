#!/bin/bash
# compare-policy.sh - policy servers side by side on one DNSBL zone.
#
#   bench/compare-policy.sh [BUILDDIR] [SECONDS]
#
# Starts rbldnsd with tests/data/rbldnsd (zone test.bl) on a free loopback
# port, then for 1, 16 and 64 connections runs bench/policy_load against:
#   ceiling             bench/trivial_policy (answers DUNNO, does nothing)
#   relayguard-policyd  warm in-process cache (cache_size default), 2 workers
#   relayguard-policyd-redis  the same with cache_size = 0: every answer a Redis hit
#   postfwd1, postfwd2, policyd-weight   when installed (recipes: HARNESS.md)
# ONLY_OURS=1 skips the postfwd and policyd-weight runs (quicker while iterating).
# Addresses: 1000, 10% listed.  Prints a Markdown table (requests/s, p50, p99).
# Everything runs on 127.0.0.1; every process started here is stopped by PID.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC}
SECS=${2:-5}
RUN=$(mktemp -d /tmp/rg-bench-policy.XXXXXX)
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

# addresses: 100 listed (198.51.100.1..100), 900 unlisted (198.18.0.0/15, benchmark range)
{ for i in $(seq 1 100); do echo "198.51.100.$i"; done
  for i in $(seq 0 899); do echo "198.18.$((i / 250)).$((i % 250 + 1))"; done; } | shuf --random-source=<(yes) >"$RUN/addrs"

cp "$SRC"/tests/data/rbldnsd/test.bl.* "$RUN/"
DNS=$(port)
(cd "$RUN" && exec rbldnsd -n -u rbldns -b "127.0.0.1/$DNS" -4 -t 3600 -c 0 \
	test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set >/dev/null 2>&1) &
PIDS="$PIDS $!"
sleep 0.5

declare -A RES
run_load() {	# run_load NAME PORT
	for c in 1 16 64; do
		out=$("$LOAD" -p "$2" -c "$c" -t 2 -w 1 -d "$SECS" -f "$RUN/addrs")
		echo "# $1 $out" >&2
		rps=$(sed -n 's/.* rps=\([0-9]*\).*/\1/p' <<<"$out")
		p50=$(sed -n 's/.* p50_us=\([0-9]*\).*/\1/p' <<<"$out")
		p99=$(sed -n 's/.* p99_us=\([0-9]*\).*/\1/p' <<<"$out")
		RES[$1,$c]="${rps:-0} (${p50:-?} / ${p99:-?} µs)"
	done
}

# ceiling
P=$(port); "$BUILD/bench/trivial_policy" "$P" 2 & PIDS="$PIDS $!"; wait_port "$P"
run_load ceiling "$P"

# relayguard-policyd
P=$(port)
cat >"$RUN/rg.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS
dnsbl_sites = test.bl
dnsbl_probe_interval = 0
report_enable = no
report_spool = $RUN/spool
log_level = notice
policy_listen = inet:$P@127.0.0.1
policy_pidfile = $RUN/rg.pid
policy_workers = 2
CONF
"$BUILD/policy/relayguard-policyd" -f -c "$RUN/rg.conf" 2>"$RUN/rg.log" & PIDS="$PIDS $!"
wait_port "$P" || { echo "relayguard-policyd did not start: $(cat "$RUN/rg.log")" >&2; exit 1; }
run_load relayguard-policyd "$P"
NAMES="ceiling relayguard-policyd"

# relayguard-policyd with every answer from Redis (in-process cache off);
# the load's warm-up second fills Redis.
if command -v redis-server >/dev/null; then
	RP=$(port)
	redis-server --bind 127.0.0.1 --port "$RP" --save '' --appendonly no --daemonize no \
		--dir "$RUN" --logfile "$RUN/redis.log" & PIDS="$PIDS $!"
	wait_port "$RP"
	P=$(port)
	sed -e "s/^policy_listen = .*/policy_listen = inet:$P@127.0.0.1/" -e "s|^policy_pidfile = .*|policy_pidfile = $RUN/rg-redis.pid|" \
		"$RUN/rg.conf" >"$RUN/rg-redis.conf"
	printf 'cache_size = 0\nredis_server = 127.0.0.1:%s\n' "$RP" >>"$RUN/rg-redis.conf"
	"$BUILD/policy/relayguard-policyd" -f -c "$RUN/rg-redis.conf" 2>"$RUN/rg-redis.log" & PIDS="$PIDS $!"
	wait_port "$P" || { echo "relayguard-policyd (Redis) did not start: $(cat "$RUN/rg-redis.log")" >&2; exit 1; }
	run_load relayguard-policyd-redis "$P"
	NAMES="$NAMES relayguard-policyd-redis"
fi

# postfwd1 / postfwd2: private mount namespace for resolv.conf (HARNESS.md)
printf 'nameserver 127.0.0.1\noptions port:%s\n' "$DNS" >"$RUN/resolv.conf"
echo 'id=RBL; rbl=test.bl/^127\.0\.0\.\d+$/3600 ; action=REJECT 5.7.1 client $$client_address listed' >"$RUN/postfwd.cf"
for pf in postfwd1 postfwd2; do
	[ -z "${ONLY_OURS:-}" ] || break
	command -v $pf >/dev/null || continue
	P=$(port)
	unshare -m sh -c "mount --bind $RUN/resolv.conf /etc/resolv.conf && exec $pf --daemon -f $RUN/postfwd.cf --interface=127.0.0.1 --port=$P --user=nobody --group=nogroup --pidfile=$RUN/$pf.pid --cache=600" >"$RUN/$pf.log" 2>&1
	wait_port "$P" || { echo "# $pf did not start" >&2; continue; }
	run_load $pf "$P"
	NAMES="$NAMES $pf"
	if [ $pf = postfwd2 ]; then postfwd2 --kill --pidfile="$RUN/$pf.pid" >/dev/null 2>&1
	else kill "$(cat "$RUN/$pf.pid")" 2>/dev/null; fi
done

# policyd-weight: DNS on port 53 of 127.0.0.1 through a private dnsmasq, only if port 53 is free
if [ -z "${ONLY_OURS:-}" ] && command -v policyd-weight >/dev/null && command -v dnsmasq >/dev/null &&
	! ss -Hlun 'sport = :53' | grep -q .; then
	dnsmasq -k --port=53 --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
		--address=/#/ --server="/test.bl/127.0.0.1#$DNS" --pid-file="$RUN/dnsmasq.pid" 2>"$RUN/dnsmasq.log" &
	PIDS="$PIDS $!"
	P=$(port)
	cat >"$RUN/pw.conf" <<CONF
\$dnsbl_checks_only = 1;
@dnsbl_score = ('test.bl', 5, 0, 'TEST_BL');
\$MAXDNSBLSCORE = 4;
\$NS = '127.0.0.1';
\$TCP_PORT = $P;
\$BIND_ADDRESS = '127.0.0.1';
\$syslog_socktype = 'native';
\$LOCKPATH = '$RUN/pw-lock/';
\$PIDFILE = '$RUN/pw.pid';
CONF
	policyd-weight -f "$RUN/pw.conf" -D start >"$RUN/pw.log" 2>&1 &
	PIDS="$PIDS $!"
	if wait_port "$P"; then
		run_load policyd-weight "$P"
		NAMES="$NAMES policyd-weight"
	fi
	policyd-weight -f "$RUN/pw.conf" stop >/dev/null 2>&1
fi

echo "| server | 1 conn | 16 conns | 64 conns |"
echo "|---|---|---|---|"
for n in $NAMES; do
	echo "| $n | ${RES[$n,1]} | ${RES[$n,16]} | ${RES[$n,64]} |"
done
