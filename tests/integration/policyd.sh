#!/bin/sh
# policyd.sh - relayguard-policyd, the real daemon, against a real rbldnsd,
# driven by tests/integration/policy_client.py over the policy protocol.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd
[ -n "$PY" ] || rg_require python3
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
[ -x "$POLICYD" ] || rg_bail "$POLICYD not built"

cp "$RG_TOP_SRCDIR"/tests/data/rbldnsd/test.bl.* "$RUN/"
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set \
	test.bl:ip6trie:test.bl.ip6trie
PORT=$(rg_free_port)

# write_conf FILE ACTION [EXTRA]: the daemon's config
write_conf() {
	cat >"$1" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = test.bl
dnsbl_timeout = 3s
dnsbl_probe_interval = 0
dnsbl_action = $2
cache_size = 0
report_enable = no
report_spool = $RUN/spool
log_level = info
policy_listen = inet:$PORT@127.0.0.1
policy_allowed_clients = 127.0.0.1/32, ::1/128
policy_pidfile = $RUN/policyd.pid
policy_idle_timeout = 2s
policy_workers = 2
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
stats_interval = 1s
${3:-}
CONF
}
write_conf "$RUN/policyd.conf" reject

"$POLICYD" -f -c "$RUN/policyd.conf" 2>"$RUN/policyd.log" &
PID=$!
rg_track "$PID"
rg_wait_port "$PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"
rg_wait_file "$RUN/policyd.pid"
rg_is "$(cat "$RUN/policyd.pid" 2>/dev/null)" "$PID" "pid file holds the daemon's pid"

ask() { $CLIENT ask "$PORT" "$@"; }
RCPT="protocol_state=RCPT protocol_name=ESMTP helo_name=client.example sender=s@example.org recipient=r@example.net"
# queries: how many rbldnsd log lines name this reversed address
queries() { grep -cw "$1.test.bl" "$RUN/rbldnsd.log" 2>/dev/null || true; }

# --- verdicts ---------------------------------------------------------------
rg_is "$(ask $RCPT client_address=192.0.2.5 instance=i1)" \
	"action=550 5.7.1 Service unavailable; client [192.0.2.5] blocked using test.bl: Listed in test.bl, see http://test.bl/lookup?ip=192.0.2.5" \
	"listed client: exact 550 5.7.1 reply"
rg_is "$(ask $RCPT client_address=192.0.2.77 instance=i2)" "action=DUNNO" "unlisted client: DUNNO"
rg_is "$(ask $RCPT client_address=IPv6:2001:db8::99 instance=i3)" "action=DUNNO" \
	"IPv6: form accepted, unlisted: DUNNO"
rg_like "$(ask $RCPT client_address=198.51.100.3 instance=i4 queue_id=ABC123)" \
	"^action=550 5.7.1 .*Open relay range, 198.51.100.3 listed$" "range entry: its TXT in the reply"
rg_is "$(ask $RCPT client_address=192.0.2.5 instance=i5 sasl_username=alice)" "action=DUNNO" \
	"authenticated client (sasl_username) skipped"

# --- states -----------------------------------------------------------------
for st in CONNECT HELO MAIL DATA END-OF-MESSAGE VRFY; do
	rg_is "$(ask protocol_state=$st client_address=192.0.2.5 instance=s-$st)" "action=DUNNO" \
		"state $st not checked (policy_check_state = RCPT)"
done
rg_ok "$(grep -c 'instance=s-' "$RUN/policyd.log" | grep -qx 6; echo $?)" \
	"unchecked states logged, one line each"
rg_is "$(ask protocol_state=rcpt client_address=192.0.2.5 instance=lc | cut -c1-16)" "action=550 5.7.1" \
	"state name in any case"

# --- one check per instance ---------------------------------------------------
before=$(queries 7.100.51.198)
rg_is "$(ask $RCPT client_address=198.51.100.7 instance=single | cut -c1-16)" "action=550 5.7.1" \
	"one request: listed"
one=$(( $(queries 7.100.51.198) - before ))
rg_ok "$([ "$one" -ge 1 ]; echo $?)" "one check makes DNS queries ($one)"
out=$($CLIENT repeat "$PORT" 50 $RCPT client_address=198.51.100.8 instance=fifty)
rg_is "$(echo "$out" | head -1)" "replies=50 distinct=1" "50 pipelined recipients: 50 equal replies"
rg_is "$(echo "$out" | tail -1 | cut -c1-16)" "action=550 5.7.1" "50 recipients: rejected"
rg_is "$(queries 8.100.51.198)" "$one" "50 recipients of one instance: the DNS queries of one check"
rg_is "$(grep 'instance=fifty' "$RUN/policyd.log" | grep -c 'verdict=')" 1 "50 recipients: one check logged"
rg_is "$(grep 'instance=fifty' "$RUN/policyd.log" | grep -c 'answer=instance')" 49 \
	"50 recipients: 49 answers from the instance memory"
