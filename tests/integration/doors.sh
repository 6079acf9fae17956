#!/bin/sh
# doors.sh - the door contract: for each action (reject, tempfail, tag,
# quarantine, log) and each door (relayguard-policyd over the policy
# protocol, relayguard-milter through miltertest), the exact reply, the
# exact header and the exact log line, from one configuration whose
# templates use every field.  Then the SPF x authenticated-sender x door
# matrix.  Real rbldnsd zones (tests/data/engine, tests/data/spf).  TAP.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd miltertest
[ -n "$PY" ] || rg_require python3
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
[ -x "$POLICYD" ] || rg_bail "$POLICYD not built"
[ -x "$MILTER" ] || rg_bail "$MILTER not built"
D="$RG_TOP_SRCDIR/tests/data/doors"

cp "$RG_TOP_SRCDIR"/tests/data/engine/* "$RG_TOP_SRCDIR"/tests/data/spf/spf.test.generic "$RUN/"
chmod 644 "${RUN:?}"/*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" bl1.test:ip4set:bl1.ip4set bl1.test:generic:common.generic \
	bl2.test:ip4set:bl2.ip4set spf.test:generic:spf.test.generic

# Every field of the templates, so that a field a door leaves empty shows.
FIELDS="{client}|{helo}|{sender}|{sender_domain}|{list}|{lists}|{score}|{code}|{txt}|{action}|{host}|{queue_id}"
# start_doors NAME [EXTRA LINES...]: both daemons on one configuration;
# sets PORT (policy) and SOCK (milter); logs in $RUN/NAME-{policyd,milter}.log
start_doors() {
	_name=$1; shift
	PORT=$(rg_free_port)
	SOCK="$RUN/$_name.sock"
	{
		echo "dns_servers = 127.0.0.1:$DNS_PORT"
		echo "dnsbl_sites = bl1.test*2, bl2.test*1"
		echo "dnsbl_threshold = 2"
		echo "dnsbl_timeout = 3s"
		echo "dnsbl_probe_interval = 0"
		echo "cache_size = 0"
		echo "myhostname = mx.example"
		echo "reject_message = R $FIELDS"
		echo "tempfail_message = T $FIELDS"
		echo "quarantine_reason = Q $FIELDS"
		echo "allow_root = yes"
		echo "report_enable = no"
		echo "report_spool = $RUN/spool"
		echo "stats_dir = $RUN/stats"
		echo "stats_history_dir = $RUN/history"
		echo "log_level = info"
		echo "policy_listen = inet:$PORT@127.0.0.1"
		echo "policy_pidfile = $RUN/$_name-policyd.pid"
		echo "policy_workers = 1"
		echo "milter_socket = unix:$SOCK"
		echo "milter_pidfile = $RUN/$_name-milter.pid"
		for _l in "$@"; do echo "$_l"; done
	} >"$RUN/$_name.conf"
	"$POLICYD" -f -c "$RUN/$_name.conf" 2>"$RUN/$_name-policyd.log" &
	POLICYD_PID=$!
	rg_track "$POLICYD_PID"
	"$MILTER" -f -c "$RUN/$_name.conf" 2>"$RUN/$_name-milter.log" &
	MILTER_PID=$!
	rg_track "$MILTER_PID"
	rg_wait_port "$PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/$_name-policyd.log")"
	for _ in $(seq 1 300); do [ -S "$SOCK" ] && break; sleep 0.1; done
	[ -S "$SOCK" ] || rg_bail "relayguard-milter did not start: $(cat "$RUN/$_name-milter.log")"
}
stop_doors() {
	kill "$POLICYD_PID" "$MILTER_PID" 2>/dev/null
	wait "$POLICYD_PID" "$MILTER_PID" 2>/dev/null
}

# The decision line of a queue id in a log, the timings made N.
log_line() {
	grep -- "queue_id=$2 " "$1" | tail -1 | sed -e 's/^.*\(policy:\)/\1/' -e 's/^.*\(stage=\)/\1/' \
		-e 's/ ms=[0-9]*/ ms=N/' -e 's/ time_us=[0-9]*/ time_us=N/'
}

# 192.0.2.6: bl1.test (127.0.0.3, weight 2) and bl2.test (127.0.0.2, weight 1)
IP=192.0.2.6
TXT="Open proxy 192.0.2.6 listed in bl1"
LISTS="bl1.test=127.0.0.3,bl2.test=127.0.0.2"
# values ACTION QID: every field rendered
values() { echo "$IP|client.example|s@example.org|example.org|bl1.test|bl1.test,bl2.test|3|127.0.0.3|$TXT|$1|mx.example|$2"; }
HDR="listed action=ACTION score=3 lists=bl1.test,bl2.test host=mx.example"
ENGINE="client=$IP helo=client.example queue_id=QID verdict=ACTION score=3 lists=$LISTS cache=lookup ms=N"

