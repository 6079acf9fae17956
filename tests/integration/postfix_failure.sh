#!/bin/sh
# postfix_failure.sh - what a real Postfix does when relayguard cannot answer.
#
# One private Postfix instance (main.cf.in), reconfigured with postconf -e and
# reloaded for each case:
#   - policyd stopped (connection refused) and a policy server that accepts
#     the connection but never answers (a socket bound and listening, never
#     read), each with default_action=DUNNO (mail accepted) and with
#     default_action=451 4.3.5 (every RCPT tempfailed), the latter within the
#     configured timeout x try_limit;
#   - the milter stopped and a silent milter, with milter_default_action =
#     accept (mail accepted) and tempfail (451).
# This is the documented choice in relayguard-policyd(8) and
# relayguard-milter(8): DUNNO/accept prefers delivery, 451/tempfail safety.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd postfix postconf swaks smtp-sink
if [ "$(id -u)" != 0 ]; then
	[ -n "${CI:-}" ] && rg_bail "Postfix needs root (CI runs as root)"
	rg_skip_all "Postfix needs root"
fi
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
[ -x "$POLICYD" ] || rg_bail "$POLICYD not built"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

cp "$RG_TOP_SRCDIR"/tests/data/rbldnsd/test.bl.* "$RUN/"
chmod 644 "${RUN:?}"/test.bl.*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set
POLICY_PORT=$(rg_free_port)
MILTER_PORT=$(rg_free_port)
SILENT_PORT=$(rg_free_port)
SMTP_PORT=$(rg_free_port)
SINK_PORT=$(rg_free_port)

cat >"$RUN/rg.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = test.bl
dnsbl_timeout = 3s
dnsbl_probe_interval = 0
dnsbl_action = reject
cache_size = 0
report_enable = no
report_spool = $RUN/spool
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
policy_listen = inet:$POLICY_PORT@127.0.0.1
policy_pidfile = $RUN/policyd.pid
policy_workers = 1
milter_socket = inet:$MILTER_PORT@127.0.0.1
milter_pidfile = $RUN/milter.pid
myhostname = mx.example
CONF
"$POLICYD" -f -c "$RUN/rg.conf" 2>"$RUN/policyd.log" &
POLICYD_PID=$!
rg_track "$POLICYD_PID"
rg_wait_port "$POLICY_PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"

# A server that accepts connections (the kernel completes the handshake from
# the listen backlog) and never reads or answers: a hung or overloaded peer.
"$PY" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128)
while True: time.sleep(3600)
' "$SILENT_PORT" &
rg_track $!
rg_wait_port "$SILENT_PORT" || rg_bail "the silent server did not start"

rg_start_sink
rg_start_postfix main.cf.in
PC="postconf -c $BASE/etc"

# configure "main.cf lines"...: apply with postconf -e and reload Postfix
# (smtpd processes restart, so no cached policy/milter connection survives).
configure() {
	$PC -e "$@" || rg_bail "postconf -e $*"
	"$POSTFIX" -c "$BASE/etc" reload >/dev/null 2>&1 || rg_bail "postfix reload"
	sleep 2
	rg_wait_port "$SMTP_PORT" || rg_bail "Postfix did not listen after reload"
}
# policy PORT DEFAULT_ACTION: the policy check with the main.cf parameters
# documented in relayguard-policyd(8): a 3 s timeout, one try.
policy() {
	configure "smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:$1 permit_mynetworks reject_unauth_destination" \
		"smtpd_policy_service_default_action = $2" "smtpd_policy_service_timeout = 3s" \
		"smtpd_policy_service_try_limit = 1" "smtpd_milters ="
}
# send ADDR [swaks args...]: prints swaks' exit status; transcript in
# $RUN/swaks.out, elapsed seconds in $RUN/elapsed.
send() {
	_addr=$1; shift
	_t0=$(date +%s)
	swaks --server 127.0.0.1 --port "$SMTP_PORT" --helo client.example --from s@example.org \
		--to r@example.net --xclient "ADDR=$_addr NAME=client.example" --timeout 60 "$@" \
		>"$RUN/swaks.out" 2>&1
	_rc=$?
	echo $(($(date +%s) - _t0)) >"$RUN/elapsed"
	echo $_rc
}
# in_bounds LO HI: the last send took at least LO and at most HI seconds
in_bounds() { _e=$(cat "$RUN/elapsed"); [ "$_e" -ge "$1" ] && [ "$_e" -le "$2" ]; echo $?; }

# Baseline: policyd up, a listed client is refused.
policy "$POLICY_PORT" DUNNO
rg_is "$(send 192.0.2.5)" 24 "policyd up: listed client rejected (swaks exit 24)"

