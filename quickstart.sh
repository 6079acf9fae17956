#!/usr/bin/env bash
# quickstart.sh - install what relayguard needs, build it, and run or test it.
#
#   ./quickstart.sh run    install deps if missing, build, run relayguard in the
#                          foreground on a DEMO configuration (conf/demo: a
#                          list of documentation addresses, no Redis), show
#                          one request refused and one passed, and log every
#                          decision to the terminal
#   ./quickstart.sh test   install deps if missing, build (warnings are errors),
#                          run every test, then again under ASan+UBSan, then
#                          every libFuzzer target briefly in a clang build whose
#                          every object is instrumented (make fuzz-smoke); the
#                          last line is "N passed, N failed, N skipped"
#
# Debian 12; run as root, or with sudo available for the package step.
set -euo pipefail
cd "$(dirname "$0")"
TOP=$(pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

# Packages to build and to test (the tests start real servers).
BUILD_PKGS="build-essential autoconf automake libtool pkg-config
  libmilter-dev libspf2-dev libhiredis-dev libc-ares-dev libevent-dev"
# nc, for the request the run command suggests
RUN_PKGS="netcat-openbsd"
# tinyproxy, dante-server: proxies for tests/integration/probe.sh, started by the test itself
# inside a private network namespace (their system services are not used).
# chromium: tests/integration/report_html.sh renders relayguard-ctl report --html headless.
TEST_PKGS="redis-server redis-tools redis-sentinel rbldnsd postfix swaks miltertest bind9-dnsutils
  python3 iproute2 procps valgrind libsisimai-perl python3-jsonschema clang libclang-rt-14-dev curl prometheus
  tinyproxy dante-server chromium"
# The Debian packaging test (tests/integration/debian_pkg.sh): build, lint,
# check the systemd units (systemd-analyze, which calls man for Documentation=).
PKG_PKGS="debhelper lintian systemd man-db"

need_pkgs() {
	local missing=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	echo "$missing"
}

install_pkgs() {
	local missing
	# shellcheck disable=SC2086
	missing=$(need_pkgs $*)
	[ -z "$missing" ] && return 0
	echo "quickstart: installing:$missing" >&2
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -q
	# Postfix must not ask questions nor configure the system instance: the
	# tests run a private instance of their own.
	echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
	# prometheus is here for promtool only: a server its package started is not ours to keep
	local pid
	for pid in $(pgrep -x prometheus 2>/dev/null); do
		case " $missing " in *" prometheus "*) $sudo kill "$pid" ;; esac
	done
	stop_system_sentinel
}

# redis-sentinel's package may start the system Sentinel (port 26379); the
# tests start Sentinels of their own.  Stop it by the PID it recorded.
stop_system_sentinel() {
	local pidfile=/run/sentinel/redis-sentinel.pid sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	if [ -s "$pidfile" ]; then
		$sudo kill "$(cat "$pidfile")" 2>/dev/null || true
	fi
}

# build DIR CONFIGURE-ARGS...: out-of-tree build under $TOP/DIR.
build() {
	local dir=$1
	shift
	[ -x configure ] || ./autogen.sh >/dev/null
	mkdir -p "$dir"
	(cd "$dir" && { [ -f Makefile ] || "$TOP/configure" -q "$@"; } && make -j"$JOBS" >/dev/null)
}

# Count TAP results of every .trs file under the given build folders.
summarize() {
	local pass=0 fail=0 skip=0 n
	for dir in "$@"; do
		n=$(find "$dir" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c '^:test-result: PASS' || true)
		pass=$((pass + n))
		n=$(find "$dir" -name '*.trs' -exec cat {} + 2>/dev/null | grep -cE '^:test-result: (FAIL|ERROR|XPASS)' || true)
		fail=$((fail + n))
		n=$(find "$dir" -name '*.trs' -exec cat {} + 2>/dev/null | grep -c '^:test-result: SKIP' || true)
		skip=$((skip + n))
	done
	# In CI a skip means a missing server or package: it counts as a failure.
	if [ -n "${CI:-}" ] && [ "$skip" -gt 0 ]; then
		echo "quickstart: $skip test(s) skipped in CI; counted as failed" >&2
		fail=$((fail + skip))
	fi
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
}