# The table, one row per action:
#   action | policy action= line | milter refuses at RCPT (yes/no) | milter header |
#   milter quarantine reason | milter log line head | the reply= both log lines end with
# VALUES (every field rendered), ACTION and QID are filled per row and door.
# The policy door has one action per reply: its quarantine is HOLD alone (no
# header), its tag the PREPEND; the milter adds the header for tag and
# quarantine and quarantines with the same rendered reason.
while IFS='|' read -r action policy refused mheader mreason mstage mreply; do
	[ -n "$action" ] || continue
	start_doors "$action" "dnsbl_action = $action"
	sub() { printf '%s' "$1" | sed -e "s/VALUES/$(values "$action" "$2")/g" -e "s/ACTION/$action/g" -e "s/QID/$2/g"; }
	# the policy door: the reply it sent is logged as the action= value
	q="P$action"
	got=$($CLIENT ask "$PORT" protocol_state=RCPT protocol_name=ESMTP client_address=$IP \
		helo_name=client.example sender=s@example.org recipient=r@example.net queue_id=$q instance=$q)
	rg_is "$got" "$(sub "$policy" $q)" "$action, policy: the exact action= line"
	rg_is "$(log_line "$RUN/$action-policyd.log" $q)" \
		"$(sub "policy: $ENGINE state=RCPT instance=$q reply=\"${policy#action=}\" time_us=N" $q)" \
		"$action, policy: the exact log line"
	# the milter door
	q="M$action"
	miltertest -s "$D/door.lua" -D "SOCK=$SOCK" -D "DIR=$D" -D "IP=$IP" -D "QID=$q" \
		-D "REFUSED=$refused" -D "HEADER=$(sub "$mheader" $q)" -D "REASON=$(sub "$mreason" $q)" \
		>"$RUN/mt.out" 2>&1
	_rc=$?
	rg_ok $_rc "$action, milter: the exact reply, header and quarantine reason"
	[ $_rc -eq 0 ] || sed 's/^/# /' "$RUN/mt.out"
	rg_is "$(log_line "$RUN/$action-milter.log" $q)" "$(sub "$mstage $ENGINE${mreply:+ reply=\"$mreply\"}" $q)" \
		"$action, milter: the exact log line"
	stop_doors
done <<'TABLE'
reject|action=550 5.7.1 R VALUES|yes|||stage=rcpt milter=reject|550 5.7.1 R VALUES
tempfail|action=DEFER_IF_PERMIT 4.7.1 T VALUES|yes|||stage=rcpt milter=tempfail|450 4.7.1 T VALUES
tag|action=PREPEND X-Relayguard: listed action=tag score=3 lists=bl1.test,bl2.test host=mx.example|no|listed action=tag score=3 lists=bl1.test,bl2.test host=mx.example||stage=eom milter=tag|
quarantine|action=HOLD Q VALUES|no|listed action=quarantine score=3 lists=bl1.test,bl2.test host=mx.example|Q VALUES|stage=eom milter=quarantine|
log|action=WARN listed action=log score=3 lists=bl1.test,bl2.test host=mx.example|no|||stage=eom milter=log|
TABLE

# ---- SPF x authenticated sender x door --------------------------------------
# 192.0.2.77 is listed nowhere; u@fail.spf.test has "v=spf1 -all".  The
# engine decides whether SPF applies (never for an authenticated sender,
# whatever skip_authenticated says), and both doors send the same reply.
SPF_REPLY="550 5.7.1 SPF: fail.spf.test does not designate 192.0.2.77 as a permitted sender"
MD="$RG_TOP_SRCDIR/tests/data/milter"
# spf_case NAME STAGE SKIP_AUTH AUTH WANT: WANT is reject or accept
spf_case() {
	_n=$1; _stage=$2; _skip=$3; _auth=$4; _want=$5
	_what="skip_authenticated = $_skip, not authenticated"
	[ -z "$_auth" ] || _what="skip_authenticated = $_skip, authenticated as $_auth"
	start_doors "$_n" "spf = reject" "skip_authenticated = $_skip" "milter_reject_stage = $_stage"
	got=$($CLIENT ask "$PORT" protocol_state=RCPT protocol_name=ESMTP client_address=192.0.2.77 \
		helo_name=client.example sender=u@fail.spf.test recipient=r@example.net instance=$_n \
		${_auth:+sasl_username=$_auth})
	if [ "$_want" = reject ]; then want="action=$SPF_REPLY"; else want="action=DUNNO"; fi
	rg_is "$got" "$want" "SPF, policy, $_what: $_want"
	miltertest -s "$MD/spf.lua" -D "SOCK=$SOCK" -D "DIR=$MD" -D SENDER=u@fail.spf.test \
		-D "WANT=$_want" ${_auth:+-D AUTH=$_auth} >"$RUN/mt.out" 2>&1
	_rc=$?
	rg_ok $_rc "SPF, milter (stage $_stage), $_what: $_want"
	[ $_rc -eq 0 ] || sed 's/^/# /' "$RUN/mt.out"
	if [ "$_want" = reject ]; then
		rg_like "$(grep 'milter=spf-reject' "$RUN/$_n-milter.log" | tail -1)" " reply=\"$SPF_REPLY\"\$" \
			"SPF, milter, $_what: the same reply text as the policy server"
	fi
	stop_doors
}
spf_case spf1 rcpt yes "" reject
spf_case spf2 rcpt yes alice accept
spf_case spf3 rcpt no "" reject
spf_case spf4 rcpt no alice accept
spf_case spf5 connect no alice accept
spf_case spf6 connect no "" reject

rg_done
