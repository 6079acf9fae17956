#!/bin/sh
# fleet.sh - a fleet run (issue 16): three relayguard-policyd, two
# relayguard-milter and two relayguard-notify on one Redis back end, with
# real servers only, all on loopback:
#  - two rbldnsd serve fleet.bl (198.18.0.0/15 listed) and split.bl
#    (192.0.2.0/24 listed); policyd p1 asks rbldnsd B, the six others ask
#    rbldnsd A; every query is logged and counted;
#  - the Redis back end is one function per mode (fleet_redis_<mode>):
#    FLEET_REDIS=sentinel (the default) is Debian's redis-sentinel, three
#    Sentinels, a master and a replica (tests/integration/lib_sentinel.sh);
#    FLEET_REDIS=cluster is a Redis Cluster, three masters with a replica
#    each (tests/integration/cluster_lib.sh; tests/integration/fleet_cluster.sh);
#  - policy requests go to each policyd, miltertest drives each milter, and
#    the notifiers deliver by SMTP to smtp-sink (a file per message).
# report_dedupe_window is the default (one event per address across the
# fleet) and every listed address is asked once, so each refused address is
# one event: the events expected are counted here and on the stream.
# What it proves:
#  1. listed clients spread over all five doors give exactly one notice per
#     network, the two notifiers sharing the work through the consumer group;
#  2. a warm address causes no DNS query anywhere in the fleet;
#  3. every door keeps answering within dnsbl_timeout through a planned
#     failover and a killed master; no report event is lost, every event is
#     counted once, and no network gets a second notice;
#  4. a zone found dead by one server (p1, whose rbldnsd alone lists
#     everything) is suspended at every door, and back when it heals.
# It also prints what a mail admin asks (lines starting "# fleet:"): warm
# checks/s across the three policyd (bench/policy_load, FLEET_BENCH_SECONDS)
# and the longest check during each failover.  doc/fleet.md describes it.
# FLEET_REPORT_STREAMS=N runs it with report_streams = N (default 1):
# every count below is then summed over the N streams, and the failovers
# still hit the master of stream 0, which also holds the told and claim
# keys (tests/integration/fleet_cluster_streams.sh).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli miltertest smtp-sink
if [ "$(id -u)" != 0 ]; then	# smtp-sink -u postfix
	[ -n "${CI:-}" ] && rg_bail "smtp-sink needs root (CI runs as root)"
	rg_skip_all "smtp-sink needs root"
fi
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
LOAD="$RG_TOP_BUILDDIR/bench/policy_load"
LUA="$RG_TOP_SRCDIR/tests/data/fleet/check.lua"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for b in "$POLICYD" "$MILTER" "$NOTIFY" "$CTL"; do [ -x "$b" ] || rg_bail "$b not built"; done
TIMEOUT_MS=3000		# dnsbl_timeout of every daemon
MT_SLACK_MS=3000	# a miltertest process's start-up, on a loaded machine