rg_like "$(grep 'instance=i1' "$RUN/policyd.log")" 'client=192\.0\.2\.5 .*verdict=reject.* state=RCPT instance=i1 reply="550 5\.7\.1 Service unavailable; client \[192\.0\.2\.5\] blocked using test\.bl: [^"]*" time_us=[0-9]+' \
	"request logged as one key=value line"

# --- pipelined, different answers, in order ------------------------------------
out=$(printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.5\ninstance=p1\n\nrequest=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.78\ninstance=p2\n\nrequest=smtpd_access_policy\nprotocol_state=MAIL\nclient_address=192.0.2.5\ninstance=p3\n\n' |
	(cd "$RUN" && $PY -c "
import socket,sys
s=socket.create_connection(('127.0.0.1',$PORT)); s.sendall(sys.stdin.buffer.read()); d=b''
while d.count(b'\n\n')<3:
    c=s.recv(65536)
    if not c: break
    d+=c
print(' | '.join(l.split(' ')[0] for l in d.decode().split('\n\n') if l))"))
rg_is "$out" "action=550 | action=DUNNO | action=DUNNO" "pipelined requests answered in order"

# --- malformed ----------------------------------------------------------------
rg_is "$(printf 'request=smtpd_access_policy\nthis line has no equals sign\n\n' | $CLIENT raw "$PORT")" \
	"CLOSED" "malformed request: closed without a reply"
rg_is "$(printf 'client_address=192.0.2.5\n\n' | $CLIENT raw "$PORT")" "CLOSED" \
	"request without request=: closed without a reply"
rg_ok "$(grep -q 'malformed request' "$RUN/policyd.log"; echo $?)" "malformed request logged with its reason"
rg_is "$(ask $RCPT client_address=192.0.2.77 instance=after)" "action=DUNNO" "still serving after malformed requests"

# --- allowed clients, idle timeout ----------------------------------------------
rg_is "$(ask --source 127.0.0.9 $RCPT client_address=192.0.2.77)" "CLOSED" "client outside policy_allowed_clients refused"
rg_ok "$(grep -q 'refused connection from 127.0.0.9' "$RUN/policyd.log"; echo $?)" "refusal logged"
rg_is "$($CLIENT hold "$PORT" 3 $RCPT client_address=192.0.2.77)" "CLOSED" "idle connection closed after policy_idle_timeout"

# --- reload -----------------------------------------------------------------------
write_conf "$RUN/policyd.conf" tag
kill -HUP "$PID"
sleep 1
out=$(ask $RCPT client_address=192.0.2.5 instance=t1)
rg_like "$out" '^action=PREPEND X-Relayguard: listed action=tag score=1 lists=test.bl' "SIGHUP: tag mode -> PREPEND"
cp "$RUN/policyd.conf" "$RUN/good.conf"
echo "dnsbl_action = explode" >>"$RUN/policyd.conf"
kill -HUP "$PID"
sleep 1
rg_ok "$(grep -q 'reload refused' "$RUN/policyd.log"; echo $?)" "broken config refused with a log line"
rg_like "$(ask $RCPT client_address=192.0.2.5 instance=t2)" '^action=PREPEND X-Relayguard: ' "broken config: old one kept"
rg_ok "$(kill -0 "$PID"; echo $?)" "daemon alive after a broken reload"

# --- spawn mode (-i) ---------------------------------------------------------------
out=$(printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=192.0.2.6\ninstance=x\n\n' |
	"$POLICYD" -f -i -c "$RUN/good.conf" 2>>"$RUN/policyd-i.log")
rg_like "$out" '^action=PREPEND X-Relayguard: listed' "-i: one connection on standard input/output"

# --- counters: relayguard-ctl stats reads what the running daemon writes --------------
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for _ in $(seq 1 30); do
	[ -n "$(ls "$RUN/stats" 2>/dev/null)" ] && break
	sleep 0.1
done
sleep 1.2	# one more stats_interval: the counters of the requests above
out=$("$CTL" -c "$RUN/good.conf" stats 2>&1)
rg_like "$out" "relayguard/policyd\[$PID\] snapshot" "stats: relayguard-ctl sees the running daemon"
rg_like "$out" "checks=[1-9]" "stats: its checks are counted"
rg_like "$out" "test.bl +dnsbl +[1-9][0-9]* +[1-9]" "stats: per zone, queries and listed answers"
rg_like "$(ls "$RUN/stats")" "^relayguard-policyd\.$PID\.[0-9]+\.stats" "stats: one file per engine, named after the daemon"

# --- unix: listener ------------------------------------------------------------------
USOCK="$RUN/policy.sock"
# a socket left behind by an earlier run is replaced; a file that is not a socket is not
$PY -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$USOCK"
: >"$RUN/not-a-socket"
write_conf "$RUN/unix-bad.conf" reject "policy_listen = unix:$RUN/not-a-socket"
"$POLICYD" -f -c "$RUN/unix-bad.conf" 2>"$RUN/policyd-unix-bad.log"
rg_ok $(( $? == 0 )) "unix: a path held by a regular file: the daemon does not start"
rg_like "$(cat "$RUN/policyd-unix-bad.log")" "cannot listen on unix:$RUN/not-a-socket: Address already in use" \
	"unix: the error names the path and the reason"
rg_ok "$([ -f "$RUN/not-a-socket" ]; echo $?)" "unix: the regular file is left alone"
write_conf "$RUN/unix.conf" reject "policy_listen = unix:$USOCK
policy_socket_mode = 0660
policy_pidfile = $RUN/policyd-unix.pid"
"$POLICYD" -f -c "$RUN/unix.conf" 2>"$RUN/policyd-unix.log" &
UPID=$!
rg_track "$UPID"
for _ in $(seq 1 100); do
	grep -q 'listening on unix:' "$RUN/policyd-unix.log" && break
	sleep 0.1
done
rg_is "$(stat -c %a "$USOCK" 2>/dev/null)" 660 "unix: the stale socket replaced, mode policy_socket_mode"
rg_is "$($CLIENT ask "$USOCK" $RCPT client_address=192.0.2.5 instance=u1 | cut -c1-16)" "action=550 5.7.1" \
	"unix: listed client refused"
rg_is "$($CLIENT ask "$USOCK" $RCPT client_address=192.0.2.77 instance=u2)" "action=DUNNO" "unix: unlisted client: DUNNO"
out=$($CLIENT repeat "$USOCK" 20 $RCPT client_address=192.0.2.78 instance=u3)
rg_like "$out" "^replies=20 distinct=1" "unix: 20 pipelined requests, 20 replies"
kill -TERM "$UPID"
wait "$UPID"
rg_is "$?" 0 "unix: SIGTERM: exit status 0"
rg_ok "$([ ! -e "$USOCK" ]; echo $?)" "unix: the socket is removed at exit"

# --- daemon mode as an unprivileged user ----------------------------------------------
# gone PID: the process ended (a zombie waiting for a reaper counts as ended)
gone() { case $(ps -o stat= -p "$1" 2>/dev/null) in "" | Z*) return 0 ;; esac; return 1; }
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$RUN"	# nobody must reach its pid file's folder below
	DPORT=$(rg_free_port)
	write_conf "$RUN/daemon.conf" reject "policy_listen = inet:$DPORT@127.0.0.1
policy_pidfile = $RUN/run/relayguard/policyd.pid
user = nobody"
	"$POLICYD" -c "$RUN/daemon.conf" 2>"$RUN/policyd-daemon.log"
	rg_is "$?" 0 "daemon mode: the command returns once the daemon runs"
	rg_wait_port "$DPORT"
	rg_wait_file "$RUN/run/relayguard/policyd.pid"
	DPID=$(cat "$RUN/run/relayguard/policyd.pid" 2>/dev/null)
	rg_track "$DPID"
	rg_is "$(ps -o user= -p "$DPID" 2>/dev/null)" nobody "daemon mode: runs as user = nobody"
	rg_is "$(stat -c %U "$RUN/run/relayguard" 2>/dev/null)" nobody \
		"daemon mode: the folder made for the pid file is the user's"
	rg_is "$($CLIENT ask "$DPORT" $RCPT client_address=192.0.2.5 instance=d1 | cut -c1-16)" "action=550 5.7.1" \
		"daemon mode: it answers"
	kill -TERM "$DPID"
	for _ in $(seq 1 50); do gone "$DPID" && break; sleep 0.1; done
	rg_ok "$(gone "$DPID"; echo $?)" "daemon mode: SIGTERM ends it"
	rg_ok "$([ ! -e "$RUN/run/relayguard/policyd.pid" ]; echo $?)" \
		"daemon mode: the pid file is removed, after the privileges were dropped"
else
	rg_skip 6 "daemon mode as user nobody needs root"
fi

# --- drain --------------------------------------------------------------------------
$CLIENT hold "$PORT" 1 $RCPT client_address=203.0.113.12 instance=late >"$RUN/late.out" &
LATE=$!
sleep 0.5
kill -TERM "$PID"
wait "$PID"
rg_is "$?" 0 "SIGTERM: exit status 0"
wait "$LATE"
rg_is "$(cat "$RUN/late.out")" "CLOSED" "SIGTERM: idle connections closed"
rg_ok "$([ ! -e "$RUN/policyd.pid" ]; echo $?)" "pid file removed"
rg_is "$(ls "$RUN/stats" | grep -c "^relayguard-policyd\.$PID\.")" 0 "stats files removed at exit"
rg_ok "$(grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$RUN"/policyd*.log; [ $? -ne 0 ]; echo $?)" \
	"no sanitizer report"
