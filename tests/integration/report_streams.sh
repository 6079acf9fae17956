#!/bin/sh
# report_streams.sh - report_streams = 3 on a real Redis Cluster (three
# masters with a replica each): the writer spreads events over three
# streams by client /24 (/48), which sit on three different masters; two
# notifiers at once read all three, and still send exactly one notice per
# owner network, whose hits are the events sent, also for a network whose
# /24s are spread over every stream and reach notify_min_hits only summed.
# With report_streams = 1 everything is as before: one stream, today's name.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
. "$RG_TOP_SRCDIR/tests/integration/cluster_lib.sh"
rg_require redis-server redis-cli python3

DRV="$RG_TOP_BUILDDIR/tests/integration/report_driver"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
rg_start_redis_cluster 3 1
P1=${RG_CLUSTER_PORTS%% *}
R() { redis-cli -c -p "$P1" "$@"; }

# Owners: NET-WIDE spans sixteen /24s, NET-SPREAD 256 /24s; NET-SMALL one.
cat >"$RUN/owners.db" <<'DB'
inetnum:        198.18.0.0 - 198.18.15.255
netname:        NET-WIDE
country:        NL
abuse-mailbox:  abuse@wide.example
source:         TEST

inetnum:        198.19.0.0 - 198.19.255.255
netname:        NET-SPREAD
country:        DE
abuse-mailbox:  abuse@spread.example
source:         TEST

inetnum:        203.0.113.0 - 203.0.113.255
netname:        NET-SMALL
country:        FR
abuse-mailbox:  abuse@small.example
source:         TEST

inet6num:       2001:db8::/32
netname:        NET-SIX
country:        GB
abuse-mailbox:  abuse@six.example
source:         TEST
DB
conf() {	# conf FILE PREFIX STREAMS
	cat >"$1" <<CONF
allow_root = yes
myhostname = mx1.test
redis_cluster_nodes = $RG_CLUSTER_NODES
redis_prefix = $2
report_streams = $3
report_spool = $RUN/spool-$2
report_dedupe_window = 0
owners_db = $RUN/owners.db
notify_min_hits = 10
notify_window = 1d
notify_interval = 30d
notify_template = $RG_TOP_SRCDIR/conf/notice.txt
notify_from = rg-reports@\$myhostname
notify_transport = outbox:$RUN/outbox-$2
notify_state_dir = $RUN/state-$2
notify_claim_idle = 1s
CONF
}
conf "$RUN/s3.conf" rs: 3
conf "$RUN/s1.conf" r1: 1

# The events: NET-WIDE 48 (three addresses in each of its /24s), NET-SPREAD
# 12 (one address in each of twelve /24s: about 4 per stream, under 10 in
# every stream), NET-SIX 12 (six /48s), NET-SMALL 5 (under the threshold).
addrs=""
for i in $(seq 0 15); do addrs="$addrs 198.18.$i.1 198.18.$i.2 198.18.$i.3"; done
for i in $(seq 0 11); do addrs="$addrs 198.19.$((i * 20)).7"; done
for i in $(seq 0 5); do addrs="$addrs 2001:db8:$i::1 2001:db8:$i::2"; done
addrs="$addrs 203.0.113.1 203.0.113.2 203.0.113.3 203.0.113.4 203.0.113.5"
# shellcheck disable=SC2086
out=$("$DRV" "$RUN/s3.conf" emit $addrs 2>"$RUN/drv.err")
rg_like "$out" "emitted=77 queued=77 .*dropped=0" "77 events queued on the cluster"

# The three streams, as relayguard-ctl queue names them, on three masters.
q=$("$CTL" -c "$RUN/s3.conf" queue 2>&1)
streams=$(printf '%s\n' "$q" | awk '$1 == "queue" { print $2 }')
rg_is "$(printf '%s\n' "$streams" | grep -c .)" 3 "ctl queue shows three streams"
rg_is "$(printf '%s\n' "$streams" | head -1)" "rs:reports" "stream 0 keeps today's name"
total=0 nonempty=0 masters=""
for s in $streams; do
	n=$(R XLEN "$s")
	total=$((total + n))
	[ "$n" -gt 0 ] && nonempty=$((nonempty + 1))
	masters="$masters $(rg_cluster_master_of "$s")"
