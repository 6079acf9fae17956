#!/bin/sh
# rcache.sh - common/rcache against real redis-servers: miss, put/hit with one
# MGET per multi-source get, TTLs, prefix and db, AUTH (the password never in
# a log line), garbage values, Redis stopped (slow) and killed mid-run, and the
# reconnection after a restart on the same port, with exactly one "connection
# lost" and one "back" line per outage.
#
# The C driver (tests/integration/rcache_driver) runs the cache on its event
# loop and takes one command per line through a FIFO; this script owns the
# Redis processes and checks the server side with redis-cli.  The driver's
# "ok - ..." lines are renumbered here into one TAP stream.

. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }

rg_require redis-server redis-cli mkfifo
DRIVER="$RG_TOP_BUILDDIR/tests/integration/rcache_driver"
[ -x "$DRIVER" ] || rg_bail "$DRIVER not built (make check builds it)"

# A driver that dies must fail the test, not kill this script with SIGPIPE
# before its cleanup stops the Redis servers.
trap '' PIPE

TIMEOUT_MS=200
MARGIN_MS=200

# drv_start NAME ARGS...: start a driver reading $RUN/NAME.in, writing
# $RUN/NAME.out (fds 3 and 4 here), logging to $RUN/NAME.log.
drv_start() {
	_name=$1; shift
	mkfifo "$RUN/$_name.in" "$RUN/$_name.out"
	"$DRIVER" "$@" <"$RUN/$_name.in" >"$RUN/$_name.out" 2>"$RUN/$_name.log" &
	DRV_PID=$!
	rg_track "$DRV_PID"
	exec 3>"$RUN/$_name.in" 4<"$RUN/$_name.out"
}

# drv_read: turn the driver's answer to one command into TAP, up to "done".
drv_read() {
	while IFS= read -r _line <&4; do
		case $_line in
		done) return 0 ;;
		"ok - "*) rg_ok 0 "${_line#ok - }" ;;
		"not ok - "*) rg_ok 1 "${_line#not ok - }" ;;
		"stats "*) DRV_STATS=$_line; echo "# $_line" ;;
		*) echo "$_line" ;;
		esac
	done
	rg_ok 1 "the driver answers (it died)"
	return 1
}

drv() { printf '%s\n' "$*" >&3; drv_read; }

# drv_stop NAME: quit, and check the exit status (ASan/LSan fail it).
drv_stop() {
	drv quit
	exec 3>&- 4<&-
	wait "$DRV_PID"
	rg_is "$?" 0 "driver $1 exits 0 (no leak or sanitizer report)"
	rg_is "$(grep -c -E 'AddressSanitizer|runtime error|LeakSanitizer' "$RUN/$1.log")" 0 \
		"driver $1: no sanitizer report"
}