# --- policy_check_state: every choice, the first and the last included -------
for want in CONNECT HELO MAIL RCPT; do
	SP=$(rg_free_port)
	write_conf "$RUN/states.tmp" reject "policy_check_state = $want"
	sed -e "s/^policy_listen = .*/policy_listen = inet:$SP@127.0.0.1/" \
		-e "s|^policy_pidfile = .*|policy_pidfile = $RUN/states.pid|" "$RUN/states.tmp" >"$RUN/states.conf"
	"$POLICYD" -f -c "$RUN/states.conf" 2>"$RUN/states.log" &
	SPID=$!
	rg_track "$SPID"
	rg_wait_port "$SP" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/states.log")"
	got=""
	for st in CONNECT HELO MAIL RCPT; do
		r=$($CLIENT ask "$SP" protocol_state=$st client_address=192.0.2.5 helo_name=client.example \
			sender=s@example.org instance=st-$want-$st | cut -c1-16)
		got="$got $st:$r"
	done
	rg_is "$got" "$(for st in CONNECT HELO MAIL RCPT; do
		[ $st = $want ] && printf ' %s:action=550 5.7.1' $st || printf ' %s:action=DUNNO' $st; done)" \
		"policy_check_state = $want: only $want is checked"
	kill "$SPID"
	wait "$SPID" 2>/dev/null
