#!/bin/sh
# exhaustion.sh - connection exhaustion of relayguard-policyd and
# relayguard-milter, the real daemons, by hostile clients of
# tests/integration/conn_flood.py: a request sent one byte at a time, 2,000
# hoarded connections (milter: idle, half-open and stalled in a packet), then
# normal requests, which must all be answered within a deadline.
#
# The daemons start with the usual soft descriptor limit of 1024 below a
# higher hard limit (a login shell, systemd's default), as they would on a
# fresh system: they must raise it themselves.  Prints TAP.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require prlimit
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
[ -n "$PY" ] || rg_require python3
FLOOD="$PY $RG_TOP_SRCDIR/tests/integration/conn_flood.py"
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
MILTER="$RG_TOP_BUILDDIR/milter/relayguard-milter"
[ -x "$POLICYD" ] && [ -x "$MILTER" ] || rg_bail "daemons not built"

# The flooding client itself needs room for 2,000 sockets.
HARD=$(ulimit -Hn)
# root may raise a low hard limit (some containers start with 4096 or less)
if [ "$HARD" != unlimited ] && [ "$HARD" -lt 8192 ]; then
	ulimit -Hn 65536 2>/dev/null
	HARD=$(ulimit -Hn)
fi
[ "$HARD" = unlimited ] && HARD=65536
[ "$HARD" -gt 65536 ] && HARD=65536
ulimit -n "$HARD" 2>/dev/null
[ "$(ulimit -n)" -ge 4200 ] || rg_bail "open file limit $(ulimit -n) too low for 2,000 connections (ulimit -Hn)"
DAEMON_LIMIT="prlimit --nofile=1024:$HARD --"

