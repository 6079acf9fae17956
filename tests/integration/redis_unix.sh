#!/bin/sh
# redis_unix.sh - redis_server = unix:/PATH, the way a single host often runs
# Redis (unixsocket, no TCP port at all), with every Redis client of
# relayguard on it: policyd's cache and report writer, relayguard-notify
# reading the stream and sending a notice, relayguard-ctl import, lists and
# queue.  A socket path that does not exist is a clear error at the
# programs that need Redis, and checks go on without it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
. "$RG_TOP_SRCDIR/tests/integration/lib_redis_clients.sh"
rg_require rbldnsd redis-server redis-cli
POLICYD="$RG_TOP_BUILDDIR/policy/relayguard-policyd"
NOTIFY="$RG_TOP_BUILDDIR/notify/relayguard-notify"
CTL="$RG_TOP_BUILDDIR/ctl/relayguard-ctl"
for b in "$POLICYD" "$NOTIFY" "$CTL"; do [ -x "$b" ] || rg_bail "$b not built"; done

rg_start_listing_zone unix.bl 198.51.100.0/24

SOCK="$RUN/redis.sock"
redis-server --port 0 --unixsocket "$SOCK" --unixsocketperm 700 --save '' --appendonly no \
	--daemonize no --dir "$RUN" --logfile "$RUN/redis.log" &
rg_track $!
for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || rg_bail "redis-server did not make $SOCK"
R() { redis-cli -s "$SOCK" "$@"; }
printf '198.51.100.0/24,Unix Net,abuse@unix.example\n' >"$RUN/owners.csv"

conf() {	# conf FILE REDIS_SERVER [LINES]
	cat >"$1" <<CONF
allow_root = yes
myhostname = mx.unix.example
dns_servers = 127.0.0.1:$DNS
dnsbl_sites = unix.bl
dnsbl_timeout = 2s
redis_server = $2
redis_timeout = 300ms
redis_prefix = ux:
report_enable = yes
report_spool = $RUN/spool-$(basename "$1" .conf)
log_level = info
$(rg_notify_lines unix.example)
${3:-}
CONF
}
PP=$(rg_free_port)
conf "$RUN/p.conf" "unix:$SOCK" "$(rg_policyd_lines p "$PP")"
rg_start_policyd p "$PP"
for _ in $(seq 1 50); do grep -q "redis unix:$SOCK: connected" "$RUN/p.log" && break; sleep 0.1; done
rg_like "$(cat "$RUN/p.log")" "redis unix:$SOCK: connected" "policyd connects to Redis over its unix socket"

rg_redis_clients_check "$PP" ux: unix.bl unix.example "over the socket"

# A socket that is not there: a clear error, and no hang.
conf "$RUN/gone.conf" "unix:$RUN/nothing.sock"
"$CTL" -c "$RUN/gone.conf" queue >"$RUN/gone.out" 2>&1
rg_ok $((! $?)) "relayguard-ctl queue with a socket that does not exist fails"
rg_like "$(cat "$RUN/gone.out")" "nothing.sock.*(No such file|cannot connect)|(No such file|cannot connect).*nothing.sock" \
	"and names the socket and why: $(head -c 200 "$RUN/gone.out")"
"$NOTIFY" -c "$RUN/gone.conf" --once --consumer u >"$RUN/gone-notify.out" 2>&1
rg_ok $((! $?)) "relayguard-notify with a socket that does not exist fails"
rg_like "$(cat "$RUN/gone-notify.out")" "error: redis unix:.*/nothing.sock: No such file or directory" "and logs an error that names the socket and why"
rg_done
