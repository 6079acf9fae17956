#!/bin/sh
# cluster.sh - relayguard on a Redis Cluster (issue 16, Cluster part).
# Real servers on loopback: three masters with a replica each (redis-server
# --cluster-enabled yes, joined by redis-cli --cluster create), rbldnsd,
# two relayguard-policyd, relayguard-milter (through miltertest),
# relayguard-ctl and relayguard-notify, all configured with
# redis_cluster_nodes only.
#  - answers are cached on the master of their hash slot, on all three
#    masters; a second policyd reads them back without a DNS query;
#  - a key in a migrating slot is read through ASK + ASKING, and a
#    long-running policyd follows MOVED when the slot has moved;
#  - the milter, ctl check (with redis_lists: the Lua lookup) and ctl import
#    work through the cluster;
#  - during a `redis-cli --cluster reshard`, a CLUSTER FAILOVER on a replica
#    and a killed master, every check answers within dnsbl_timeout;
#  - no report event is lost (the stream holds every one), and the notifier,
#    running through all of it, sends exactly one notice per network.
# Every server is stopped by PID on exit (lib.sh's trap).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
. "$RG_TOP_SRCDIR/tests/integration/cluster_lib.sh" || rg_bail "cannot read cluster_lib.sh"
rg_require rbldnsd redis-server redis-cli miltertest
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
for b in "$POLICYD" "$MILTER" "$CTL" "$NOTIFY"; do [ -x "$b" ] || rg_bail "$b not built"; done

# --- rbldnsd: 198.51.0.0/16 is listed; owners: one network per /24 -----------
printf ':127.0.0.2:Listed in fleet.bl\n198.51.0.0/16\n127.0.0.2\n' >"$RUN/fleet.ip4set"
chmod 644 "$RUN/fleet.ip4set"
DNS=$(rg_free_port)
rg_start_rbldnsd "$DNS" fleet.bl:ip4set:fleet.ip4set
for n in $(seq 0 255); do printf '198.51.%d.0/24,Net %d,abuse%d@net.example\n' "$n" "$n" "$n"; done >"$RUN/owners.csv"
queries() { grep -c '\.51\.198\.fleet\.bl' "$RUN/rbldnsd.log"; }	# not the health probes

rg_start_redis_cluster 3 1
R() { _p=$1; shift; redis-cli -p "$_p" "$@"; }
port_of() { echo "${1##*:}"; }
# master_port KEY: the port of the master serving KEY now
master_port() { port_of "$(rg_cluster_master_of "$1")"; }
ckey() { echo "rg:v2:c:{$1}:fleet.bl"; }

write_conf() {	# FILE NAME [EXTRA LINE...]
	_f=$1; _name=$2; shift 2
	{
		echo "allow_root = yes"
		echo "myhostname = $_name.example"
		echo "dns_servers = 127.0.0.1:$DNS"
		echo "dnsbl_sites = fleet.bl"
		echo "dnsbl_timeout = 2s"
		echo "dnsbl_probe_interval = ${PROBE_INTERVAL:-0}"
		echo "redis_cluster_nodes = $RG_CLUSTER_NODES"
		echo "redis_timeout = 300ms"
		echo "redis_prefix = rg:"
		echo "report_enable = yes"
		echo "report_spool = $RUN/spool-$_name"
		echo "report_min_replicas = 1"
		echo "report_dedupe_window = 0"
		echo "stats_dir = $RUN/stats-$_name"
		echo "log_level = info"
		echo "owners_db = $RUN/owners.csv"
		echo "notify_min_hits = 1"
		echo "notify_window = 1d"
		echo "notify_interval = 30d"
		echo "notify_template = $RG_TOP_SRCDIR/conf/notice.txt"
		echo "notify_from = rg-reports@example.org"
		echo "notify_transport = outbox:$RUN/outbox"
		echo "notify_state_dir = $RUN/nstate"
		echo "notify_claim_idle = 2s"
		for _l in "$@"; do echo "$_l"; done
	} >"$_f"
}

start_policyd() {	# NAME PORT (with health probes: zone health is shared through the cluster)
	PROBE_INTERVAL=5s write_conf "$RUN/$1.conf" "$1" "policy_listen = inet:$2@127.0.0.1" \
		"policy_allowed_clients = 127.0.0.1/32" "policy_pidfile = $RUN/$1.pid" "policy_workers = 1"
	"$POLICYD" -f -c "$RUN/$1.conf" 2>"$RUN/$1.log" &
	rg_track $!
	rg_wait_port "$2" || rg_bail "policyd $1 did not start: $(cat "$RUN/$1.log")"
	for _ in $(seq 1 100); do grep -q "slot map: 3 masters" "$RUN/$1.log" && return 0; sleep 0.1; done
}

