#!/bin/sh
# sentinel_readonly.sh - a master demoted under relayguard, with no
# +switch-master to tell it (issue 16: "ask again after a connection error
# or a READONLY reply").  Real servers on loopback (lib_sentinel.sh): a
# master, a replica, three Sentinels.  The master is made a replica by hand
# (REPLICAOF), which keeps policyd's connection open and answers its writes
# with READONLY, while the Sentinels still name it for a while.
#  - policyd drops the demoted server at the READONLY reply; asking the
#    Sentinels again, it does not take the replica they still name (ROLE);
#    every check meanwhile answers within dnsbl_timeout;
#  - once the Sentinels name a master again, policyd caches there, and the
#    report events READONLY refused, kept in the spool, reach it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli redis-sentinel
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
[ -x "$POLICYD" ] || rg_bail "$POLICYD not built"

printf ':127.0.0.2:Listed in ro.bl\n198.51.0.0/16\n127.0.0.2\n' >"$RUN/ro.ip4set"
chmod 644 "$RUN/ro.ip4set"
DNS=$(rg_free_port)
rg_start_rbldnsd "$DNS" ro.bl:ip4set:ro.ip4set

. "$RG_TOP_SRCDIR/tests/integration/lib_sentinel.sh"
rg_start_sentinel_set
P1=$RG_REDIS_P1
P2=$RG_REDIS_P2
S1=$RG_SENTINEL_PORT
R() { _p=$1; shift; redis-cli -p "$_p" "$@"; }
master_by() { R "$1" sentinel get-master-addr-by-name mymaster | sed -n 2p; }
rg_is "$(master_by "$S1")" "$P1" "the Sentinel policyd asks names the master"

PP=$(rg_free_port)
cat >"$RUN/p.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS
dnsbl_sites = ro.bl
dnsbl_timeout = 2s
redis_sentinels = 127.0.0.1:$S1
redis_sentinel_master = mymaster
redis_timeout = 300ms
redis_prefix = rg:
report_enable = yes
report_spool = $RUN/spool
log_level = info
myhostname = mx.example
$(rg_policyd_lines p "$PP")
CONF
rg_start_policyd p "$PP"

RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
N=0
SLOW=0
ask() {	# ask ADDR: the action word; counts answers later than dnsbl_timeout in SLOW
	N=$((N + 1))
	_out=$($CLIENT timed "$PP" $RCPT client_address="$1" instance="i$N")
	_ms=${_out%% *}
	[ "$_ms" -lt 2000 ] || { SLOW=$((SLOW + 1)); echo "# $1 answered in $_ms ms" >&2; }
	echo "${_out#* }" | cut -d' ' -f1
}
cached() { [ "$(R "$1" exists "rg:v2:c:{$2}:ro.bl")" = 1 ]; }
wait_cached() {	# wait_cached PORT ADDR: cached on PORT within 5 s?
	for _ in $(seq 1 50); do cached "$1" "$2" && return 0; sleep 0.1; done
	return 1
}

for _ in $(seq 1 50); do grep -q "redis .*connected" "$RUN/p.log" && break; sleep 0.1; done
rg_is "$(ask 198.51.1.1)" "action=550" "a listed client is refused"
wait_cached "$P1" 198.51.1.1
rg_ok $? "its answer is cached on the master"

# P1 demoted by hand (an administrator's REPLICAOF, a split brain healing):
# no Sentinel has failed over, so nobody publishes +switch-master, and a
# Sentinel failover would have closed policyd's connection (CLIENT KILL),
# which this does not.
R "$P2" replicaof no one >/dev/null
R "$P1" replicaof 127.0.0.1 "$P2" >/dev/null
rg_is "$(R "$P1" role | head -1) $(R "$P2" role | head -1)" "slave master" "P1 is a replica now, P2 a master"

# policyd still writes to P1: READONLY, and it lets go of P1.
i=10
while ! grep -q "READONLY" "$RUN/p.log" && [ $i -lt 100 ]; do
	ask "198.51.$i.1" >/dev/null
	i=$((i + 1))
	sleep 0.05
done
rg_like "$(grep READONLY "$RUN/p.log" | head -1)" "redis .*READONLY: the server is now a replica" \
	"policyd met READONLY and dropped the demoted server"
bad=""
for j in $(seq "$i" $((i + 10))); do
	a=$(ask "198.51.$j.1")
	[ "$a" = "action=550" ] || bad="$bad 198.51.$j.1=$a"
done
rg_is "${bad:-none}" none "eleven more listed clients refused while the Sentinels still name the replica"
rg_is "$SLOW" 0 "every check answered within dnsbl_timeout meanwhile"

# The Sentinels see a master that says it is a replica and fail over; once
# they name a server that says ROLE master, policyd caches there.
for _ in $(seq 1 900); do	# about 30 s here, on an idle machine
	M=$(master_by "$S1")
	[ -n "$M" ] && [ "$(R "$M" role | head -1)" = master ] && break
	sleep 0.1
done
rg_is "$(R "$M" role | head -1)" master "the Sentinels name a master again ($M)"
ok=1
for k in $(seq 150 200); do
	ask "198.51.$k.1" >/dev/null
	if wait_cached "$M" "198.51.$k.1"; then ok=0; break; fi
done
rg_ok $ok "policyd found it through the Sentinels and caches there"
rg_is "$SLOW" 0 "and no check was slow"
# Every refused client is one report event: those READONLY refused waited
# in the spool and were replayed to the new master.
EVENTS=$(grep -c 'verdict=reject' "$RUN/p.log")
for _ in $(seq 1 150); do [ "$(R "$M" xlen rg:reports)" = "$EVENTS" ] && break; sleep 0.1; done
rg_is "$(R "$M" xlen rg:reports)" "$EVENTS" "no report event lost: the new master has all $EVENTS"
rg_done