# --- the Redis back end: one function per mode ----------------------------------
# fleet_redis_MODE starts the servers and sets:
#   FLEET_REDIS_CONF   the Redis lines of every daemon's configuration
#                      (report_min_replicas: FLEET_MIN_REPLICAS, default 1; 0 measures the loss without WAIT)
# and defines:
#   FR ARGS...         a redis-cli command on the server holding the keys now
#   fleet_failover_planned   a planned failover; returns when it is done
#   fleet_failover_crash     the process holding the keys killed; returns
#                            when the back end serves again
#   fleet_settle       wait until the back end accepts another failover
#   fleet_heal         bring the killed server back (as a replica)
fleet_redis_sentinel() {
	. "$RG_TOP_SRCDIR/tests/integration/lib_sentinel.sh"
	rg_start_sentinel_set
	FLEET_REDIS_CONF="redis_sentinels = $RG_SENTINELS
redis_sentinel_master = $RG_SENTINEL_MASTER
report_min_replicas = ${FLEET_MIN_REPLICAS:-1}
report_streams = ${FLEET_REPORT_STREAMS:-1}"
	FR() { redis-cli -p "$(rg_sentinel_master_port)" "$@"; }
	fleet_failover_planned() {
		_old=$(rg_sentinel_master_port)
		_new=$RG_REDIS_P1
		[ "$_old" = "$RG_REDIS_P1" ] && _new=$RG_REDIS_P2
		FLEET_PLANNED_AT=$(date +%s)
		redis-cli -p "$RG_SENTINEL_PORT" sentinel failover "$RG_SENTINEL_MASTER" >/dev/null &&
			rg_sentinel_wait_master "$_new"
	}
	# A Sentinel does not fail one master name over again within twice
	# failover-timeout (10 s in lib_sentinel.sh): a crash sooner would wait.
	fleet_settle() {
		while [ "$(date +%s)" -lt $((FLEET_PLANNED_AT + 21)) ]; do sleep 1; done
	}
	fleet_failover_crash() {
		FLEET_KILLED=$(rg_sentinel_master_port)
		_new=$RG_REDIS_P1
		[ "$FLEET_KILLED" = "$RG_REDIS_P1" ] && _new=$RG_REDIS_P2
		kill -9 "$(rg_redis_pid "$FLEET_KILLED")"
		rg_sentinel_wait_master "$_new" 600
	}
	fleet_heal() {
		rg_start_redis_node "$FLEET_KILLED" "$(rg_sentinel_master_port)"
	}
}
# FLEET_REDIS=cluster: a Redis Cluster of three masters with a replica each
# (tests/integration/cluster_lib.sh, cluster-node-timeout 2 s).  The keys
# FR reads are spread over the masters: FR is redis-cli -c (it follows
# MOVED) on any live node.  Both failovers hit the master holding the
# report stream's slot (rg:reports; its counts use the {rg:reports} tag).
fleet_redis_cluster() {
	. "$RG_TOP_SRCDIR/tests/integration/cluster_lib.sh"
	rg_start_redis_cluster 3 1
	FLEET_REDIS_CONF="redis_cluster_nodes = $RG_CLUSTER_NODES
report_min_replicas = ${FLEET_MIN_REPLICAS:-1}
report_streams = ${FLEET_REPORT_STREAMS:-1}"
	FR() {
		for _p in $RG_CLUSTER_PORTS; do
			kill -0 "$(rg_cluster_pid "$_p")" 2>/dev/null || continue
			redis-cli -c -p "$_p" "$@"
			return
		done
	}
	stream_master() { _m=$(rg_cluster_master_of rg:reports); echo "${_m##*:}"; }
	# wait_stream_master NOT TENTHS: until the stream's slot has a master
	# other than port NOT
	wait_stream_master() {
		for _ in $(seq 1 "$2"); do
			_m=$(stream_master)
			[ -n "$_m" ] && [ "$_m" != "$1" ] && return 0
			sleep 0.1
		done
		return 1
	}
	# CLUSTER FAILOVER (no FORCE): the master stops its clients until the
	# replica has every write, then the replica takes the slots.
	fleet_failover_planned() {
		_old=$(stream_master)
		_rep=$(rg_cluster_replica_of "$_old")
		[ -n "$_rep" ] || return 1
		[ "$(redis-cli -p "$_rep" cluster failover)" = OK ] || return 1
		wait_stream_master "$_old" 300 && [ "$(stream_master)" = "$_rep" ]
	}
	# Another failover of the same slot needs its new replica (the old
	# master) caught up: a replica with no link does not stand for election.
	fleet_settle() {
		rg_cluster_wait_ok || return 1
		for _ in $(seq 1 300); do
			_rep=$(rg_cluster_replica_of "$(stream_master)")
			[ -n "$_rep" ] && redis-cli -p "$_rep" info replication |
				grep -q '^master_link_status:up' && return 0
			sleep 0.1
		done
		return 1
	}
	fleet_failover_crash() {
		FLEET_KILLED=$(stream_master)
		_pid=$(rg_cluster_pid "$FLEET_KILLED")
		kill -9 "$_pid"
		wait "$_pid" 2>/dev/null	# no zombie: kill -0 tells the live nodes
		# node timeout (2 s), then the replica's election
		wait_stream_master "$FLEET_KILLED" 600 || return 1
		for _ in $(seq 1 300); do
			_bad=0
			for _p in $RG_CLUSTER_PORTS; do
				[ "$_p" = "$FLEET_KILLED" ] && continue
				redis-cli -p "$_p" cluster info | grep -q '^cluster_state:ok' || _bad=1
			done
			[ "$_bad" = 0 ] && return 0
			sleep 0.1
		done
		return 1
	}
	fleet_heal() {
		rg_cluster_start_node "$FLEET_KILLED"
		rg_wait_port "$FLEET_KILLED" tcp || rg_bail "cluster node $FLEET_KILLED did not start again"
		rg_cluster_wait_ok || rg_bail "the cluster is not ok after $FLEET_KILLED came back"
	}
}
FLEET_REDIS=${FLEET_REDIS:-sentinel}
case "$FLEET_REDIS" in
sentinel) fleet_redis_sentinel ;;
cluster) fleet_redis_cluster ;;
*) rg_bail "FLEET_REDIS=$FLEET_REDIS: no such Redis mode (sentinel, cluster)" ;;
esac

