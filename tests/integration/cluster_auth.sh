#!/bin/sh
# cluster_auth.sh - relayguard on a Redis Cluster whose nodes have a password,
# as a platform team's cluster has (issue 16): three masters with a replica
# each, every node with requirepass and masterauth (cluster_lib.sh).
#  - policyd with redis_cluster_nodes and redis_password caches on the
#    master of each answer's slot, and its report events reach the stream;
#  - relayguard-notify reads the stream and sends the notice;
#    relayguard-ctl import and queue work;
#  - after a CLUSTER FAILOVER of the stream's master, events go on to the
#    new master (its connection authenticated too), none lost;
#  - a wrong password is one error per client (not one per node or per
#    retry) that never shows the password, and checks go on from DNS.
# With CLUSTER_AUTH_ACL=yes (cluster_acl.sh) the nodes have Redis 6 ACL
# users instead, their default users off, and relayguard runs as the
# least-privilege user of doc/fleet.md (redis_username), which no node's
# ACL LOG records a denial for; report_min_replicas = 1 adds WAIT.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for b in "$POLICYD" "$NOTIFY" "$CTL"; do [ -x "$b" ] || rg_bail "$b not built"; done

rg_start_listing_zone auth.bl 198.51.0.0/16

PW="cl-pw-$$"
RG_CLUSTER_REQUIREPASS=$PW
RG_USER=""
if [ "${CLUSTER_AUTH_ACL:-no}" = yes ]; then
	RG_CLUSTER_USER=cl-admin
	RG_USER=relayguard
fi
. "$RG_TOP_SRCDIR/tests/integration/cluster_lib.sh"
rg_start_redis_cluster 3 1
FIRST=${RG_CLUSTER_PORTS%% *}
rg_is "$(redis-cli -p "$FIRST" get x 2>&1 | cut -c1-6)" NOAUTH "the nodes refuse a client without the password"
acl_denials() {	# entries in every node's ACL LOG
	_n=0
	for _p in $RG_CLUSTER_PORTS; do _n=$((_n + $(rg_cluster_cli -p "$_p" acl log | grep -c .))); done
	echo "$_n"
}
if [ -n "$RG_USER" ]; then
	for p in $RG_CLUSTER_PORTS; do
		rg_cluster_cli -p "$p" acl setuser "$RG_USER" on ">$PW" "~ca:*" "+@all" "-@dangerous" "+role" >/dev/null
		rg_cluster_cli -p "$p" acl log reset >/dev/null
	done
fi
# C ARGS...: redis-cli -c (follows MOVED) with the password
C() { rg_cluster_cli -c -p "$FIRST" "$@"; }
printf '198.51.0.0/16,Auth Net,abuse@auth.example\n' >"$RUN/owners.csv"

conf() {	# conf FILE PASSWORD [LINES]
	cat >"$1" <<CONF
allow_root = yes
myhostname = mx.auth.example
dns_servers = 127.0.0.1:$DNS
dnsbl_sites = auth.bl
dnsbl_timeout = 2s
redis_cluster_nodes = $RG_CLUSTER_NODES
redis_username = $RG_USER
redis_password = $2
${RG_USER:+report_min_replicas = 1}
redis_timeout = 300ms
redis_prefix = ca:
report_enable = yes
report_spool = $RUN/spool-$(basename "$1" .conf)
log_level = info
$(rg_notify_lines auth.example)
${3:-}
CONF
}
PP=$(rg_free_port)
conf "$RUN/p.conf" "$PW" "$(rg_policyd_lines p "$PP")"
rg_start_policyd p "$PP"

RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
EVENTS=0
ask() {	# ask PORT ADDR: the action word
	$CLIENT ask "$1" $RCPT client_address="$2" instance="i-$2" | cut -d' ' -f1
}
# asks ADDR...: check each at policyd (PP); every answer must be a refusal
asks() {
	_bad=""
	for _a in "$@"; do
		_r=$(ask "$PP" "$_a")
		[ "$_r" = action=550 ] || _bad="$_bad $_a=$_r"
		EVENTS=$((EVENTS + 1))
	done
	echo "${_bad:-none}"
}
wait_xlen() {	# wait_xlen N: the stream holds N events (15 s)?
	for _ in $(seq 1 150); do [ "$(C xlen ca:reports)" = "$1" ] && return 0; sleep 0.1; done
	return 1
}

for _ in $(seq 1 50); do grep -q "connected" "$RUN/p.log" && break; sleep 0.1; done
addrs=""
for i in $(seq 1 12); do addrs="$addrs 198.51.$i.1"; done
# shellcheck disable=SC2086
r=$(asks $addrs)
EVENTS=12	# asks ran in a subshell
rg_is "$r" none "twelve listed clients refused"
masters=""
for i in $(seq 1 12); do
	for _ in $(seq 1 50); do [ "$(C exists "ca:v2:c:{198.51.$i.1}:auth.bl")" = 1 ] && break; sleep 0.1; done
	[ "$(C exists "ca:v2:c:{198.51.$i.1}:auth.bl")" = 1 ] && masters="$masters $(rg_cluster_master_of "ca:v2:c:{198.51.$i.1}:auth.bl")"