stat_of() { printf '%s\n' "$DRV_STATS" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
count_in() { grep -c -F -- "$1" "$2"; }
in_range() { [ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; }

# ---- A: the cache against a plain Redis, killed and restarted -------------
PORT=$(rg_free_port)
rg_start_redis "$PORT"
PID_A=$RG_REDIS_PID
cli() { redis-cli -h 127.0.0.1 -p "$PORT" "$@" | tr -d '\r'; }
K=rg:v2:c

drv_start a --server "127.0.0.1:$PORT" --prefix rg: --timeout "$TIMEOUT_MS"
drv up 3000
drv get 192.0.2.1 zen.example,bl.example,wl.example '-|-|-'
drv put 192.0.2.1 zen.example 300 'L127.0.0.4 Listed by zen, see http://zen.example/?192.0.2.1'
drv put 192.0.2.1 bl.example 60 N
drv put 192.0.2.1 wl.example 30 E
drv put 2001:db8::1 zen.example 300 L127.0.0.2
cli CONFIG RESETSTAT >/dev/null
drv get 192.0.2.1 zen.example,bl.example,wl.example,other.example \
	'L127.0.0.4 Listed by zen, see http://zen.example/?192.0.2.1|N|E|-'
MGET=$(cli INFO commandstats | sed -n 's/^cmdstat_mget:calls=\([0-9]*\),.*/\1/p')
rg_is "$MGET" 1 "one MGET served a four-source get (INFO commandstats)"
rg_is "$(cli INFO commandstats | grep -c '^cmdstat_get:')" 0 "no single GET was sent"
drv get 2001:db8::1 zen.example L127.0.0.2
rg_is "$(cli GET "$K:{2001:db8::1}:zen.example")" L127.0.0.2 "the key schema is prefix v2:c:{subject}:source"

T=$(cli TTL "$K:{192.0.2.1}:zen.example")
in_range "$T" 295 300; rg_ok $? "TTL set with EX: $T s of 300"
T=$(cli TTL "$K:{192.0.2.1}:bl.example")
in_range "$T" 55 60; rg_ok $? "TTL of the negative entry: $T s of 60"
drv put 192.0.2.2 zen.example 99999999 N
T=$(cli TTL "$K:{192.0.2.2}:zen.example")
in_range "$T" 604000 604800; rg_ok $? "a huge TTL is cut to 7 days: $T s"

# Garbage: a bad encoding, a bad octet, a wrong type (MGET reads it as nil).
cli SET "$K:{192.0.2.9}:zen.example" Xjunk >/dev/null
cli SET "$K:{192.0.2.9}:bl.example" L127.0.0.300 >/dev/null
cli RPUSH "$K:{192.0.2.9}:wl.example" x >/dev/null
drv get 192.0.2.9 zen.example,bl.example,wl.example '-|-|-'
drv stats
rg_is "$(stat_of garbage)" 2 "two unreadable values counted as garbage"
rg_is "$(count_in 'unreadable value' "$RUN/a.log")" 1 "garbage is logged once"

drv cancel 192.0.2.1 zen.example,bl.example
drv refree 192.0.2.1 zen.example,bl.example
drv get 2001:db8::1 zen.example L127.0.0.2

# Kill Redis while gets are in flight.
printf 'burst 1500 %s 192.0.2.1 zen.example,bl.example\n' $((TIMEOUT_MS + MARGIN_MS)) >&3
sleep 0.5
rg_stop "$PID_A"
drv_read
drv fail 192.0.2.1 zen.example $((TIMEOUT_MS + MARGIN_MS))
drv stats
DROPPED=$(stat_of dropped)
drv putonly 192.0.2.3 zen.example 60 N
drv stats
rg_is "$(stat_of dropped)" $((DROPPED + 1)) "a put while Redis is down is dropped and counted"

# Restart on the same port: the driver reconnects by itself.
rg_start_redis "$PORT"
drv up 10000
drv get 192.0.2.1 zen.example '-'
drv put 192.0.2.1 zen.example 300 'L127.0.0.4 back again'
drv get 192.0.2.1 zen.example,bl.example 'L127.0.0.4 back again|-'
drv stats
rg_is "$(stat_of reconnects)" 1 "one reconnection counted"
drv_stop a
rg_is "$(count_in 'connection lost' "$RUN/a.log")" 1 "exactly one 'connection lost' line"
rg_is "$(count_in 'connection is back' "$RUN/a.log")" 1 "exactly one 'back' line"
rg_like "$(grep 'connection lost' "$RUN/a.log")" \
	"warning: redis 127.0.0.1:$PORT: connection lost: .*, checks continue without the Redis cache" \
	"the lost line names the server and says checks continue"
rg_is "$(grep 'connection lost' "$RUN/a.log" | grep -c 'warning:')" 1 "it is a warning"
rg_is "$(grep 'connection is back' "$RUN/a.log" | grep -c 'notice:')" 1 "the back line is a notice"

# ---- B: prefix and database are respected --------------------------------
drv_start b --server "127.0.0.1:$PORT" --prefix other: --db 3 --timeout "$TIMEOUT_MS"
drv up 3000
drv get 192.0.2.1 zen.example '-'
drv put 192.0.2.7 zen.example 60 N
drv_stop b
rg_is "$(cli -n 3 EXISTS other:v2:c:{192.0.2.7}:zen.example)" 1 "the key is in db 3 under prefix other:"
rg_is "$(cli -n 0 EXISTS other:v2:c:{192.0.2.7}:zen.example)" 0 "and not in db 0"
rg_is "$(cli -n 3 DBSIZE)" 1 "db 3 holds only that key"

# ---- C: AUTH, a stopped (slow) Redis, and a wrong password ----------------
PORT2=$(rg_free_port)
PW="pw-$$-Zq8rT"
redis-server --bind 127.0.0.1 --port "$PORT2" --save '' --appendonly no --daemonize no \
	--dir "$RUN" --logfile "$RUN/redis-$PORT2.log" --requirepass "$PW" &
PID_P=$!
rg_track "$PID_P"
rg_wait_port "$PORT2" tcp || rg_bail "redis-server with a password did not start"
RG_REDIS_PASSWORD=$PW; export RG_REDIS_PASSWORD
drv_start c --server "127.0.0.1:$PORT2" --prefix rg: --timeout "$TIMEOUT_MS"
drv up 3000
drv put 192.0.2.1 zen.example 300 L127.0.0.2
drv get 192.0.2.1 zen.example L127.0.0.2
kill -STOP "$PID_P"
drv fail 192.0.2.1 zen.example $((TIMEOUT_MS + MARGIN_MS))
drv fail 192.0.2.1 zen.example $MARGIN_MS
drv stats
rg_is "$(stat_of timeouts)" 1 "the stopped Redis cost one timeout, later gets failed at once"
kill -CONT "$PID_P"
drv up 10000
drv get 192.0.2.1 zen.example L127.0.0.2
drv_stop c
rg_is "$(count_in "$PW" "$RUN/c.log")" 0 "the password never appears in the log"
rg_is "$(count_in 'connection lost' "$RUN/c.log")" 1 "one 'connection lost' for the stopped Redis"
rg_is "$(count_in 'connection is back' "$RUN/c.log")" 1 "one 'back' when it continued"

WRONG="wrong-$$-Xy7"
RG_REDIS_PASSWORD=$WRONG
drv_start d --server "127.0.0.1:$PORT2" --timeout "$TIMEOUT_MS"
unset RG_REDIS_PASSWORD
drv down 1500
drv fail 192.0.2.1 zen.example 50
drv_stop d
rg_is "$(grep -E 'warning:|error:' "$RUN/d.log" | grep -c 'AUTH refused')" 1 "a wrong password: one 'AUTH refused' line despite retries"
rg_like "$(grep 'AUTH refused' "$RUN/d.log")" 'error: .*AUTH refused.*retrying' "... an error, saying it retries"
rg_is "$(count_in "$WRONG" "$RUN/d.log")" 0 "the wrong password is not logged either"

# Redis comes back with another password: the reconnect's AUTH is refused.
RG_REDIS_PASSWORD=$PW; export RG_REDIS_PASSWORD
drv_start e --server "127.0.0.1:$PORT2" --timeout "$TIMEOUT_MS"
unset RG_REDIS_PASSWORD
drv up 3000
NEWPW="new-$$-Pq2"
redis-cli -h 127.0.0.1 -p "$PORT2" -a "$PW" --no-auth-warning CONFIG SET requirepass "$NEWPW" >/dev/null
redis-cli -h 127.0.0.1 -p "$PORT2" -a "$NEWPW" --no-auth-warning CLIENT KILL TYPE normal >/dev/null
drv fail 192.0.2.1 zen.example 1000	# the loop runs: the loss is seen
drv down 1500	# reconnects with backoff, every one refused
drv_stop e
rg_like "$(cat "$RUN/e.log")" "error: redis 127\.0\.0\.1:$PORT2: AUTH refused .*retrying" \
	"a password changed under a running cache: the refused AUTH on reconnect is an error"
rg_is "$(grep -E 'warning:|error:' "$RUN/e.log" | grep -c 'AUTH refused')" 1 "... logged once despite the retries"

rg_done