# --- DNS: two rbldnsd, the same data --------------------------------------------
alive() { printf ':127.0.0.2:Listed in split.bl\n192.0.2.0/24\n127.0.0.2\n' >"$1"; }
dead() { printf ':127.0.0.2:Listed in split.bl\n0.0.0.0/1\n128.0.0.0/1\n' >"$1"; }
for d in a b; do
	mkdir -p "$RUN/$d"
	printf ':127.0.0.2:Listed in fleet.bl\n198.18.0.0/15\n127.0.0.2\n' >"$RUN/$d/fleet.ip4set"
	alive "$RUN/$d/split.ip4set"
done
chmod 755 "$RUN/a" "$RUN/b"
chmod 644 "$RUN"/a/* "$RUN"/b/*
DNS_A=$(rg_free_port)
rg_start_rbldnsd_as dns-a "$DNS_A" fleet.bl:ip4set:a/fleet.ip4set split.bl:ip4set:a/split.ip4set
DNS_B=$(rg_free_port)
rg_start_rbldnsd_as dns-b "$DNS_B" fleet.bl:ip4set:b/fleet.ip4set split.bl:ip4set:b/split.ip4set
RBLDNSD_B=$RG_RBLDNSD_PID

# --- the sink and the owners: 198.18.N.0/24 belongs to abuseN@fleet.example ----
SINK_PORT=$(rg_free_port)
rg_start_sink
for n in $(seq 1 30); do printf '198.18.%d.0/24,Fleet net %d,abuse%d@fleet.example\n' "$n" "$n" "$n"; done >"$RUN/owners.csv"

# --- seven daemons ---------------------------------------------------------------
conf() {	# conf NAME DNS_PORT LINES: the configuration of one daemon
	cat >"$RUN/$1.conf" <<CONF
allow_root = yes
myhostname = $1.fleet.example
dns_servers = 127.0.0.1:$2
dnsbl_sites = fleet.bl, split.bl
dnsbl_timeout = ${TIMEOUT_MS}ms
dnsbl_probe_interval = 1s
$FLEET_REDIS_CONF
redis_timeout = 300ms
redis_prefix = rg:
report_enable = yes
report_spool = $RUN/spool-$1
stats_dir = $RUN/stats
log_level = info
owners_db = $RUN/owners.csv
notify_min_hits = 3
notify_window = 1d
notify_interval = 30d
notify_rate = 100000
notify_claim_idle = 2s
notify_from = rg-notices@fleet.example
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_transport = smtp:127.0.0.1:$SINK_PORT
notify_state_dir = $RUN/state-$1
$3
CONF
}
mkdir -p "$RUN/stats"
DOORS=""		# for fleet_load.py
for p in p1 p2 p3; do
	port=$(rg_free_port)
	dns=$DNS_A
	[ "$p" = p1 ] && dns=$DNS_B
	conf "$p" "$dns" "policy_listen = inet:$port@127.0.0.1
policy_allowed_clients = 127.0.0.1/32
policy_pidfile = $RUN/$p.pid
policy_workers = 1"
	eval "PORT_$p=$port"
	"$POLICYD" -f -c "$RUN/$p.conf" 2>"$RUN/$p.log" &
	rg_track $!
	DOORS="$DOORS policy:$port"
done
for m in m1 m2; do
	conf "$m" "$DNS_A" "milter_socket = unix:$RUN/$m.sock
milter_pidfile = $RUN/$m.pid"
	"$MILTER" -f -c "$RUN/$m.conf" 2>"$RUN/$m.log" &
	rg_track $!
	DOORS="$DOORS milter:$RUN/$m.sock:$LUA"
done
for n in n1 n2; do
	conf "$n" "$DNS_A" ""
	"$NOTIFY" -c "$RUN/$n.conf" --consumer "$n" 2>"$RUN/$n.log" &
	rg_track $!
done
for p in p1 p2 p3; do
	rg_wait_port "$(eval echo "\$PORT_$p")" || rg_bail "$p did not start: $(cat "$RUN/$p.log")"
done
for m in m1 m2; do
	rg_wait_file "$RUN/$m.pid" || rg_bail "$m did not start: $(cat "$RUN/$m.log")"
done
wait_log() {	# FILE PATTERN [TENTHS]: wait (default 30 s) for PATTERN in FILE
	for _ in $(seq 1 "${3:-300}"); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
# Until a zone's first probe round passes, its listings do not count.
ready=0
for d in p1 p2 p3 m1 m2; do
	for z in fleet.bl split.bl; do
		wait_log "$RUN/$d.log" "zone=$z state=in_service" || { ready=1; echo "# $d: $z not in service"; }
	done
done
rg_ok $ready "the five doors are up, both zones in service on each"
# The report streams, as relayguard-ctl queue names them; stream 0 is rg:reports.
STREAMS=$("$CTL" -c "$RUN/n1.conf" queue 2>&1 | awk '$1 == "queue" { print $2 }')
rg_is "$(printf '%s\n' "$STREAMS" | grep -c .) $(printf '%s\n' "$STREAMS" | head -1)" \
	"${FLEET_REPORT_STREAMS:-1} rg:reports" "ctl queue names ${FLEET_REPORT_STREAMS:-1} report stream(s), the first rg:reports"
# streams_sum CMD [ARG]: the first line of "FR CMD STREAM [ARG]", summed over the streams
streams_sum() {
	_t=0
	for _s in $STREAMS; do
		_v=$(FR "$1" "$_s" ${2:+"$2"} | head -1)
		_t=$((_t + ${_v:-0}))
	done
	echo "$_t"
}
streams_xrange() { for _s in $STREAMS; do FR xrange "$_s" - +; done; }

# --- one check through door NAME ----------------------------------------------------
N=0
check() {	# check DOOR ADDRESS: prints refused or pass (or what went wrong)
	N=$(cat "$RUN/n" 2>/dev/null || echo 0)
	N=$((N + 1))
	echo "$N" >"$RUN/n"	# every request its own instance (check runs in a subshell)
	case $1 in
	p*)
		_a=$($CLIENT ask "$(eval echo "\$PORT_$1")" protocol_state=RCPT protocol_name=ESMTP \
			helo_name=client.example sender=s@example.org recipient=r@example.net \
			client_address="$2" instance="c$N" | cut -d' ' -f1)
		case $_a in action=550) echo refused ;; action=DUNNO) echo pass ;; *) echo "$_a" ;; esac ;;
	m*)
		miltertest -s "$LUA" -D "SOCK=$RUN/$1.sock" -D "DIR=$RG_TOP_SRCDIR/tests/data/fleet" \
			-D "IP=$2" -D "QID=Q$N" 2>&1 | sed -n 's/^RESULT continue/pass/p; s/^RESULT //p; s/^FAIL: /fail: /p' ;;
	esac
}
ALL="p1 p2 p3 m1 m2"
# report_dedupe_window is the default (1d): one event per listed address
# across the fleet.  Every address below is checked at most once, but for
# the warm address and 192.0.2.5, asked at several doors.
EVENTS=0		# report events due so far
sink_count() { ls "$RUN/sink" | wc -l | tr -d ' '; }
sink_rcpts() { grep -h '^X-Rcpt-Args: ' "$RUN"/sink/* 2>/dev/null | sed 's/^X-Rcpt-Args: <\(.*\)>.*/\1/' | LC_ALL=C sort; }
nets_told() { seq "$1" "$2" | sed 's/.*/abuse&@fleet.example/' | LC_ALL=C sort; }
# stream_dups: event ids found more than once on the stream (a diagnosis)
stream_dups() { streams_xrange | grep -A1 '^id$' | grep -v '^id$\|^--$' | sort | uniq -d; }