done
rg_is "$(printf '%s\n' $masters | grep -c .)" 12 "all twelve answers are cached"
rg_ok "$([ "$(printf '%s\n' $masters | sort -u | grep -c .)" -ge 2 ]; echo $?)" \
	"on more than one master, each connection authenticated ($(printf '%s\n' $masters | sort -u | tr '\n' ' '))"
wait_xlen "$EVENTS"
rg_is "$(C xlen ca:reports)" "$EVENTS" "the $EVENTS report events are on the stream"

rg_like "$("$CTL" -c "$RUN/p.conf" queue 2>&1)" "length +$EVENTS" "relayguard-ctl queue reads the stream"
printf '203.0.113.0/24\n' >"$RUN/l.txt"
"$CTL" -c "$RUN/p.conf" import auth-list "$RUN/l.txt" >"$RUN/import.out" 2>&1
rg_ok $? "relayguard-ctl import: $(head -c 200 "$RUN/import.out")"
"$NOTIFY" -c "$RUN/p.conf" --once --consumer a 2>"$RUN/notify.err"
rg_is "$?" 0 "relayguard-notify --once on the cluster, with the password"
rg_is "$(grep -l '^To: abuse@auth.example' "$RUN"/outbox/*.eml 2>/dev/null | wc -l)" 1 "one notice, to the network's abuse contact"

# CLUSTER FAILOVER of the stream's master: the new master's connection
# authenticates too, and no event is lost.
old=$(rg_cluster_master_of ca:reports)
old=${old##*:}
rep=$(rg_cluster_replica_of "$old")
rg_is "$(rg_cluster_cli -p "$rep" cluster failover)" OK "CLUSTER FAILOVER on the replica of the stream's master"
for _ in $(seq 1 300); do
	m=$(rg_cluster_master_of ca:reports)
	[ "${m##*:}" = "$rep" ] && break
	sleep 0.1
done
rg_is "${m##*:}" "$rep" "the replica serves the stream's slot now"
addrs=""
for i in $(seq 20 31); do addrs="$addrs 198.51.$i.1"; done
# shellcheck disable=SC2086
r=$(asks $addrs)
EVENTS=$((EVENTS + 12))
rg_is "$r" none "twelve more listed clients refused"
wait_xlen "$EVENTS"
rg_is "$(C xlen ca:reports)" "$EVENTS" "all $EVENTS events on the stream, on the new master"

if [ -n "$RG_USER" ]; then
	rg_is "$(acl_denials)" 0 "no node's ACL LOG records a denial for user $RG_USER"
	waits=0
	for p in $RG_CLUSTER_PORTS; do
		w=$(rg_cluster_cli -p "$p" info commandstats | sed -n 's/^cmdstat_wait:calls=\([0-9]*\),.*/\1/p')
		waits=$((waits + ${w:-0}))
	done
	rg_ok $((waits == 0)) "and the user's WAITs were run ($waits)"
fi

# A wrong password.
PB=$(rg_free_port)
conf "$RUN/pb.conf" wrong-cluster-pw "$(rg_policyd_lines pb "$PB")"
rg_start_policyd pb "$PB"
rg_is "$(ask "$PB" 198.51.200.1)" "action=550" "policyd with a wrong password still checks, from DNS"
sleep 3		# several reconnects
rg_is "$(grep -c 'error: .*AUTH refused' "$RUN/pb.log")" 2 \
	"the refusal is an error, once for each of the two clients (cache, reports), not once per node or per retry"
rg_like "$(grep -m1 'error:' "$RUN/pb.log")" "error: redis cluster:[0-9.:,]+: node 127.0.0.1:[0-9]+: AUTH refused \(WRONGPASS.*\); retrying with backoff" \
	"it names the cluster, a node and the refusal"
rg_ok "$(grep -c wrong-cluster-pw "$RUN/pb.log")" "without logging the password"
"$CTL" -c "$RUN/pb.conf" queue >"$RUN/pb-queue.out" 2>&1
rg_ok $((! $?)) "relayguard-ctl queue with a wrong password fails"
rg_like "$(cat "$RUN/pb-queue.out")" "no seed node of the Redis Cluster named a master for slot [0-9]+: 127.0.0.1:[0-9]+: AUTH refused; 127.0.0.1:[0-9]+: AUTH refused" "and says every seed refused the AUTH"
rg_ok "$(grep -c wrong-cluster-pw "$RUN/pb-queue.out")" "without showing the password"
rg_done
