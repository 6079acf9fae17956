# lib.sh - shared helpers for integration tests (sourced, POSIX sh + bash).
#
# Each test gets a private run folder ($RUN) and starts the real servers it
# needs on loopback high ports chosen free at run time.  Every server started
# here is recorded by PID and stopped by rg_cleanup, which runs on exit,
# also when the test fails.  Nothing here kills a process it did not start.
#
# TAP: rg_ok COND_STATUS "name", rg_skip_all "why", rg_done.

set -u

RG_TOP_SRCDIR=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
RG_TOP_BUILDDIR=${top_builddir:-$RG_TOP_SRCDIR}
# python3 (Debian's, else the one on PATH), and the policy-protocol client
# the policy tests speak through ($CLIENT ask PORT ATTR=VALUE...).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
CLIENT="$PY $RG_TOP_SRCDIR/tests/integration/policy_client.py"
RUN=$(mktemp -d "${TMPDIR:-/tmp}/relayguard-test.XXXXXX")
# Every test writes under $RUN: without it, stop before touching anything.
if [ -z "$RUN" ] || [ ! -d "$RUN" ]; then
	echo "Bail out! cannot make a run folder under ${TMPDIR:-/tmp}"
	exit 99
fi
chmod 755 "$RUN"
RG_PIDS=""
RG_TESTS=0
RG_FAILED=0

rg_cleanup() {
	for pid in $RG_PIDS; do
		kill "$pid" 2>/dev/null
	done
	for pid in $RG_PIDS; do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	done
	if [ -n "${RG_KEEP_RUN:-}" ]; then
		echo "# run folder kept: $RUN"
	else
		rm -rf "${RUN:?}"
	fi
}
trap rg_cleanup EXIT
trap 'exit 1' INT TERM

# RG_VALGRIND=1: every daemon (policyd, milter, notify) runs under valgrind
# memcheck.  The test sees a shadow build folder whose daemon binaries are
# wrappers around the real ones (everything else is a symbolic link), so
# tests need no change.  Each daemon writes $RUN/valgrind.PID.log; rg_done
# stops the daemons still running and fails the test if any log holds an
# error or a definite leak.  Not for ASan builds (valgrind cannot run them).
RG_VG_WAIT=100
rg_valgrind_setup() {
	command -v valgrind >/dev/null 2>&1 || rg_bail "RG_VALGRIND=1 but valgrind is not installed"
	_real=$(cd "$RG_TOP_BUILDDIR" && pwd)
	_shadow="$RUN/vg-build"
	mkdir -p "$_shadow"
	for _e in "$_real"/* "$_real"/.[!.]*; do
		[ -e "$_e" ] || continue
		case ${_e##*/} in policy | milter | notify) ;; *) ln -s "$_e" "$_shadow/" ;; esac
	done
	for _d in policy milter notify; do
		[ -d "$_real/$_d" ] || continue
		mkdir -p "$_shadow/$_d"
		for _e in "$_real/$_d"/* "$_real/$_d"/.[!.]*; do
			[ -e "$_e" ] && ln -s "$_e" "$_shadow/$_d/"
		done
		_bin="$_real/$_d/relayguard-$_d"
		[ "$_d" = policy ] && _bin="$_real/policy/relayguard-policyd"
		[ -x "$_bin" ] || continue
		grep -q __asan_init "$_bin" && rg_bail "RG_VALGRIND=1 needs a build without sanitizers"
		rm -f "$_shadow/$_d/${_bin##*/}"
		cat >"$_shadow/$_d/${_bin##*/}" <<WRAP