# check DIR [TARGET]: run the test suite of one build (TARGET: check, or
# fuzz-smoke); show the logs of what failed.
check() {
	local dir=$1 target=${2:-check} rc=0
	find "$dir" -name '*.trs' -delete 2>/dev/null || true
	(cd "$dir" && make -j"$JOBS" "$target" >"$dir/check.out" 2>&1) || rc=1
	grep -E '^(PASS|FAIL|ERROR|SKIP|XPASS|XFAIL):' "$dir/check.out" | grep -vE '^PASS:' || true
	if [ $rc -ne 0 ]; then
		echo "quickstart: failures in $dir; their logs:" >&2
		for log in $(grep -lE '^(not ok|Bail out)' $(find "$dir" -name '*.log' ! -name test-suite.log ! -name config.log) 2>/dev/null); do
			echo "---- $log" >&2
			tail -n 60 "$log" >&2
		done
		tail -n 30 "$dir/check.out" >&2
	fi
	return $rc
}

# run_tap DIR SCRIPT [LOGDIR]: run one TAP test script of the build in DIR
# outside make check (through Automake's driver, so that its .log and .trs
# land in LOGDIR, by default DIR, like the others and summarize counts it).
run_tap() {
	local dir=$1 script=$2 logs=${3:-$1} name
	name=${script%.sh}
	mkdir -p "$logs/$(dirname "$script")"
	echo "quickstart: $script" >&2
	if ! env top_srcdir="$TOP" top_builddir="$dir" AM_TAP_AWK=awk \
		bash "$TOP/build-aux/tap-driver.sh" --test-name "$script" \
		--log-file "$logs/$name.log" --trs-file "$logs/$name.trs" \
		--color-tests no --enable-hard-errors yes --expect-failure no \
		-- bash "$TOP/$script" >/dev/null; then
		echo "quickstart: failures in $script; its log:" >&2
		tail -n 60 "$logs/$name.log" >&2
		return 1
	fi
}