done
rg_is "$total" 77 "the three streams hold the 77 events"
rg_is "$nonempty" 3 "every stream got events"
rg_is "$(printf '%s\n' $masters | sort -u | grep -c .)" 3 "the three streams sit on three different masters ($masters)"

# Two notifiers at once.
"$NOTIFY" -c "$RUN/s3.conf" --once --consumer a 2>"$RUN/notify-a.err" &
pa=$!
"$NOTIFY" -c "$RUN/s3.conf" --once --consumer b 2>"$RUN/notify-b.err" &
pb=$!
wait "$pa"; ra=$?
wait "$pb"; rb=$?
rg_is "$ra $rb" "0 0" "two notifiers ran at the same time"
# a last pass: anything one of them left pending is claimed after notify_claim_idle
sleep 1.5
"$NOTIFY" -c "$RUN/s3.conf" --once --consumer c 2>"$RUN/notify-c.err"
OUT="$RUN/outbox-rs:"
rg_is "$(ls "$OUT" | grep -c '\.eml$')" 3 "three notices: one per network over the threshold"
for to in abuse@wide.example abuse@spread.example abuse@six.example; do
	rg_is "$(grep -l "^To: $to" "$OUT"/*.eml | wc -l)" 1 "exactly one notice to $to"
done
rg_is "$(grep -l '^To: abuse@small.example' "$OUT"/*.eml | wc -l)" 0 "none for the network under the threshold"
pending=0
for s in $streams; do pending=$((pending + $(R XPENDING "$s" notify | head -1))); done
rg_is "$pending" 0 "every event of every stream acknowledged"