PP1=$(rg_free_port)
PP2=$(rg_free_port)
start_policyd p1 "$PP1"
rg_like "$(cat "$RUN/p1.log")" "slot map: 3 masters, 16384 of 16384 slots served" \
	"policyd read the slot map from the seed nodes"
start_policyd p2 "$PP2"

# The notifier runs from here to the end, through reshard and failovers.
write_conf "$RUN/n.conf" n
"$NOTIFY" -c "$RUN/n.conf" --consumer n1 2>"$RUN/notify.log" &
NOTIFY_PID=$!
rg_track "$NOTIFY_PID"

RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
# ask PORT ADDR: one check; prints the action
ask() { $CLIENT ask "$1" $RCPT client_address="$2" instance="i$$" | cut -d' ' -f1; }
# wait_cached ADDR: is ADDR's answer on the master of its slot (10 s)?
wait_cached() {
	for _ in $(seq 1 100); do
		[ "$(R "$(master_port "$(ckey "$1")")" exists "$(ckey "$1")")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
# Listed clients reported, one line each, for the final count of events.
: >"$RUN/events"
listed() { echo "$1" >>"$RUN/events"; }

rg_is "$(ask "$PP1" 198.51.1.1)" "action=550" "a listed client is refused"
listed 198.51.1.1
wait_cached 198.51.1.1
rg_ok $? "its answer is cached on the master of its hash slot"

masters=""
for i in $(seq 2 31); do
	[ "$(ask "$PP1" "198.51.$i.1")" = "action=550" ] && listed "198.51.$i.1"
done
for i in $(seq 2 31); do
	wait_cached "198.51.$i.1" && masters="$masters $(master_port "$(ckey "198.51.$i.1")")"
done
rg_is "$(echo $masters | wc -w)" 30 "30 answers cached, each on the master of its slot"
rg_is "$(echo $masters | tr ' ' '\n' | sort -u | wc -l)" 3 "spread over the three masters"

before=$(queries)
bad=0
for i in $(seq 1 31); do [ "$(ask "$PP2" "198.51.$i.1")" = "action=550" ] || bad=$((bad + 1)); done
rg_is "$bad" 0 "the second policyd refuses the same 31 clients"
rg_is "$(queries)" "$before" "without one DNS query: every answer came from the cluster (MGET on the right node)"
# those are reports too
for i in $(seq 1 31); do listed "198.51.$i.1"; done

# --- ctl check, and ASK during a slot migration ------------------------------------
out=$("$CTL" -c "$RUN/p1.conf" check --json 198.51.1.1 2>/dev/null)
rg_like "$out" '"cache":"redis"' "relayguard-ctl check reads the answer from the cluster"

X=198.51.40.1
"$CTL" -c "$RUN/p1.conf" check 198.51.40.1 >/dev/null 2>&1
wait_cached "$X" || rg_bail "ctl check did not cache $X"
K=$(ckey "$X")
SLOT=$(R "${RG_CLUSTER_PORTS%% *}" cluster keyslot "$K")
SRC=$(master_port "$K")
DST=""
for p in $RG_CLUSTER_PORTS; do
	[ "$p" != "$SRC" ] && R "$p" role | head -1 | grep -q master && { DST=$p; break; }
done
SRC_ID=$(R "$SRC" cluster myid)
DST_ID=$(R "$DST" cluster myid)
R "$DST" cluster setslot "$SLOT" importing "$SRC_ID" >/dev/null
R "$SRC" cluster setslot "$SLOT" migrating "$DST_ID" >/dev/null
R "$SRC" migrate 127.0.0.1 "$DST" "$K" 0 5000 >/dev/null
rg_like "$(R "$SRC" get "$K" 2>&1)" "ASK $SLOT 127.0.0.1:$DST" "the key has left for another master: its old one answers ASK"
before=$(queries)
out=$("$CTL" -c "$RUN/p1.conf" check --json "$X" 2>/dev/null)
rg_like "$out" '"cache":"redis"' "ctl check follows ASK (ASKING first) to the key in the migrating slot"
rg_is "$(queries)" "$before" "no DNS query for it"
for p in "$DST" "$SRC" $RG_CLUSTER_PORTS; do R "$p" cluster setslot "$SLOT" node "$DST_ID" >/dev/null 2>&1; done
rg_like "$(R "$SRC" get "$K" 2>&1)" "MOVED $SLOT 127.0.0.1:$DST" "the slot has moved: its old master answers MOVED"
before=$(queries)
rg_is "$(ask "$PP2" "$X")" "action=550" "policyd (whose map is older) refuses the client"
listed "$X"
rg_is "$(queries)" "$before" "from the cluster: it followed MOVED to the new master"
for _ in $(seq 1 50); do grep -q "slots changed" "$RUN/p2.log" && break; sleep 0.1; done
rg_like "$(grep 'slot map' "$RUN/p2.log" | tail -1)" "slot map: 3 masters, 16384 of 16384 slots served, [1-9][0-9]* slots changed" \
	"and refreshed its slot map"

# --- the milter, ctl import and the Redis lists lookup ----------------------------
SOCK="$RUN/milter.sock"
write_conf "$RUN/m.conf" m "milter_socket = unix:$SOCK" "milter_pidfile = $RUN/m.pid"
"$MILTER" -f -c "$RUN/m.conf" 2>"$RUN/m.log" &
rg_track $!
for _ in $(seq 1 100); do [ -S "$SOCK" ] && grep -q "slot map: 3 masters" "$RUN/m.log" && break; sleep 0.1; done
out=$(miltertest -s "$RG_TOP_SRCDIR/tests/data/cluster/listed.lua" -D "SOCK=$SOCK" -D IP=198.51.60.1 2>&1)
rg_like "$out" "REJECTED AT" "the milter refuses a listed client"
listed 198.51.60.1
wait_cached 198.51.60.1
rg_ok $? "and caches its answer on the master of its slot"
out=$(miltertest -s "$RG_TOP_SRCDIR/tests/data/cluster/listed.lua" -D "SOCK=$SOCK" -D IP=192.0.2.9 2>&1)
rg_like "$out" "PASSED" "and lets a clean client go on"

printf '203.0.113.0/24\n' >"$RUN/l.txt"
"$CTL" -c "$RUN/p1.conf" import cl-list "$RUN/l.txt" >"$RUN/ctl.out" 2>&1
rg_ok $? "relayguard-ctl import through the cluster: $(head -c 300 "$RUN/ctl.out")"
LK="rg:v2:{rl}:lists"
rg_is "$(R "$(master_port "$LK")" sismember "$LK" cl-list)" 1 "the list is on the master of the lists' slot"
write_conf "$RUN/rl.conf" rl "redis_lists = cl-list"
out=$("$CTL" -c "$RUN/rl.conf" check 203.0.113.9)
rg_like "$out" "cl-list +redis-list +listed" "ctl check with redis_lists: the Lua lookup runs on the lists' node"

# --- load while the cluster changes ------------------------------------------------
# load NAME PORT FIRST: checks of 198.51.(100..139).N until $RUN/stop exists;
# one line "ADDRESS ACTION MS" per check in $RUN/load-NAME.
load() {
	_i=$3
	while [ ! -e "$RUN/stop" ]; do
		_a="198.51.$((100 + _i % 40)).$((1 + _i / 40))"
		_t0=$(date +%s%N)
		_r=$(ask "$2" "$_a")
		echo "$_a $_r $(( ($(date +%s%N) - _t0) / 1000000 ))" >>"$RUN/load-$1"
		_i=$((_i + 1))
		sleep 0.02
	done
}
slow() { awk '$3 >= 2000 || $2 == "" { n++ } END { print n + 0 }' "$@"; }
run_load() {	# NAME FIRST: start the load on both policyd
	rm -f "$RUN/stop"
	load "$1-a" "$PP1" "$2" &
	LOAD1=$!
	load "$1-b" "$PP2" "$(($2 + 5000))" &
	LOAD2=$!
	rg_track $LOAD1
	rg_track $LOAD2
	sleep 1
}
stop_load() {
	touch "$RUN/stop"
	wait "$LOAD1" "$LOAD2" 2>/dev/null
	for f in "$RUN/load-$1-a" "$RUN/load-$1-b"; do
		awk '$2 == "action=550" { print $1 }' "$f" >>"$RUN/events"
	done
}

# Resharding: 1500 slots from the first master to the second, under load.
run_load reshard 0
M1=$(R "${RG_CLUSTER_PORTS%% *}" cluster myid)
M2=$(R "$(echo $RG_CLUSTER_PORTS | cut -d' ' -f2)" cluster myid)
redis-cli --cluster reshard "127.0.0.1:${RG_CLUSTER_PORTS%% *}" --cluster-from "$M1" --cluster-to "$M2" \
	--cluster-slots 1500 --cluster-yes >"$RUN/reshard.log" 2>&1
rg_ok $? "redis-cli --cluster reshard moved 1500 slots under load"
sleep 1
stop_load reshard
n=$(cat "$RUN/load-reshard-a" "$RUN/load-reshard-b" | wc -l)
rg_is "$(slow "$RUN/load-reshard-a" "$RUN/load-reshard-b")" 0 "all $n checks during the resharding answered within dnsbl_timeout"
rg_ok $(( $(grep -c 'slots changed' "$RUN/p1.log") < 2 )) "policyd saw the slots move (slot map refreshed)"

# CLUSTER FAILOVER on the replica of the stream's master (planned: no loss).
SK=rg:reports
OLD=$(master_port "$SK")
REP=$(rg_cluster_replica_of "$OLD")
run_load failover 1000
rg_is "$(R "$REP" cluster failover)" OK "CLUSTER FAILOVER on the replica of the stream's master"
for _ in $(seq 1 300); do [ "$(master_port "$SK")" = "$REP" ] && break; sleep 0.1; done
rg_is "$(master_port "$SK")" "$REP" "the replica is the stream's master now"
sleep 2
stop_load failover
n=$(cat "$RUN/load-failover-a" "$RUN/load-failover-b" | wc -l)
rg_is "$(slow "$RUN/load-failover-a" "$RUN/load-failover-b")" 0 "all $n checks during CLUSTER FAILOVER answered within dnsbl_timeout"

# A killed master: the stream's master again (its events wait in the spool).
run_load kill 2000
KILLED=$(master_port "$SK")
kill "$(rg_cluster_pid "$KILLED")"
for _ in $(seq 1 300); do
	p=$(master_port "$SK")
	[ -n "$p" ] && [ "$p" != "$KILLED" ] && break
	sleep 0.1
done
rg_ok $(( $(master_port "$SK") == KILLED )) "with its master killed, the cluster promotes the replica"
sleep 2
stop_load kill
n=$(cat "$RUN/load-kill-a" "$RUN/load-kill-b" | wc -l)
rg_is "$(slow "$RUN/load-kill-a" "$RUN/load-kill-b")" 0 "all $n checks while the master was dead answered within dnsbl_timeout"
rg_is "$(ask "$PP1" 198.51.250.1)" "action=550" "checks go on after the crash"
listed 198.51.250.1
wait_cached 198.51.250.2 || { ask "$PP1" 198.51.250.2 >/dev/null; listed 198.51.250.2; }
wait_cached 198.51.250.2
rg_ok $? "and the cache is written to the new masters"

# --- no event lost, one notice per network ----------------------------------------
EVENTS=$(wc -l <"$RUN/events")
for _ in $(seq 1 300); do
	[ "$(R "$(master_port "$SK")" xlen "$SK")" -ge "$EVENTS" ] && break
	sleep 0.1
done
rg_is "$(R "$(master_port "$SK")" xlen "$SK")" "$EVENTS" "every report event reached the stream: $EVENTS, none lost"
NETS=$(awk -F. '{ print $1 "." $2 "." $3 }' "$RUN/events" | sort -u | wc -l)
for _ in $(seq 1 300); do
	[ "$(ls "$RUN/outbox" 2>/dev/null | grep -c '\.eml$')" -ge "$NETS" ] && break
	sleep 0.1
done
sleep 1
rg_is "$(ls "$RUN/outbox" | grep -c '\.eml$')" "$NETS" "the notifier sent one notice per network: $NETS networks"
rg_is "$(grep -h '^To: ' "$RUN/outbox"/*.eml | sort | uniq -d | wc -l)" 0 "no network was told twice"
kill -0 "$NOTIFY_PID" 2>/dev/null
rg_ok $? "the notifier is still running"

# --- every command relayguard sent touched one slot --------------------------------
# Redis counts refused commands per error: a multi-key command or script
# whose keys span slots is refused with CROSSSLOT, one sent to the wrong
# node with MOVED (followed, and counted here only as a sign of routing).
stats=""
for p in $RG_CLUSTER_PORTS; do
	kill -0 "$(rg_cluster_pid "$p")" 2>/dev/null || continue
	stats="$stats
$(R "$p" info errorstats)
$(R "$p" info commandstats)"
done
rg_is "$(echo "$stats" | grep -c 'errorstat_CROSSSLOT')" 0 "no command of any daemon or tool spanned two hash slots (CROSSSLOT)"
used=$(echo "$stats" | sed -n 's/^cmdstat_\([a-z|]*\):calls.*/\1/p' | sort -u | tr '\n' ' ')
echo "# commands the cluster ran: $used"
for c in mget set eval script\|load wait xreadgroup xautoclaim hset hgetall; do
	case " $used " in *" $c "*) ;; *) rg_ok 1 "the cluster ran $c (used: $used)"; continue ;; esac
	rg_ok 0 "the cluster ran $c"
done

# --- configuration: exactly one way to Redis ----------------------------------------
printf 'redis_server = 127.0.0.1:6379\nredis_cluster_nodes = %s\n' "$RG_CLUSTER_NODES" >"$RUN/both.conf"
"$CTL" -c "$RUN/both.conf" check-config >"$RUN/both.out" 2>&1
rg_ok $((! $?)) "check-config refuses redis_server with redis_cluster_nodes"
rg_like "$(cat "$RUN/both.out")" "both.conf:2: redis_cluster_nodes and redis_server are both set: set exactly one of" \
	"with file:line and what to do"
rg_done