# wait_ready FILE: until the hoarding client has opened every connection
wait_ready() {
	for _ in $(seq 1 600); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# --- relayguard-policyd ---------------------------------------------------------
PORT=$(rg_free_port)
cat >"$RUN/policyd.conf" <<CONF
dnsbl_probe_interval = 0
report_enable = no
report_spool = $RUN/spool
stats_dir =
stats_history_dir =
log_level = info
allow_root = yes
policy_listen = inet:$PORT@127.0.0.1
policy_pidfile = $RUN/policyd.pid
policy_workers = 2
policy_idle_timeout = 300s
policy_request_timeout = 2s
CONF
$DAEMON_LIMIT "$POLICYD" -f -c "$RUN/policyd.conf" 2>"$RUN/policyd.log" &
PID=$!
rg_track "$PID"
rg_wait_port "$PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"

# One byte every 0.5 s: the idle timer (300 s) never fires, the request deadline does.
out=$($FLOOD slow "$PORT" 0.5 15)
rg_like "$out" "^closed after [0-9.]+$" "a request sent a byte at a time is cut"
secs=${out##* }
rg_ok "$(awk -v s="$secs" 'BEGIN { exit !(s >= 1.5 && s < 8) }'; echo $?)" \
	"... by policy_request_timeout (2 s), after $secs s"
rg_ok "$(grep -q 'request not complete 2000 ms after its first byte (policy_request_timeout)' "$RUN/policyd.log"; echo $?)" \
	"the cut is logged with the setting's name"

# 2,000 idle connections against policy_max_connections = 1000
$FLOOD hoard policy "$PORT" 2000 20 "$RUN/hoard.ready" >"$RUN/hoard.out" &
HOARD=$!
rg_track "$HOARD"
wait_ready "$RUN/hoard.ready" || rg_bail "the hoarding client did not open its connections"
out=$($FLOOD policy "$PORT" 50 5)
rg_is "${out%% *}" "answered=50" "2,000 idle connections open: 50 new requests all answered within 5 s (${out##* })"
wait "$HOARD"
closed=$(sed -n 's/^opened=2000 closed=//p' "$RUN/hoard.out")
rg_ok "$([ "${closed:-0}" -ge 1000 ]; echo $?)" "the longest-idle connections were closed to make room (${closed:-?} of 2000)"
lines=$(grep -c 'policy_max_connections (1000) reached' "$RUN/policyd.log")
rg_ok "$([ "$lines" -ge 1 ] && [ "$lines" -le 4 ]; echo $?)" \
	"over 1,000 evictions logged in $lines lines (one per interval), not one each"
out=$($FLOOD policy "$PORT" 1 5)
rg_is "${out%% *}" "answered=1" "still serving afterwards"
kill -TERM "$PID"
wait "$PID"
rg_is "$?" 0 "policyd: SIGTERM after the flood: exit status 0"

# --- unix socket: mode 0660 by default, owner and group configurable -----------
USOCK="$RUN/policy.sock"
GROUP=$(id -gn)
[ "$(id -u)" = 0 ] && getent group nogroup >/dev/null && GROUP=nogroup
cat >"$RUN/unix.conf" <<CONF
dnsbl_probe_interval = 0
report_enable = no
report_spool = $RUN/spool
stats_dir =
stats_history_dir =
allow_root = yes
policy_listen = unix:$USOCK
policy_pidfile = $RUN/policyd-unix.pid
policy_socket_group = $GROUP
CONF
"$POLICYD" -f -c "$RUN/unix.conf" 2>"$RUN/policyd-unix.log" &
UPID=$!
rg_track "$UPID"
for _ in $(seq 1 100); do [ -S "$USOCK" ] && grep -q 'serving' "$RUN/policyd-unix.log" && break; sleep 0.1; done
rg_is "$(stat -c %a "$USOCK" 2>/dev/null)" 660 "unix: socket mode 0660 by default (no world access)"
rg_is "$(stat -c %G "$USOCK" 2>/dev/null)" "$GROUP" "unix: socket group policy_socket_group ($GROUP)"
rg_stop "$UPID"
sed -i "s/^policy_socket_group = .*/policy_socket_group = no-such-group-rg/" "$RUN/unix.conf"
"$POLICYD" -f -c "$RUN/unix.conf" >"$RUN/policyd-badgroup.log" 2>&1
rg_ok $(( $? == 0 )) "unix: an unknown policy_socket_group stops the start"
rg_like "$(cat "$RUN/policyd-badgroup.log")" "unknown group 'no-such-group-rg'" "... saying which group"

# --- relayguard-milter ------------------------------------------------------------
MPORT=$(rg_free_port)
cat >"$RUN/milter.conf" <<CONF
dnsbl_probe_interval = 0
report_enable = no
report_spool = $RUN/spool
stats_dir =
stats_history_dir =
allow_root = yes
milter_socket = inet:$MPORT@127.0.0.1
milter_pidfile = $RUN/milter.pid
milter_timeout = 8s
CONF
$DAEMON_LIMIT "$MILTER" -f -c "$RUN/milter.conf" 2>"$RUN/milter.log" &
MPID=$!
rg_track "$MPID"
rg_wait_port "$MPORT" || rg_bail "relayguard-milter did not start: $(cat "$RUN/milter.log")"
rg_is "$($FLOOD milter "$MPORT" 3 3 | cut -d' ' -f1)" "answered=3" "milter: sessions answered before the flood"

# 2,000 sessions: a third idle after negotiating, a third half-open, a third stalled mid-packet
$FLOOD hoard milter "$MPORT" 2000 14 "$RUN/mhoard.ready" >"$RUN/mhoard.out" &
MHOARD=$!
rg_track "$MHOARD"
wait_ready "$RUN/mhoard.ready" || rg_bail "the hoarding client did not open its sessions"
threads=$(ls "/proc/$MPID/task" | wc -l)
fds=$(ls "/proc/$MPID/fd" | wc -l)
out=$($FLOOD milter "$MPORT" 30 3)
rg_is "${out%% *}" "answered=30" "milter: 2,000 sessions open: 30 new sessions all answered within 3 s (${out##* })"
echo "# milter with 2,000 sessions: $threads threads, $fds descriptors, RSS $(awk '/VmRSS/ { print $2 " " $3 }' "/proc/$MPID/status")"
wait "$MHOARD"
sed 's/^/# /' "$RUN/mhoard.out"
rg_like "$(cat "$RUN/mhoard.out")" "closed idle=[0-9]+ half-open=[0-9]+ stalled=666" \
	"milter: sessions stalled mid-packet closed by milter_timeout"
rg_is "$($FLOOD milter "$MPORT" 3 3 | cut -d' ' -f1)" "answered=3" "milter: still serving after the flood"
kill -TERM "$MPID"
wait "$MPID"
rg_is "$?" 0 "milter: SIGTERM after the flood: exit status 0"

rg_ok "$(grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error' "$RUN"/*.log; [ $? -ne 0 ]; echo $?)" \
	"no sanitizer report"
rg_done