# --- 1. listed clients over all five doors: one notice per network -----------------
bad=""
for net in $(seq 1 10); do
	for k in 0 1 2 3 4; do
		set -- $ALL
		shift $(( (net + k) % 5 ))
		door=$1
		r=$(check "$door" "198.18.$net.$((k + 1))")
		[ "$r" = refused ] || bad="$bad $door:198.18.$net.$((k + 1))=$r"
		EVENTS=$((EVENTS + 1))
	done
done
rg_is "${bad:-none}" none "50 listed clients of 10 networks, each network's five at five doors: all refused"
for _ in $(seq 1 600); do [ "$(sink_count)" -ge 10 ] && break; sleep 0.1; done
sleep 3		# a second notice, if there were one, would come now
rg_is "$(sink_rcpts | tr '\n' ' ')" "$(nets_told 1 10 | tr '\n' ' ')" \
	"exactly one notice per network at the sink, each to its network's abuse contact"
s1=$(grep -c 'notice rg-[0-9a-f]* sent' "$RUN/n1.log")
s2=$(grep -c 'notice rg-[0-9a-f]* sent' "$RUN/n2.log")
echo "# fleet: notices sent by n1: $s1, by n2: $s2"
rg_is "$((s1 + s2))" 10 "the two notifiers sent ten notices between them"
rg_is "$(FR xinfo consumers rg:reports notify | grep -A1 '^name$' | grep -c '^n[12]$')" 2 \
	"both notifiers are members of the one consumer group"