# Each notice was sent once its network's summed counts reached 10; the
# counts go on to the events sent (checked below and by ctl networks).
log=$(R LRANGE "rs:{rs:reports}:notices" 0 -1)
for pair in NET-WIDE:48 NET-SPREAD:12 NET-SIX:12; do
	h=$(printf '%s\n' "$log" | grep "\"netname\":\"${pair%%:*}\"" | sed 's/.*"hits":\([0-9]*\)}.*/\1/')
	rg_ok "$([ "${h:-0}" -ge 10 ] && [ "${h:-0}" -le "${pair#*:}" ] && echo 0 || echo 1)" \
		"the notice of ${pair%%:*} counts between 10 and ${pair#*:} hits (${h:-none})"
done
w=$(( $(date +%s) / 86400 ))
sum=0 max=0
for s in $streams; do
	v=$(R ZSCORE "rs:{$s}:v3:nets:$w" 198.19.0.0-198.19.255.255)
	v=${v:-0}
	sum=$((sum + v))
	[ "$v" -gt "$max" ] && max=$v
done
rg_is "$sum" 12 "NET-SPREAD's partial counts add up to its 12 events"
rg_ok "$([ "$max" -lt 10 ] && echo 0 || echo 1)" "no stream alone holds 10 of them (largest partial: $max)"
out=$("$CTL" -c "$RUN/s3.conf" networks 2>&1)
rg_like "$out" "198.18.0.0-198.18.15.255 +NET-WIDE +48  yes +abuse@wide.example" "ctl networks sums the streams"
rg_like "$out" "203.0.113.0-203.0.113.255 +NET-SMALL +5  no" "ctl networks: the network under the threshold"

for pair in 198.18.0.0-198.18.15.255:48 198.19.0.0-198.19.255.255:12 2001:db8::/32:12 203.0.113.0-203.0.113.255:5; do
	key=${pair%:*} sum=0
	for s in $streams; do v=$(R ZSCORE "rs:{$s}:v3:nets:$w" "$key"); sum=$((sum + ${v:-0})); done
	rg_is "$sum" "${pair##*:}" "$key: the partial counts of the three streams add up to the events sent"
done

# One notifier: the notices are sent once every stream was read, so each
# counts every event of its network, summed over the streams.
conf "$RUN/t3.conf" rt: 3
# shellcheck disable=SC2086
"$DRV" "$RUN/t3.conf" emit $addrs >/dev/null 2>&1
"$NOTIFY" -c "$RUN/t3.conf" --once --consumer a 2>"$RUN/notify-t.err"
log=$(R LRANGE "rt:{rt:reports}:notices" 0 -1)
for pair in NET-WIDE:48:48 NET-SPREAD:12:12 NET-SIX:12:12; do
	name=${pair%%:*} rest=${pair#*:}
	rg_like "$log" "\"netname\":\"$name\",[^}]*\"addresses\":${rest#*:},\"hits\":${rest%%:*}}" \
		"one notifier: the notice of $name counts its ${rest%%:*} hits from ${rest#*:} addresses"
done
rg_is "$(ls "$RUN/outbox-rt:" | grep -c '\.eml$')" 3 "and there are three notices"

# Told networks are not told again, whichever stream their new events take.
# shellcheck disable=SC2086
"$DRV" "$RUN/s3.conf" emit 198.18.0.1 198.18.7.1 198.18.12.1 198.19.200.7 >/dev/null 2>&1
"$NOTIFY" -c "$RUN/s3.conf" --once --consumer a 2>>"$RUN/notify-a.err"
rg_is "$(ls "$OUT" | grep -c '\.eml$')" 3 "no second notice for a told network"

# Changing report_streams while events wait in a stream the new number
# does not read: the notifier refuses, says why, and leaves them; once
# the old number has finished them, the change goes through.
rg_is "$(R GET "rs:{rs:reports}:streams")" 3 "the notifiers recorded report_streams = 3"
conf "$RUN/s2.conf" rs: 2
rg_like "$("$CTL" -c "$RUN/s3.conf" queue 2>&1)" "streams +3 here, 3 when the notifiers last started" \
	"ctl queue shows the recorded report_streams"
"$CTL" -c "$RUN/s2.conf" queue >"$RUN/queue-2.out" 2>"$RUN/queue-2.err"; rc=$?
rg_is "$rc" 0 "ctl queue with report_streams = 2 still lists the streams"
rg_like "$(cat "$RUN/queue-2.err")" "warning: report_streams is 2 here but the notifiers last read 3 streams" \
	"and warns that the notifiers last read 3 (check-config reads no Redis)"
# shellcheck disable=SC2086
"$DRV" "$RUN/s3.conf" emit $(for i in $(seq 0 15); do echo 198.18.$i.9; done) >/dev/null 2>&1
"$NOTIFY" -c "$RUN/s2.conf" --once --consumer a 2>"$RUN/notify-2.err"; rc=$?
rg_is "$rc" 1 "report_streams = 2 with events left in a stream of the 3: the notifier refuses to start"
rg_like "$(cat "$RUN/notify-2.err")" "report_streams is 2, but the notifiers last read 3 streams and rs:reports:[0-9.]+ still holds events not yet counted .*run the notifiers with report_streams = 3" \
	"and says which stream and what to do"
"$NOTIFY" -c "$RUN/s3.conf" --once --consumer a 2>>"$RUN/notify-a.err"
"$NOTIFY" -c "$RUN/s2.conf" --once --consumer a 2>"$RUN/notify-2.err"; rc=$?
rg_is "$rc" 0 "once they are read with 3, the notifier with 2 starts"
rg_like "$(cat "$RUN/notify-2.err")" "report_streams changed from 3 to 2" "and logs the change"
rg_is "$(R GET "rs:{rs:reports}:streams")" 2 "report_streams = 2 is recorded"
out=$("$CTL" -c "$RUN/s3.conf" networks 2>&1)
rg_like "$out" "198.18.0.0-198.18.15.255 +NET-WIDE +67  yes" "every event of NET-WIDE counted once (48 + 3 + 16)"

# report_streams = 1: one stream under today's name, as before.
# shellcheck disable=SC2086
"$DRV" "$RUN/s1.conf" emit $(for i in $(seq 0 11); do echo 198.19.$((i * 20)).7; done) >/dev/null 2>&1
rg_is "$(R XLEN r1:reports)" 12 "report_streams = 1: the twelve events on r1:reports"
found=$(for p in $RG_CLUSTER_PORTS; do redis-cli -p "$p" --scan --pattern 'r1:reports*'; done | sort -u | tr '\n' ' ')
rg_is "$found" "r1:reports " "and no other stream"
"$NOTIFY" -c "$RUN/s1.conf" --once --consumer a 2>"$RUN/notify-1.err"
rg_is "$(ls "$RUN/outbox-r1:" | grep -c '\.eml$')" 1 "one notice"
rg_like "$(R LRANGE "r1:{r1:reports}:notices" 0 -1)" '"hits":12}' "with its twelve hits"

rg_done
