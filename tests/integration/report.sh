#!/bin/sh
# report.sh - report events into a real redis-server's stream; the spool
# journal while Redis is down or killed, its idempotent replay; a driver
# killed with events in the journal; the engine's hook.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require redis-server redis-cli

DRV="$RG_TOP_BUILDDIR/tests/integration/report_driver"
PORT=$(rg_free_port)
rg_start_redis "$PORT"
R() { redis-cli -p "$PORT" "$@"; }

cat >"$RUN/rg.conf" <<CONF
myhostname = mx1.test
redis_server = 127.0.0.1:$PORT
redis_prefix = rt:
report_spool = $RUN/spool
report_dedupe_window = 1h
CONF
J="$RUN/spool/reports.journal"
field() {	# field STAT OUTPUT
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# --- straight into the stream -------------------------------------------------
out=$("$DRV" "$RUN/rg.conf" emit 192.0.2.1 192.0.2.2 192.0.2.1); rc=$?
rg_is "$rc" 0 "the driver finished"
rg_is "$(field queued "$out")" 2 "two clients queued"
rg_is "$(field deduped_local "$out")" 1 "the repeated client is deduped in memory"
rg_is "$(R XLEN rt:reports)" 2 "the stream holds two events"
ev=$(R XRANGE rt:reports - + COUNT 1)
rg_like "$ev" "client
192.0.2.1" "the event names the client"
rg_like "$ev" "host
mx1.test" "and the reporting host"
rg_like "$ev" "lists
bl1.test%3D127.0.0.2%20bl2.test%3D127.0.0.3" "and the lists with their codes"
rg_like "$ev" "helo
helo.example" "and the HELO name"
rg_ok "$(printf '%s' "$ev" | grep -c domain)" "no sender domain without report_sender_domain"
rg_like "$(R TTL rt:rep:{rt:reports}:seen:192.0.2.1)" "^3[0-9]{3}$" "the fleet dedupe key lives for the window"

out=$("$DRV" "$RUN/rg.conf" emit 192.0.2.1)
rg_is "$(field deduped_fleet "$out")" 1 "another process: deduped fleet-wide"
rg_is "$(R XLEN rt:reports)" 2 "the stream still holds two"

# --- Redis down: the journal -----------------------------------------------------
rg_stop "$RG_REDIS_PID"
out=$("$DRV" "$RUN/rg.conf" emit 198.51.100.1 198.51.100.2 198.51.100.3)
rg_is "$(field spooled "$out")" 3 "Redis down: three events spooled"
rg_is "$(wc -l <"$J" | tr -d ' ')" 3 "three lines in the journal"
rg_like "$(head -1 "$J")" "^id=[0-9a-f]+\.[0-9a-f]+\.[0-9a-f]+@mx1.test	t=[0-9]+	client=198.51.100.1	" \
	"a journal line carries the event id"

# Killed with events in the journal: nothing lost.
"$DRV" "$RUN/rg.conf" emit 198.51.100.4 198.51.100.5 >/dev/null 2>&1 &
kpid=$!
for _ in $(seq 1 50); do
	[ "$(wc -l <"$J")" -ge 5 ] && break
	sleep 0.1
done
kill -9 "$kpid" 2>/dev/null
wait "$kpid" 2>/dev/null
rg_is "$(wc -l <"$J" | tr -d ' ')" 5 "a driver killed -9 left its events in the journal"

# Redis back (a new, empty server on the same port): the journal replays.
rg_start_redis "$PORT"
out=$("$DRV" "$RUN/rg.conf" drain)
rg_is "$(field replayed "$out")" 5 "five journal records replayed"
rg_is "$(field queued "$out")" 5 "five events queued"
rg_is "$(R XLEN rt:reports)" 5 "the stream holds exactly five"
rg_is "$(stat -c %s "$J")" 0 "the journal was truncated"
rg_like "$(cat "$RUN/spool/reports.pos")" "^1 0$" "its position moved to a new generation"

# Replaying an event twice puts it in the stream once.
line=$(printf 'id=dup.1@mx1.test\tt=1700000000\tclient=203.0.113.9\thelo=x\thost=mx1.test\tscore=2\taction=reject\tlists=bl1.test%%3D127.0.0.2')
printf '%s\n%s\n' "$line" "$line" >>"$J"
out=$("$DRV" "$RUN/rg.conf" drain)
rg_is "$(field replayed "$out")" 2 "both copies replayed"
rg_is "$(field duplicates "$out")" 1 "the second was known to Redis"
rg_is "$(R XLEN rt:reports)" 6 "one more event in the stream"

# A damaged record is skipped, the rest replays.
printf 'garbage line\n%s\n' "$(printf '%s' "$line" | sed 's/dup.1/dup.2/; s/203.0.113.9/203.0.113.10/')" >>"$J"
out=$("$DRV" "$RUN/rg.conf" drain 2>"$RUN/drain.err")
rg_is "$(field queued "$out")" 1 "a damaged record does not stop the replay"
rg_like "$(cat "$RUN/drain.err")" "unreadable record skipped" "and is logged"

# --- Redis killed while events are produced ------------------------------------
# A server that keeps what it acknowledged (AOF, fsync always), killed -9
# while a driver emits one event every 20 ms, restarted on the same files.
rg_stop "$RG_REDIS_PID"
mkdir -p "$RUN/aof"
start_aof_redis() {
	redis-server --bind 127.0.0.1 --port "$PORT" --save '' --appendonly yes \
		--appendfsync always --dir "$RUN/aof" --logfile "$RUN/aof/redis.log" &
	AOF_PID=$!
	rg_track "$AOF_PID"
	rg_wait_port "$PORT" tcp || rg_bail "redis-server (AOF) did not start"
}
start_aof_redis
addrs=$(for i in $(seq 1 40); do printf '192.0.2.%d ' "$((i + 100))"; done)
"$DRV" "$RUN/rg.conf" emit-slow $addrs >"$RUN/slow.out" 2>/dev/null &
slow=$!
sleep 0.7
kill -9 "$AOF_PID"
wait "$slow"
out=$(cat "$RUN/slow.out")
q1=$(field queued "$out"); s1=$(field spooled "$out")
rg_ok "$([ "$q1" -gt 0 ] && [ "$s1" -gt 0 ]; echo $?)" "Redis killed mid-way: some events queued ($q1), the rest spooled ($s1)"
rg_is "$((q1 + s1))" 40 "none lost on the way"
start_aof_redis
out=$("$DRV" "$RUN/rg.conf" drain)
rg_is "$(field replayed "$out")" "$s1" "after the restart the journal replays"
rg_is "$(R XLEN rt:reports)" 40 "the stream holds exactly the 40 events: those Redis kept and the replayed ones"
RG_REDIS_PID=$AOF_PID

# --- no Redis configured: the journal is the queue -----------------------------
cat >"$RUN/local.conf" <<CONF
myhostname = mx2.test
report_spool = $RUN/local
CONF
out=$("$DRV" "$RUN/local.conf" emit 192.0.2.9 192.0.2.9 192.0.2.8 >/dev/null 2>&1; cat "$RUN/local/reports.journal" | wc -l)
rg_is "$(echo $out | tr -d ' ')" 2 "without Redis, events go to the journal (deduped in memory)"

# --- the engine hook -----------------------------------------------------------
printf '192.0.2.5\n192.0.2.6\n' >"$RUN/bl.list"
printf '192.0.2.6\n' >"$RUN/wl.list"
cat >"$RUN/engine.conf" <<CONF
myhostname = mx3.test
redis_server = 127.0.0.1:$PORT
redis_prefix = re:
report_spool = $RUN/espool
file_lists = bl1.test:$RUN/bl.list*2, wl.test:$RUN/wl.list*-5
dnsbl_threshold = 2
CONF
out=$("$DRV" "$RUN/engine.conf" engine 192.0.2.5 192.0.2.5 192.0.2.6 192.0.2.7)
rg_is "$out" "listed=2" "the engine: two listed verdicts for one listed client"
rg_is "$(R XLEN re:reports)" 1 "one event for one lookup; none for the allowlisted or the clean"
rg_like "$(R XRANGE re:reports - +)" "192.0.2.5" "for the listed client"

cat >"$RUN/bad.conf" <<CONF
report_enable = yes
report_spool = /proc/relayguard-cannot-exist/spool
CONF
out=$("$DRV" "$RUN/bad.conf" engine 192.0.2.5 2>&1)
rg_like "$out" "engine_new: report spool /proc/relayguard-cannot-exist/spool: cannot create" \
	"report_enable set explicitly: a spool that cannot be made fails the engine"
sed -i '/report_enable/d' "$RUN/bad.conf"
out=$("$DRV" "$RUN/bad.conf" engine 192.0.2.5 2>&1)
rg_like "$out" "running without reports" "by default it is a warning"

rg_done