#!/bin/sh
exec valgrind -q --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--error-exitcode=99 --log-file="$RUN/valgrind.%p.log" "$_bin" "\$@"
WRAP
		chmod 755 "$_shadow/$_d/${_bin##*/}"
	done
	RG_TOP_BUILDDIR=$_shadow
	RG_VG_WAIT=600		# valgrind starts slowly: rg_wait_port waits up to 60 s
}
# rg_valgrind_check: stop what is still running (so that valgrind writes its
# leak report) and add one check: no valgrind log holds anything.
rg_valgrind_check() {
	for pid in $RG_PIDS; do kill "$pid" 2>/dev/null; done
	for pid in $RG_PIDS; do
		for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	done
	_bad=""
	for _l in "$RUN"/valgrind.*.log; do
		[ -s "$_l" ] && _bad="$_bad $_l"
	done
	[ -z "$_bad" ]
	rg_ok $? "valgrind: no memory error, no definite leak in $(ls "$RUN"/valgrind.*.log 2>/dev/null | wc -l) daemon runs"
	for _l in $_bad; do sed 's/^/# /' "$_l" | head -40; done
}

# Record a PID we started so that cleanup stops it.
rg_track() { RG_PIDS="$RG_PIDS $1"; }

# rg_free_port: print a loopback TCP+UDP port nothing listens on.
rg_free_port() {
	python3 - <<'PY' 2>/dev/null || /usr/bin/python3 - <<'PY'
import socket
while True:
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close(); u.close(); continue
    t.close(); u.close()
    print(port)
    break
PY
import socket
t = socket.socket(); t.bind(("127.0.0.1", 0)); print(t.getsockname()[1])
PY
}

# rg_wait_port PORT [tcp|udp]: wait up to 10 s for something to listen.
rg_wait_port() {
	_proto=${2:-tcp}
	for _ in $(seq 1 "$RG_VG_WAIT"); do
		if [ "$_proto" = udp ]; then
			ss -Hlun "sport = :$1" 2>/dev/null | grep -q . && return 0
		else
			ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		fi
		sleep 0.1
	done
	return 1
}