done

# --- file_lists_max_entries: a list past it is refused; at a reload the old one stays ---
printf '192.0.2.101\n192.0.2.102\n192.0.2.103\n' >"$RUN/fl.list"
FP=$(rg_free_port)
write_conf "$RUN/fl.tmp" reject "file_lists = fl.test:$RUN/fl.list*1
file_lists_max_entries = 3"
sed -e "s/^policy_listen = .*/policy_listen = inet:$FP@127.0.0.1/" \
	-e "s|^policy_pidfile = .*|policy_pidfile = $RUN/fl.pid|" "$RUN/fl.tmp" >"$RUN/fl.conf"
"$POLICYD" -f -c "$RUN/fl.conf" 2>"$RUN/fl.log" &
FPID=$!
rg_track "$FPID"
rg_wait_port "$FP" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/fl.log")"
flask() { $CLIENT ask "$FP" $RCPT client_address=$1 instance=fl-$1-$2 | cut -c1-16; }
rg_is "$(flask 192.0.2.103 a)" "action=550 5.7.1" "file list at its limit (3 prefixes): loaded, its entries listed"
# a fourth prefix: the poll (every 2 s) reads it and refuses it
printf '192.0.2.101\n192.0.2.102\n192.0.2.103\n192.0.2.104\n' >"$RUN/fl.list.new"
mv "$RUN/fl.list.new" "$RUN/fl.list"
for _ in $(seq 1 100); do grep -q 'reload failed' "$RUN/fl.log" && break; sleep 0.1; done
rg_like "$(grep 'file list fl.test: reload failed' "$RUN/fl.log")" \
	"keeping the previous contents: $RUN/fl.list:4: list too large: more than 3 prefixes" \
	"file list past its limit at a reload: refused, naming file, line and limit"
kill -0 "$FPID" 2>/dev/null
rg_ok $? "... and the daemon runs on"
rg_is "$(flask 192.0.2.103 b) $(flask 192.0.2.104 b)" "action=550 5.7.1 action=DUNNO" \
	"... with the previous list: its entries listed, the new one not"
kill "$FPID"
wait "$FPID" 2>/dev/null
"$POLICYD" -f -c "$RUN/fl.conf" 2>"$RUN/fl2.log"
rg_ok $(( $? == 0 )) "file list past its limit at start: the daemon does not start"
rg_like "$(cat "$RUN/fl2.log")" "$RUN/fl.list:4: list too large: more than 3 prefixes" "... and says why"

rg_done
