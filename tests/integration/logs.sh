#!/bin/sh
# logs.sh - what reaches relayguard-policyd's log from hostile input and
# broken servers: control bytes from a client escaped, an invalid
# client_address logged as sent with the reason (never a made-up address),
# and a flood of warnings from Redis at maxmemory with noeviction held to a
# few lines per interval with a count.  Real rbldnsd, real redis-server.
# Prints TAP.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server redis-cli
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
[ -x "$POLICYD" ] || rg_bail "$POLICYD not built"

cp "$RG_TOP_SRCDIR"/tests/data/rbldnsd/test.bl.* "$RUN/"
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" test.bl:generic:test.bl.common test.bl:ip4set:test.bl.ip4set
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
PORT=$(rg_free_port)
cat >"$RUN/policyd.conf" <<CONF
allow_root = yes
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = test.bl
dnsbl_probe_interval = 0
cache_size = 0
redis_server = 127.0.0.1:$REDIS_PORT
report_spool = $RUN/spool
report_dedupe_window = 0
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
stats_interval = 1s
log_level = info
policy_listen = inet:$PORT@127.0.0.1
policy_pidfile = $RUN/policyd.pid
policy_workers = 1
CONF
"$POLICYD" -f -c "$RUN/policyd.conf" 2>"$RUN/policyd.log" &
PID=$!
rg_track "$PID"
rg_wait_port "$PORT" || rg_bail "relayguard-policyd did not start: $(cat "$RUN/policyd.log")"

# send FILE: the requests in FILE on one connection; prints the number of replies
send() {
	$PY - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
data = open(sys.argv[2], "rb").read()
s.sendall(data)
want, got = data.count(b"\n\n"), b""
while got.count(b"\n\n") < want:
    c = s.recv(65536)
    if not c:
        break
    got += c
print(got.count(b"\n\n"))
PY
}
# req ADDRESS INSTANCE: one request (ADDRESS may hold any byte but LF)
req() { printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\ninstance=%s\n\n' "$1" "$2"; }

# --- untrusted bytes and invalid addresses ---------------------------------------
{
	req '1.2.3' bad1
	req 'unknown' bad2
	req "$(printf '192.0.2.5\r\033[31mFORGED')" bad3
} >"$RUN/bad.req"
rg_is "$(send "$RUN/bad.req")" 3 "three requests with invalid client_address: three replies"
sleep 0.5
rg_ok "$(grep -q "$(printf '\r')" "$RUN/policyd.log"; [ $? -ne 0 ]; echo $?)" "no raw CR in the log"
rg_ok "$(grep -q "$(printf '\033')" "$RUN/policyd.log"; [ $? -ne 0 ]; echo $?)" "no raw ESC in the log"
rg_like "$(cat "$RUN/policyd.log")" "client_address '192\\.0\\.2\\.5\\\\x0d\\\\x1b\\[31mFORGED' is not an address" \
	"the warning shows the bytes escaped"
rg_like "$(grep 'instance=bad1' "$RUN/policyd.log")" 'client_raw=1\.2\.3 client_error="not an IP address"' \
	"'1.2.3' logged as sent, with the reason"
rg_ok "$(grep -E 'client=(1\.2\.3\.0|0\.0\.0\.0)' "$RUN/policyd.log" >/dev/null; [ $? -ne 0 ]; echo $?)" \
	"no made-up address (client=1.2.3.0, client=0.0.0.0) in the log"
rg_like "$(grep 'instance=bad2' "$RUN/policyd.log")" 'client_raw=unknown client_error=' "'unknown' logged as sent"

# --- Redis at maxmemory with noeviction: a flood of refused writes ----------------------
redis-cli -p "$REDIS_PORT" config set maxmemory-policy noeviction >/dev/null
redis-cli -p "$REDIS_PORT" config set maxmemory 1 >/dev/null
i=0
while [ $i -lt 300 ]; do i=$((i + 1)); req "198.51.100.$((i % 250 + 1))" "oom$i"; done >"$RUN/oom.req"
rg_is "$(send "$RUN/oom.req")" 300 "300 listed clients while Redis refuses every write: 300 replies"
sleep 0.5
n=$(grep -c 'warning: report queue: Redis refused an event: OOM' "$RUN/policyd.log")
rg_ok "$([ "$n" -ge 1 ] && [ "$n" -le 5 ]; echo $?)" "300 refused events: $n warning lines (at most 5 per 10 s), not 300"
sleep 10	# the next interval
rg_is "$(send "$RUN/oom.req")" 300 "300 more after the interval: 300 replies"
sleep 0.5
rg_like "$(grep 'Redis refused an event: OOM' "$RUN/policyd.log" | tail -n 5)" \
	"\\(([0-9]+) more like this suppressed\\)" "the next interval's first line says how many were suppressed"

# --- Redis back with a password policyd does not know: an error, and visible in stats ----
redis-cli -p "$REDIS_PORT" config set maxmemory 0 >/dev/null
redis-cli -p "$REDIS_PORT" config set requirepass "rg-$$-pw" >/dev/null
redis-cli -p "$REDIS_PORT" -a "rg-$$-pw" --no-auth-warning client kill type normal >/dev/null
sleep 1
i=0
while [ $i -lt 10 ]; do i=$((i + 1)); req "203.0.113.$((i + 9))" "pw$i"; done >"$RUN/pw.req"
rg_is "$(send "$RUN/pw.req")" 10 "10 listed clients while Redis refuses us: 10 replies"
rg_like "$(cat "$RUN/policyd.log")" "error: redis 127\.0\.0\.1:$REDIS_PORT: PING refused \(NOAUTH.*retrying" \
	"Redis refusing the reconnect (now a password) is logged as an error"
sleep 2.5	# a stats snapshot
out=$("$RG_TOP_BUILDDIR/ctl/relayguard-ctl" -c "$RUN/policyd.conf" stats 2>&1)
rg_like "$out" "cache=redis up=0 state=refused" "ctl stats: the cache's Redis state is 'refused'"
rg_like "$out" "reports redis=refused backlog=[0-9]+ spool_pending_bytes=[1-9][0-9]* oldest=[1-9][0-9]+ " \
	"ctl stats: the report queue's Redis state, the spool backlog and its oldest event"
rg_ok "$(kill -0 "$PID"; echo $?)" "policyd still runs"
rg_stop "$PID"
rg_done