# The main job on the DEMO configuration (conf/demo: one local list of
# documentation addresses, no Redis, no DNS): the milter and the policy
# server in the foreground, every decision logged to the terminal.  The
# compiled-in defaults check nothing, and stay so: a production server must
# not refuse mail because of a demo, so the demo is a file given with -c.
# Two requests are sent at start (one refused, one passed) and the commands
# to repeat them are printed.  Ctrl-C stops both and ends with status 0.
# RELAYGUARD_POLICY_PORT / RELAYGUARD_MILTER_PORT move the ports.
RUN_MILTER_PID=""
RUN_POLICY_PID=""
stop_daemons() {
	local pid
	for pid in $RUN_POLICY_PID $RUN_MILTER_PID; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	RUN_POLICY_PID=""
	RUN_MILTER_PID=""
}
# demo_request PORT ADDRESS: one policy request for ADDRESS, its answer.
demo_request() {
	printf 'request=smtpd_access_policy\nprotocol_state=RCPT\nclient_address=%s\n\n' "$2" |
		nc -N 127.0.0.1 "$1" | head -n 1
}
run_main() {
	local b="$TOP/build" rc=0 conf pport=${RELAYGUARD_POLICY_PORT:-10040}
	local mport=${RELAYGUARD_MILTER_PORT:-10041} nc_cmd ctl_cmd
	conf=$("$TOP/conf/demo/render.sh" "$b/demo" "$pport" "$mport")
	echo "quickstart: relayguard on the DEMO configuration $conf" >&2
	echo "quickstart:   it checks conf/demo/demo.ip4set only: documentation addresses, NOT a real blacklist" >&2
	echo "quickstart:   Postfix:  check_policy_service inet:127.0.0.1:$pport" >&2
	echo "quickstart:   milter:   smtpd_milters = inet:127.0.0.1:$mport (Sendmail: conf/sendmail.mc.snippet)" >&2
	# The traps are global and so are the PIDs they need: a local would be
	# gone by the time the EXIT trap runs (set -u: "unbound variable").
	trap stop_daemons EXIT
	trap 'stop_daemons; echo "quickstart: stopped" >&2; exit 0' INT TERM
	"$b/milter/relayguard-milter" -f -c "$conf" &
	RUN_MILTER_PID=$!
	"$b/policy/relayguard-policyd" -f -c "$conf" &
	RUN_POLICY_PID=$!
	for _ in $(seq 1 100); do
		(: <"/dev/tcp/127.0.0.1/$pport") 2>/dev/null && break
		kill -0 "$RUN_POLICY_PID" 2>/dev/null || break
		sleep 0.1
	done
	nc_cmd="printf 'request=smtpd_access_policy\\nprotocol_state=RCPT\\nclient_address=ADDRESS\\n\\n' | nc -N 127.0.0.1 $pport"
	ctl_cmd="$b/ctl/relayguard-ctl -c $conf check ADDRESS"
	if kill -0 "$RUN_POLICY_PID" 2>/dev/null; then
		echo "quickstart: demo: 192.0.2.1 (listed)      -> $(demo_request "$pport" 192.0.2.1)" >&2
		echo "quickstart: demo: 198.51.100.7 (unlisted) -> $(demo_request "$pport" 198.51.100.7)" >&2
		echo "quickstart: see it again (192.0.2.1 is refused, 198.51.100.7 passes):" >&2
		echo "    ${nc_cmd/ADDRESS/192.0.2.1}" >&2
		echo "    ${nc_cmd/ADDRESS/198.51.100.7}" >&2
		echo "    ${ctl_cmd/ADDRESS/192.0.2.1}" >&2
		echo "    ${ctl_cmd/ADDRESS/198.51.100.7}" >&2
		echo "quickstart: Ctrl-C stops both daemons" >&2
	fi
	wait "$RUN_POLICY_PID" || rc=$?
	RUN_POLICY_PID=""
	stop_daemons
	return $rc
}

cmd=${1:-}
case "$cmd" in
run)
	# shellcheck disable=SC2086
	install_pkgs $BUILD_PKGS $RUN_PKGS
	build build --enable-werror
	run_main
	;;
test)
	# shellcheck disable=SC2086
	install_pkgs $BUILD_PKGS $TEST_PKGS $PKG_PKGS
	rc=0
	build build --enable-werror
	check "$TOP/build" || rc=1
	build build-san --enable-werror --enable-sanitizers
	check "$TOP/build-san" || rc=1
	# The Debian packages: built, installed, started and purged once.
	run_tap "$TOP/build" tests/integration/debian_pkg.sh || rc=1
	# valgrind memcheck on the daemons through a subset of the integration
	# tests (RG_VALGRIND, tests/integration/lib.sh; doc/ROBUSTNESS.md): no
	# memory error, no definite leak.  About 3.5 minutes on 2 cores.
	rm -rf "${TOP:?}/build-vg"
	for t in policyd milter notify doors health; do
		RG_VALGRIND=1 run_tap "$TOP/build" "tests/integration/$t.sh" "$TOP/build-vg" || rc=1
	done
	# the fuzz targets, a few seconds each (about 3 minutes on 2 cores); their
	# TAP results count in the line below like every other test
	build build-fuzz --enable-fuzzing CC=clang
	check "$TOP/build-fuzz" fuzz-smoke || rc=1
	summarize "$TOP/build" "$TOP/build-san" "$TOP/build-vg" "$TOP/build-fuzz" || rc=1
	exit $rc
	;;
*)
	echo "usage: $0 run|test" >&2
	exit 2
	;;
esac
