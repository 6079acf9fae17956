#!/bin/sh
# sentinel.sh - relayguard on Redis Sentinel (issue 16, Sentinel part).
# Real servers on loopback: one master and one replica (redis-server), three
# Sentinels (Debian's redis-sentinel), rbldnsd, and relayguard-policyd
# configured with redis_sentinels + redis_sentinel_master only.
#  - policyd finds the master through the Sentinels and caches there;
#  - during SENTINEL FAILOVER and during a killed master, every check answers
#    within dnsbl_timeout (from DNS and the in-process cache);
#  - after each failover the cache is written to the new master;
#  - report events made before, during and after the planned failover all
#    reach the stream on the new master (none lost: sent, or spooled and
#    replayed);
#  - relayguard-ctl lists finds the master through the Sentinels too.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli redis-sentinel
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for b in "$POLICYD" "$CTL"; do [ -x "$b" ] || rg_bail "$b not built"; done

# --- rbldnsd: 198.51.0.0/16 is listed ----------------------------------------
printf ':127.0.0.2:Listed in fleet.bl\n198.51.0.0/16\n127.0.0.2\n' >"$RUN/fleet.ip4set"
chmod 644 "$RUN/fleet.ip4set"
DNS=$(rg_free_port)
rg_start_rbldnsd "$DNS" fleet.bl:ip4set:fleet.ip4set

# --- Redis: a master, a replica and three Sentinels (lib_sentinel.sh) ------------
. "$RG_TOP_SRCDIR/tests/integration/lib_sentinel.sh"
rg_start_sentinel_set
P1=$RG_REDIS_P1
P2=$RG_REDIS_P2
SLIST=$RG_SENTINELS
R() { _p=$1; shift; redis-cli -p "$_p" "$@"; }
master_port() { rg_sentinel_master_port; }
rg_is "$(master_port)" "$P1" "the Sentinels see the master"

# --- policyd on the Sentinels ---------------------------------------------------
PP=$(rg_free_port)
cat >"$RUN/p.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS
dnsbl_sites = fleet.bl
dnsbl_timeout = 2s
redis_sentinels = $SLIST
redis_sentinel_master = mymaster
redis_timeout = 300ms
redis_prefix = rg:
report_enable = yes
report_spool = $RUN/spool
report_min_replicas = 1
log_level = info
myhostname = mx.example
policy_listen = inet:$PP@127.0.0.1
policy_allowed_clients = 127.0.0.1/32
policy_pidfile = $RUN/p.pid
policy_workers = 1
CONF
"$POLICYD" -f -c "$RUN/p.conf" 2>"$RUN/p.log" &
rg_track $!
rg_wait_port "$PP" || rg_bail "policyd did not start: $(cat "$RUN/p.log")"

RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
N=0
EVENTS=0
SLOW=0
# ask ADDR: one check; counts the events expected and the answers later than dnsbl_timeout
ask() {
	N=$((N + 1))
	# timed: from connect to reply, not the client's own start-up (which
	# takes seconds on a loaded machine)
	_out=$($CLIENT timed "$PP" $RCPT client_address="$1" instance="i$N")
	_ms=${_out%% *}
	_a=$(echo "${_out#* }" | cut -d' ' -f1)
	[ "$_ms" -lt 2000 ] || { SLOW=$((SLOW + 1)); echo "# $1 answered in $_ms ms" >&2; }
	[ "$_a" = "action=550" ] && EVENTS=$((EVENTS + 1))
	echo "$_a"
}
# wait_cached PORT ADDR: is ADDR's answer cached on the server at PORT (10 s)?
wait_cached() {
	for _ in $(seq 1 100); do
		[ "$(R "$1" exists "rg:v2:c:{$2}:fleet.bl")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

for _ in $(seq 1 50); do grep -q "redis .*connected" "$RUN/p.log" && break; sleep 0.1; done
rg_is "$(ask 198.51.1.1)" "action=550" "a listed client is refused"
EVENTS=$((EVENTS + 1))	# ask ran in a subshell: count its event here
wait_cached "$P1" 198.51.1.1
rg_ok $? "its answer is cached on the master the Sentinels named"
rg_is "$(R "$P2" exists rg:v2:c:{198.51.1.1}:fleet.bl)" 1 "and replicated"
for i in 2 3 4 5; do ask "198.51.$i.1" >/dev/null; done

# --- planned failover -----------------------------------------------------------
rg_is "$(R "$RG_SENTINEL_PORT" sentinel failover mymaster)" OK "SENTINEL FAILOVER accepted"
i=10
while [ "$(master_port)" != "$P2" ] && [ $i -lt 60 ]; do
	ask "198.51.$i.1" >/dev/null
	i=$((i + 1))
	sleep 0.05
done
rg_is "$(master_port)" "$P2" "the replica is the master now"
for j in $(seq $i $((i + 20))); do ask "198.51.$j.1" >/dev/null; sleep 0.05; done
rg_is "$SLOW" 0 "every check during the planned failover answered within dnsbl_timeout"
grep -q "Sentinel +switch-master: the master is now 127.0.0.1:$P2" "$RUN/p.log"
rg_ok $? "policyd heard +switch-master"
# After the switch, new answers go to the new master.
ok=1
for k in $(seq 100 130); do
	ask "198.51.$k.1" >/dev/null
	if wait_cached "$P2" "198.51.$k.1"; then ok=0; break; fi
done
rg_ok $ok "after the failover the cache is written to the new master"
# Every event: sent to the stream, or spooled and replayed (replay every few s).
for _ in $(seq 1 150); do
	[ "$(R "$P2" xlen rg:reports)" = "$EVENTS" ] && break
	sleep 0.1
done
rg_is "$(R "$P2" xlen rg:reports)" "$EVENTS" "no report event lost in the planned failover ($EVENTS events)"

# --- relayguard-ctl finds the master through the Sentinels ----------------------
printf '203.0.113.0/24\n' >"$RUN/l.txt"
"$CTL" -c "$RUN/p.conf" import fleet-list "$RUN/l.txt" >"$RUN/ctl.out" 2>&1
rg_ok $? "relayguard-ctl import through the Sentinels: $(head -c 300 "$RUN/ctl.out")"
rg_is "$(R "$P2" sismember rg:v2:{rl}:lists fleet-list)" 1 "the list was written to the master"

# --- a killed master -------------------------------------------------------------
SLOW=0
kill "$(rg_redis_pid "$P2")"
i=140
while [ "$(master_port)" != "$P1" ] && [ $i -lt 250 ]; do
	ask "198.51.$i.1" >/dev/null
	i=$((i + 1))
	sleep 0.05
done
rg_is "$(master_port)" "$P1" "with the master killed, the Sentinels promote the other server"
rg_is "$SLOW" 0 "every check while the master was dead answered within dnsbl_timeout"
rg_is "$(ask 198.51.251.1)" "action=550" "checks go on"
ok=1
for k in $(seq 200 230); do
	ask "198.51.$k.2" >/dev/null
	if wait_cached "$P1" "198.51.$k.2"; then ok=0; break; fi
done
rg_ok $ok "after the crash the cache is written to the new master"

# --- configuration: exactly one way to Redis --------------------------------------
printf 'redis_server = 127.0.0.1:%s\nredis_sentinels = %s\nredis_sentinel_master = mymaster\n' \
	"$P1" "$SLIST" >"$RUN/both.conf"
"$CTL" -c "$RUN/both.conf" check-config >"$RUN/both.out" 2>&1
rg_ok $((! $?)) "check-config refuses redis_server with redis_sentinels"
rg_like "$(cat "$RUN/both.out")" "both.conf:2: redis_server and redis_sentinels are both set" \
	"with file:line and what to do"
rg_done