# rg_wait_file FILE: wait (10 s, 60 s under valgrind) for FILE to be non-empty
# (a pid file is written after the socket listens).
rg_wait_file() {
	for _ in $(seq 1 "$RG_VG_WAIT"); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# TAP output --------------------------------------------------------------
rg_ok() {	# rg_ok STATUS "description"   (STATUS 0 = pass)
	RG_TESTS=$((RG_TESTS + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $RG_TESTS - $2"
	else
		RG_FAILED=$((RG_FAILED + 1))
		echo "not ok $RG_TESTS - $2"
	fi
}
rg_is() {	# rg_is GOT WANT "description"
	if [ "$1" = "$2" ]; then
		rg_ok 0 "$3"
	else
		rg_ok 1 "$3"
		echo "#   got:      '$1'"
		echo "#   expected: '$2'"
	fi
}
rg_like() {	# rg_like GOT REGEX "description"
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		rg_ok 0 "$3"
	else
		rg_ok 1 "$3"
		echo "#   got:      '$1'"
		echo "#   expected to match: '$2'"
	fi
}
rg_skip() {	# rg_skip N "why": N checks not run (in CI: failures)
	_n=$1
	while [ "$_n" -gt 0 ]; do
		RG_TESTS=$((RG_TESTS + 1))
		if [ -n "${CI:-}" ]; then
			RG_FAILED=$((RG_FAILED + 1))
			echo "not ok $RG_TESTS - skipped in CI: $2"
		else
			echo "ok $RG_TESTS # SKIP $2"
		fi
		_n=$((_n - 1))
	done
}
rg_skip_all() { echo "1..0 # SKIP $1"; exit 0; }
rg_bail() { echo "Bail out! $1"; exit 1; }
rg_done() {
	[ "$RG_VG_WAIT" -gt 100 ] && rg_valgrind_check
	echo "1..$RG_TESTS"
	[ "$RG_FAILED" -eq 0 ]
}

# rg_require CMD...: without the command the test cannot run.  In CI (CI set)
# that is a failure, not a skip: .ci/run installs every package.
rg_require() {
	for _cmd in "$@"; do
		if ! command -v "$_cmd" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$_cmd" ]; then
			if [ -n "${CI:-}" ]; then
				rg_bail "$_cmd not installed (CI must install it)"
			fi
			rg_skip_all "$_cmd not installed"
		fi
	done
}

# Servers -----------------------------------------------------------------

# rg_start_rbldnsd PORT ZONESPEC...: rbldnsd on 127.0.0.1:PORT (UDP+TCP),
# every query logged to $RUN/rbldnsd.log (one line per query).
# Dataset files must be readable by the rbldns user: keep them under $RUN.
rg_start_rbldnsd() { rg_start_rbldnsd_as rbldnsd "$@"; }

# rg_start_listing_zone ZONE NETWORK: rbldnsd on a free port (in $DNS)
# serving the one ip4set zone ZONE, which lists NETWORK and the RFC 5782
# test address 127.0.0.2, each with "Listed in ZONE" (file $RUN/ZONE.ip4set).
rg_start_listing_zone() {
	printf ':127.0.0.2:Listed in %s\n%s\n127.0.0.2\n' "$1" "$2" >"$RUN/$1.ip4set"
	chmod 644 "$RUN/$1.ip4set"
	DNS=$(rg_free_port)
	rg_start_rbldnsd "$DNS" "$1:ip4set:$1.ip4set"
}

# rg_start_rbldnsd_as NAME PORT ZONESPEC...: the same, for a test that runs
# more than one: $RUN/NAME.log (the queries), NAME.pid, NAME.err.
# RG_RBLDNSD_PID is the PID of the last one started.
rg_start_rbldnsd_as() {
	_name=$1 _port=$2; shift 2
	rg_require rbldnsd
	_bin=$(command -v rbldnsd || echo /usr/sbin/rbldnsd)
	_user=rbldns
	id rbldns >/dev/null 2>&1 || _user=nobody
	( cd "$RUN" && exec "$_bin" -n -u "$_user" -b "127.0.0.1/$_port" -4 -t 60 -c 0 \
		-p "$RUN/$_name.pid" -l +- "$@" >"$RUN/$_name.log" 2>"$RUN/$_name.err" ) &
	RG_RBLDNSD_PID=$!
	rg_track "$RG_RBLDNSD_PID"
	rg_wait_port "$_port" udp || rg_bail "rbldnsd $_name did not start: $(cat "$RUN/$_name.err")"
}

# rg_start_redis PORT: a throwaway redis-server on 127.0.0.1:PORT.
rg_start_redis() {
	rg_require redis-server
	redis-server --bind 127.0.0.1 --port "$1" --save '' --appendonly no --daemonize no \
		--dir "$RUN" --logfile "$RUN/redis-$1.log" &
	RG_REDIS_PID=$!
	rg_track "$RG_REDIS_PID"
	rg_wait_port "$1" tcp || rg_bail "redis-server did not start"
}

# rg_policyd_lines NAME PORT: the lines of a test configuration that make
# a policyd named NAME listen on 127.0.0.1:PORT (one worker, pidfile in $RUN).
rg_policyd_lines() {
	printf 'policy_listen = inet:%s@127.0.0.1\npolicy_allowed_clients = 127.0.0.1/32\n' "$2"
	printf 'policy_pidfile = %s/%s.pid\npolicy_workers = 1\n' "$RUN" "$1"
}

# rg_notify_lines DOMAIN: the relayguard-notify lines of a test configuration:
# owners from $RUN/owners.csv, a notice at 3 hits a day, from
# rg-reports@DOMAIN into the outbox $RUN/outbox, state in $RUN/state.
rg_notify_lines() {
	printf 'owners_db = %s/owners.csv\nnotify_min_hits = 3\nnotify_window = 1d\nnotify_interval = 30d\n' "$RUN"
	printf 'notify_from = rg-reports@%s\nnotify_template = %s/conf/notice.txt\n' "$1" "$RG_TOP_SRCDIR"
	printf 'notify_transport = outbox:%s/outbox\nnotify_state_dir = %s/state\n' "$RUN" "$RUN"
}

# rg_start_policyd NAME PORT: relayguard-policyd -f on $RUN/NAME.conf (which
# has rg_policyd_lines NAME PORT), its log in $RUN/NAME.log, tracked; returns
# when PORT answers (bails out with its log when it does not).
rg_start_policyd() {
	"$RG_TOP_BUILDDIR/policy/relayguard-policyd" -f -c "$RUN/$1.conf" 2>"$RUN/$1.log" &
	rg_track $!
	rg_wait_port "$2" || rg_bail "policyd $1 did not start: $(cat "$RUN/$1.log")"
}

# rg_redis_cli_pw PASSWORD ARGS...: redis-cli, with AUTH PASSWORD unless it is empty.
rg_redis_cli_pw() {
	_pw=$1
	shift
	if [ -n "$_pw" ]; then
		redis-cli -a "$_pw" --no-auth-warning "$@"
	else
		redis-cli "$@"
	fi
}

# rg_stop PID: stop one server we started, and wait for it.
rg_stop() {
	kill "$1" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$1" 2>/dev/null
}

# rg_start_sink: smtp-sink on 127.0.0.1:$SINK_PORT, every message to a file
# in $RUN/sink.
rg_start_sink() {
	rg_require smtp-sink
	_sink=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
	mkdir -p "$RUN/sink"
	chown postfix "$RUN/sink"
	"$_sink" -u postfix -c -d "$RUN/sink/%Y%m%d%H%M%S." "127.0.0.1:$SINK_PORT" 64 >"$RUN/sink.log" 2>&1 &
	rg_track $!
	rg_wait_port "$SINK_PORT" || rg_bail "smtp-sink did not start"
}

# rg_wait_sink PATTERN: wait up to 30 s for a sink file holding PATTERN;
# print its name.
rg_wait_sink() {
	for _ in $(seq 1 300); do
		_f=$(grep -l -- "$1" "$RUN"/sink/* 2>/dev/null | head -1)
		[ -n "$_f" ] && { echo "$_f"; return 0; }
		sleep 0.1
	done
	return 1
}

# rg_start_postfix MAIN_TEMPLATE: a private Postfix instance in $BASE
# ($RUN/postfix) from tests/data/postfix/MAIN_TEMPLATE and master.cf.in,
# with @BASE@, @SMTP_PORT@, @SINK_PORT@, @MILTER_PORT@ and @POLICY_PORT@
# taken from the variables of those names.  Needs root.  It is stopped
# (postfix stop) on exit, before the generic cleanup.
rg_start_postfix() {
	rg_require postfix
	POSTFIX=$(command -v postfix || echo /usr/sbin/postfix)
	BASE="$RUN/postfix"
	mkdir -p "$BASE/etc" "$BASE/spool" "$BASE/data"
	for _t in "$1:main.cf" "master.cf.in:master.cf"; do
		sed -e "s|@BASE@|$BASE|g" -e "s|@SMTP_PORT@|${SMTP_PORT:-}|g" \
			-e "s|@SINK_PORT@|${SINK_PORT:-}|g" -e "s|@MILTER_PORT@|${MILTER_PORT:-}|g" \
			-e "s|@POLICY_PORT@|${POLICY_PORT:-}|g" \
			"$RG_TOP_SRCDIR/tests/data/postfix/${_t%%:*}" >"$BASE/etc/${_t#*:}"
	done
	chown postfix "$BASE/data"
	touch "$BASE/maillog"
	trap rg_stop_postfix EXIT
	"$POSTFIX" -c "$BASE/etc" check >"$RUN/postfix-check.log" 2>&1 ||
		rg_bail "postfix check: $(cat "$RUN/postfix-check.log")"
	"$POSTFIX" -c "$BASE/etc" start >"$RUN/postfix-start.log" 2>&1 ||
		rg_bail "postfix start: $(cat "$RUN/postfix-start.log") $(tail -3 "$BASE/maillog")"
	rg_wait_port "$SMTP_PORT" || rg_bail "Postfix did not listen on $SMTP_PORT"
}

rg_stop_postfix() {
	"$POSTFIX" -c "$BASE/etc" stop >/dev/null 2>&1
	for _ in $(seq 1 50); do
		[ -e "$BASE/spool/pid/master.pid" ] &&
			kill -0 "$(tr -d ' ' <"$BASE/spool/pid/master.pid")" 2>/dev/null || break
		sleep 0.1
	done
	rg_cleanup
}

# last: it needs the helpers above
if [ -n "${RG_VALGRIND:-}" ] && [ "$RG_VALGRIND" != 0 ]; then rg_valgrind_setup; fi
