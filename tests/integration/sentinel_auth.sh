#!/bin/sh
# sentinel_auth.sh - relayguard on a Redis Sentinel set where everything has
# a password (issue 16: "Sentinel password settings where the servers use
# one").  Real servers on loopback (tests/integration/lib_sentinel.sh): the
# master and the replica with requirepass and masterauth, three Sentinels
# with a requirepass of their own (and auth-pass for the servers).
#  - policyd with redis_sentinel_password and redis_password finds the
#    master, caches there, and its report events reach the stream;
#  - relayguard-ctl import and queue find the master through the Sentinels;
#  - after SENTINEL FAILOVER (asked with the Sentinels' password) policyd
#    heard +switch-master on its authenticated subscription and writes to
#    the new master; no report event is lost;
#  - a wrong Sentinel password or a wrong server password is an error that
#    says which, never shows the password, and checks go on from DNS.
# With SENTINEL_AUTH_ACL=yes (sentinel_acl.sh) the servers and the Sentinels
# have Redis 6 ACL users instead, with their default users off, and
# relayguard names them (redis_username, redis_sentinel_username).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli redis-sentinel
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for b in "$POLICYD" "$CTL"; do [ -x "$b" ] || rg_bail "$b not built"; done

rg_start_listing_zone auth.bl 198.51.0.0/16

SRV_PW="srv-pw-$$"
SEN_PW="sen-pw-$$"
RG_REDIS_REQUIREPASS=$SRV_PW
RG_SENTINEL_REQUIREPASS=$SEN_PW
SRV_SETTINGS=redis_password
if [ "${SENTINEL_AUTH_ACL:-no}" = yes ]; then
	RG_REDIS_USER=rg-server
	RG_SENTINEL_USER=rg-sentinel
	SRV_SETTINGS=redis_username/redis_password
fi
. "$RG_TOP_SRCDIR/tests/integration/lib_sentinel.sh"
rg_start_sentinel_set
P1=$RG_REDIS_P1
P2=$RG_REDIS_P2
R() { _p=$1; shift; rg_redis_cli -p "$_p" "$@"; }
rg_is "$(redis-cli -p "$RG_SENTINEL_PORT" sentinel get-master-addr-by-name mymaster 2>&1 | head -1 | cut -c1-6)" \
	NOAUTH "the Sentinels refuse a client without their password"
rg_is "$(rg_sentinel_master_port)" "$P1" "and name the master to one with it"

# conf FILE SENTINEL_PASSWORD SERVER_PASSWORD [LINES]
conf() {
	cat >"$1" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS
dnsbl_sites = auth.bl
dnsbl_timeout = 2s
redis_sentinels = $RG_SENTINELS
redis_sentinel_master = mymaster
redis_sentinel_username = ${RG_SENTINEL_USER:-}
redis_sentinel_password = $2
redis_username = ${RG_REDIS_USER:-}
redis_password = $3
redis_timeout = 300ms
redis_prefix = rg:
report_enable = yes
report_spool = $RUN/spool-$(basename "$1" .conf)
log_level = info
myhostname = mx.example
${4:-}
CONF
}
PP=$(rg_free_port)
conf "$RUN/p.conf" "$SEN_PW" "$SRV_PW" "$(rg_policyd_lines p "$PP")"
rg_start_policyd p "$PP"

RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
N=0
ask() {	# ask PORT ADDR: the action word
	N=$((N + 1))
	$CLIENT ask "$1" $RCPT client_address="$2" instance="i$N" | cut -d' ' -f1
}
wait_cached() {	# wait_cached PORT ADDR: ADDR's answer cached on the server at PORT (10 s)?
	for _ in $(seq 1 100); do
		[ "$(R "$1" exists "rg:v2:c:{$2}:auth.bl")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
wait_xlen() {	# wait_xlen PORT N: the stream on PORT holds N events (15 s)?
	for _ in $(seq 1 150); do
		[ "$(R "$1" xlen rg:reports)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

for _ in $(seq 1 50); do grep -q "redis .*connected" "$RUN/p.log" && break; sleep 0.1; done
rg_is "$(ask "$PP" 198.51.1.1)" "action=550" "a listed client is refused"
wait_cached "$P1" 198.51.1.1
rg_ok $? "its answer is cached on the master, through the Sentinels' and the server's passwords"
EVENTS=1
for i in 2 3 4; do ask "$PP" "198.51.$i.1" >/dev/null; EVENTS=$((EVENTS + 1)); done
wait_xlen "$P1" "$EVENTS"
rg_is "$(R "$P1" xlen rg:reports)" "$EVENTS" "the report events reached the stream on the master"

printf '203.0.113.0/24\n' >"$RUN/l.txt"
"$CTL" -c "$RUN/p.conf" import auth-list "$RUN/l.txt" >"$RUN/ctl.out" 2>&1
rg_ok $? "relayguard-ctl import through the Sentinels with their password: $(head -c 300 "$RUN/ctl.out")"
rg_is "$(R "$P1" sismember rg:v2:{rl}:lists auth-list)" 1 "the list was written to the master"
rg_like "$("$CTL" -c "$RUN/p.conf" queue 2>&1)" "length +$EVENTS" "relayguard-ctl queue reads the stream"

# --- a planned failover, asked with the Sentinels' password ---------------------
rg_is "$(rg_sentinel_cli -p "$RG_SENTINEL_PORT" sentinel failover mymaster)" OK "SENTINEL FAILOVER accepted"
rg_sentinel_wait_master "$P2"
rg_ok $? "the replica is the master now"
for _ in $(seq 1 100); do
	grep -q "Sentinel +switch-master: the master is now 127.0.0.1:$P2" "$RUN/p.log" && break
	sleep 0.1
done
grep -q "Sentinel +switch-master: the master is now 127.0.0.1:$P2" "$RUN/p.log"
rg_ok $? "policyd heard +switch-master on its authenticated subscription"
ok=1
for k in $(seq 100 130); do
	ask "$PP" "198.51.$k.1" >/dev/null
	EVENTS=$((EVENTS + 1))
	if wait_cached "$P2" "198.51.$k.1"; then ok=0; break; fi
done
rg_ok $ok "after the failover the cache is written to the new master"
wait_xlen "$P2" "$EVENTS"
rg_is "$(R "$P2" xlen rg:reports)" "$EVENTS" "no report event lost in the failover ($EVENTS events)"

# --- wrong passwords: errors that say which, never the password -----------------
conf "$RUN/bad-sen.conf" wrong-sentinel-pw "$SRV_PW"
"$CTL" -c "$RUN/bad-sen.conf" import auth-list "$RUN/l.txt" >"$RUN/bad-sen.out" 2>&1
rg_ok $((! $?)) "relayguard-ctl import with a wrong Sentinel password fails"
rg_like "$(cat "$RUN/bad-sen.out")" "no Sentinel gave a usable master \"mymaster\": 127.0.0.1:[0-9]+: AUTH refused" \
	"and says the Sentinels refused the AUTH"
rg_ok "$(grep -c wrong-sentinel-pw "$RUN/bad-sen.out")" "without showing the password"

conf "$RUN/bad-srv.conf" "$SEN_PW" wrong-server-pw
"$CTL" -c "$RUN/bad-srv.conf" import auth-list "$RUN/l.txt" >"$RUN/bad-srv.out" 2>&1
rg_ok $((! $?)) "relayguard-ctl import with a wrong server password fails"
rg_like "$(cat "$RUN/bad-srv.out")" "named 127.0.0.1:[0-9]+, but it refused $SRV_SETTINGS \(AUTH\)" \
	"and says the master refused $SRV_SETTINGS"
rg_ok "$(grep -c wrong-server-pw "$RUN/bad-srv.out")" "without showing the password"

PB=$(rg_free_port)
conf "$RUN/pb.conf" wrong-sentinel-pw "$SRV_PW" "$(rg_policyd_lines pb "$PB")
stats_dir = $RUN/stats-pb
stats_interval = 1s"
rg_start_policyd pb "$PB"
rg_is "$(ask "$PB" 198.51.200.1)" "action=550" "policyd with a wrong Sentinel password still checks, from DNS"
for _ in $(seq 1 50); do grep -q "AUTH refused" "$RUN/pb.log" && break; sleep 0.1; done
rg_like "$(grep "AUTH refused" "$RUN/pb.log" | head -1)" "error: redis sentinel:mymaster@.*AUTH refused.*; retrying with backoff" \
	"and logs that the Sentinels refused the AUTH"
sleep 3		# several reconnects (backoff from 100 ms): still one error per connection
rg_is "$(grep -c 'error: .*AUTH refused' "$RUN/pb.log")" 2 "once, for each of its two connections (cache, reports), not at every retry"
rg_ok "$(grep -c wrong-sentinel-pw "$RUN/pb.log")" "without logging the password"
out=$("$CTL" -c "$RUN/pb.conf" stats 2>&1)
rg_like "$out" "cache=redis up=0 state=refused" "ctl stats: the cache's Redis state is 'refused'"
rg_like "$out" "reports redis=refused backlog=1 " "and the report queue's, with the event waiting in the spool"
rg_done