# --- policyd stopped --------------------------------------------------------
rg_stop "$POLICYD_PID"
policy "$POLICY_PORT" DUNNO
rg_is "$(send 192.0.2.5)" 0 "policyd stopped, default_action=DUNNO: listed client's mail accepted unchecked"
grep -q 'problem talking to server 127.0.0.1:'"$POLICY_PORT" "$BASE/maillog"
rg_ok $? "policyd stopped: Postfix logs 'problem talking to server'"
policy "$POLICY_PORT" "451 4.3.5 Policy service unavailable"
rg_is "$(send 192.0.2.77)" 24 "policyd stopped, default_action=451: every RCPT refused (swaks exit 24)"
grep -q '451 4.3.5 <r@example.net>: Recipient address rejected: Policy service unavailable' "$RUN/swaks.out"
rg_ok $? "policyd stopped, default_action=451: the client sees 451 4.3.5 (a temporary failure)"
rg_ok "$(in_bounds 0 60)" "policyd stopped: the tempfail comes at once ($(cat "$RUN/elapsed") s)"

# --- a policy server that never answers ------------------------------------
policy "$SILENT_PORT" DUNNO
rg_is "$(send 192.0.2.5)" 0 "silent policy server, default_action=DUNNO: mail accepted"
rg_ok "$(in_bounds 3 60)" "silent policy server, DUNNO: after the 3 s timeout, not forever ($(cat "$RUN/elapsed") s)"
policy "$SILENT_PORT" "451 4.3.5 Policy service unavailable"
rg_is "$(send 192.0.2.77)" 24 "silent policy server, default_action=451: every RCPT refused"
grep -q '451 4.3.5 <r@example.net>: Recipient address rejected: Policy service unavailable' "$RUN/swaks.out"
rg_ok $? "silent policy server, default_action=451: 451 4.3.5"
rg_ok "$(in_bounds 3 60)" "silent policy server, 451: after the 3 s timeout, not forever ($(cat "$RUN/elapsed") s)"

# --- the milter -------------------------------------------------------------
# milter ADDR_PORT ACTION: the milter only (no policy check), 3 s timeouts
milter() {
	configure "smtpd_recipient_restrictions = permit_mynetworks reject_unauth_destination" \
		"smtpd_milters = inet:127.0.0.1:$1" "milter_protocol = 6" "milter_default_action = $2" \
		"milter_connect_timeout = 3s" "milter_command_timeout = 3s"
}
if [ -x "$MILTER" ]; then
	"$MILTER" -f -c "$RUN/rg.conf" 2>"$RUN/milter.log" &
	MILTER_PID=$!
	rg_track "$MILTER_PID"
	rg_wait_port "$MILTER_PORT" || rg_bail "relayguard-milter did not start: $(cat "$RUN/milter.log")"
	milter "$MILTER_PORT" accept
	_rc=$(send 192.0.2.5)
	rg_ok "$([ "$_rc" -ne 0 ]; echo $?)" "milter up: listed client refused (swaks exit $_rc)"
	rg_stop "$MILTER_PID"
	milter "$MILTER_PORT" accept
	rg_is "$(send 192.0.2.5)" 0 "milter stopped, milter_default_action=accept: mail accepted unchecked"
	milter "$MILTER_PORT" tempfail
	_rc=$(send 192.0.2.77)
	rg_ok "$([ "$_rc" -ne 0 ]; echo $?)" "milter stopped, tempfail: mail not accepted (swaks exit $_rc)"
	grep -q '^<\** *451 4.7.1 Service unavailable - try again later' "$RUN/swaks.out"
	rg_ok $? "milter stopped, tempfail: the client sees 451 4.7.1"
	milter "$SILENT_PORT" accept
	rg_is "$(send 192.0.2.5)" 0 "silent milter, accept: mail accepted"
	rg_ok "$(in_bounds 3 90)" "silent milter, accept: after the 3 s timeout ($(cat "$RUN/elapsed") s)"
	milter "$SILENT_PORT" tempfail
	_rc=$(send 192.0.2.77)
	rg_ok "$([ "$_rc" -ne 0 ]; echo $?)" "silent milter, tempfail: mail not accepted (swaks exit $_rc)"
	grep -q '^<\** *451 4.7.1 Service unavailable - try again later' "$RUN/swaks.out"
	rg_ok $? "silent milter, tempfail: 451 4.7.1"
	rg_ok "$(in_bounds 3 90)" "silent milter, tempfail: after the 3 s timeout ($(cat "$RUN/elapsed") s)"
else
	rg_skip 9 "relayguard-milter not built"
fi
rg_done