# --- 2. a warm address: no DNS query anywhere in the fleet --------------------------
W=198.18.250.7
queries() { cat "$RUN/dns-a.log" "$RUN/dns-b.log" | grep -c '7\.250\.18\.198\.'; }
rg_is "$(queries)" 0 "$W: never asked before"
rg_is "$(check p2 $W)" refused "$W refused by p2 (a cold check)"
EVENTS=$((EVENTS + 1))
cached=1
for _ in $(seq 1 100); do
	[ "$(FR exists "rg:v2:c:{$W}:fleet.bl" "rg:v2:c:{$W}:split.bl")" = 2 ] && { cached=0; break; }
	sleep 0.1
done
rg_ok $cached "both of its answers are cached in Redis"
cold=$(queries)
rg_ok "$([ "$cold" -gt 0 ]; echo $?)" "the cold check asked DNS ($cold queries: the counting works)"
bad=""
for d in p1 p3 m1 m2 p2; do
	r=$(check "$d" $W)
	[ "$r" = refused ] || bad="$bad $d=$r"
done
rg_is "${bad:-none}" none "$W refused at the four other doors, and at p2 again"
rg_is "$(queries)" "$cold" "no DNS query for the warm address anywhere in the fleet (both resolvers counted)"

# --- checks/s across the fleet (warm, three policyd at once) -------------------------
if [ -x "$LOAD" ]; then
	seq 1 200 | sed 's/.*/192.0.3.&/' >"$RUN/warm.addrs"	# unlisted; warmed by the first second
	secs=${FLEET_BENCH_SECONDS:-3}
	for p in p1 p2 p3; do
		"$LOAD" -p "$(eval echo "\$PORT_$p")" -c 16 -d "$secs" -w 1 -f "$RUN/warm.addrs" >"$RUN/load-$p.out" 2>&1 &
		eval "LOADPID_$p=$!"
	done
	for p in p1 p2 p3; do wait "$(eval echo "\$LOADPID_$p")"; done
	total=$(cat "$RUN"/load-p*.out | sed -n 's/.* rps=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	echo "# fleet: warm policy checks across p1+p2+p3, 16 connections each, ${secs} s: $total checks/s"
	sed 's/^/#   /' "$RUN"/load-p*.out
	errs=$(cat "$RUN"/load-p*.out | grep -c 'errors=[1-9]')
	rg_is "$errs" 0 "under load every policy request of the three policyd was answered"
fi

# --- 3. failovers under load ------------------------------------------------------------
# phase NAME FIRST ACTION: load through the five doors (a check every 50 ms
# each) for 3 s, ACTION, 3 s more; then the load stops.
phase() {
	rm -f "$RUN/stop"
	$PY "$RG_TOP_SRCDIR/tests/integration/fleet_load.py" "$RUN/load-$1.txt" "$RUN/stop" 50 "$2" $DOORS &
	_lp=$!
	rg_track $_lp
	sleep 3
	_t0=$(date +%s%N)
	$3
	_rc=$?
	echo "# fleet: $1 done in $(( ($(date +%s%N) - _t0) / 1000000 )) ms"
	sleep 3
	touch "$RUN/stop"
	wait $_lp
	return $_rc
}
# check_load NAME: every check answered (refused) within dnsbl_timeout
check_load() {
	_f="$RUN/load-$1.txt"
	_n=$(wc -l <"$_f")
	_bad=$(awk '$4 != "refused"' "$_f" | head -5)
	rg_is "${_bad:-none}" none "$1: all $_n checks through the five doors answered, every one refused"
	# A policy check is timed from connect to reply.  A milter check is one
	# miltertest run, whose own start-up takes up to seconds on a loaded
	# machine: its bound has MT_SLACK_MS more.
	_max=$(awk 'BEGIN { m = 0 } /^policy:/ && $3 > m { m = $3 } END { printf "%d", m }' "$_f")
	rg_ok "$([ "$_max" -lt "$TIMEOUT_MS" ]; echo $?)" \
		"$1: the slowest policy check took $_max ms (dnsbl_timeout: $TIMEOUT_MS ms)"
	_max=$(awk 'BEGIN { m = 0 } /^milter:/ && $3 > m { m = $3 } END { printf "%d", m }' "$_f")
	rg_ok "$([ "$_max" -lt $((TIMEOUT_MS + MT_SLACK_MS)) ]; echo $?)" \
		"$1: the slowest milter check took $_max ms, miltertest's start-up included (bound: $((TIMEOUT_MS + MT_SLACK_MS)) ms)"
	_ph=$1
	set -- $DOORS		# in the order of $ALL
	for _name in $ALL; do
		awk -v d="$1" -v n="$_name" -v ph="$_ph" '$1 == d { c++; if ($3 > m) m = $3 }
			END { printf "# fleet: %s: %s: %d checks, slowest %d ms\n", ph, n, c, m }' "$_f"
		shift
	done
	EVENTS=$((EVENTS + $(awk '$4 == "refused" { print $5 }' "$_f" | sort -u | wc -l)))
}
# wait_events: the stream holds every event made so far (replayed from spools)
wait_events() {
	for _ in $(seq 1 300); do
		[ "$(streams_sum xlen)" = "$EVENTS" ] && return 0
		sleep 0.1
	done
	return 1
}

phase planned 0 fleet_failover_planned
rg_ok $? "planned failover done"
check_load planned
wait_events
rg_is "$(streams_sum xlen)" "$EVENTS" "no report event lost in the planned failover: the new master has all $EVENTS"
echo "# events on the stream more than once: $(stream_dups | wc -l) $(stream_dups | head -3 | tr '\n' ' ')"
fleet_settle
phase crash 450 fleet_failover_crash
rg_ok $? "the master killed, another one serves"
check_load crash
fleet_heal
wait_events
rg_is "$(streams_sum xlen)" "$EVENTS" "and none lost when the master was killed (report_min_replicas = ${FLEET_MIN_REPLICAS:-1})"

# Every event counted once, and every network told once.
counted() {
	for _s in $STREAMS; do FR zrange "rg:{$_s}:v3:nets:$(( $(date +%s) / 86400 ))" 0 -1 withscores; done |
		awk 'NR % 2 == 0 { s += $1 } END { print s + 0 }'
}
for _ in $(seq 1 600); do [ "$(counted)" = "$EVENTS" ] && break; sleep 0.1; done
rg_is "$(counted)" "$EVENTS" "the notifiers counted every event once, across both failovers"
rg_is "$(streams_sum xpending notify)" 0 "no event left pending"
filled=0
for _s in $STREAMS; do [ "$(FR xlen "$_s")" -gt 0 ] && filled=$((filled + 1)); done
rg_is "$filled" "${FLEET_REPORT_STREAMS:-1}" "every report stream got events"
rg_is "$(streams_xrange | grep -A1 '^host$' | grep -v '^host$\|^--$' | sort -u | tr '\n' ' ')" \
	"m1.fleet.example m2.fleet.example p1.fleet.example p2.fleet.example p3.fleet.example " \
	"the events came from all five doors"
for _ in $(seq 1 300); do [ "$(sink_count)" -ge 30 ] && break; sleep 0.1; done
sleep 3
rg_is "$(sink_rcpts | tr '\n' ' ')" "$(nets_told 1 30 | tr '\n' ' ')" \
	"after both failovers: still exactly one notice per network (30 networks), none twice"
rg_is "$(sink_rcpts | uniq -d | wc -l)" 0 "no duplicate notice"
grep -h 'reconnected' "$RUN/n1.log" "$RUN/n2.log" | sed 's/^/# /' | head -4

# --- 4. zone health: dead for one, suspended for all ----------------------------------
bad=""
for d in $ALL; do r=$(check "$d" 192.0.2.5); [ "$r" = refused ] || bad="$bad $d=$r"; done
rg_is "${bad:-none}" none "split.bl alive: 192.0.2.5 refused at every door"
dead "$RUN/b/split.ip4set"
kill -HUP "$RBLDNSD_B"
wait_log "$RUN/p1.log" 'zone=split.bl state=suspended was=in_service reason="1\.0\.0\.127\.split\.bl listed'
rg_ok $? "p1: its own probes (rbldnsd B) suspend split.bl"
bad=""
for d in p2 p3 m1 m2; do
	wait_log "$RUN/$d.log" "zone=split.bl state=suspended was=in_service reason=\"shared from Redis by host p1.fleet.example" ||
		bad="$bad $d"
done
rg_is "${bad:-none}" none "p2, p3, m1, m2 (rbldnsd A: alive) suspend it by p1's verdict shared through Redis"
bad=""
for d in $ALL; do r=$(check "$d" 192.0.2.5); [ "$r" = pass ] || bad="$bad $d=$r"; done
rg_is "${bad:-none}" none "192.0.2.5 (listed only in split.bl) passes at all five doors"
bad=""
for d in $ALL; do r=$(check "$d" 198.18.9.9); [ "$r" = refused ] || bad="$bad $d=$r"; done
rg_is "${bad:-none}" none "fleet.bl still counts at all five doors"
alive "$RUN/b/split.ip4set"
kill -HUP "$RBLDNSD_B"
bad=""
for d in $ALL; do wait_log "$RUN/$d.log" 'zone=split.bl state=in_service was=suspended' || bad="$bad $d"; done
rg_is "${bad:-none}" none "healed where p1 looks: back in service at every door"

! grep -l 'Sanitizer\|runtime error' "$RUN"/p?.log "$RUN"/m?.log "$RUN"/n?.log
rg_ok $? "no daemon logged a sanitizer report"
rg_done
