#!/bin/sh
# milter-bench.sh - what relayguard-milter costs an MTA: a private Postfix
# (tests/data/postfix/milter-main.cf.in) relaying to smtp-sink, loaded with
# Postfix's smtp-source, with and without the milter in the same run.
#
#   1. throughput: smtp-source -s 16 -m N (1 kB messages), messages/s without
#      milter, with the milter on inet: and on unix: (warm cache), the same
#      with milter_early_accept = yes (early, early-unix), and the floor under
#      any milter, bench/milter/null-milter.c: null-full answers every event
#      relayguard-milter asks for, null-accept accepts at connect
#   2. 500 concurrent SMTP sessions through the milter: no session may fail
#   3. one session at a time (smtp-source -s 1 -m 200) without milter, inet:,
#      unix:: the milter must add under 1 ms per message, i.e. no 40 ms
#      Nagle/delayed-ACK quantum on inet:
#
# usage: bench/milter/milter-bench.sh [BUILD_DIR]   (root: Postfix needs it)
# Env: MESSAGES (default 2000), CONCURRENT (500), SERIAL (200), ROUNDS (5),
# SECTIONS (123: which of the three to run).
# Every server binds 127.0.0.1; everything runs in a temp folder and is
# stopped at exit (lib.sh).  The client address is 127.0.0.1, checked like
# any other (skip_special = no) and not listed: the engine answers from its
# cache after the first message.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$TOP}
top_srcdir=$TOP
top_builddir=$BUILD
export top_srcdir top_builddir
. "$TOP/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd postfix smtp-sink smtp-source
[ "$(id -u)" = 0 ] || { echo "milter-bench.sh: Postfix needs root" >&2; exit 1; }
MILTER="$BUILD/milter/relayguard-milter"
[ -x "$MILTER" ] || { echo "milter-bench.sh: $MILTER not built" >&2; exit 1; }
MESSAGES=${MESSAGES:-2000}
CONCURRENT=${CONCURRENT:-500}
SERIAL=${SERIAL:-200}
ROUNDS=${ROUNDS:-5}
SECTIONS=${SECTIONS:-123}
POSTFIX=$(command -v postfix || echo /usr/sbin/postfix)
POSTCONF=$(command -v postconf || echo /usr/sbin/postconf)
SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
SINK=$(command -v smtp-sink || echo /usr/sbin/smtp-sink)
ulimit -n 4096 2>/dev/null

cp "$TOP"/tests/data/engine/* "$RUN/"
chmod 644 "${RUN:?}"/*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" bl1.test:ip4set:bl1.ip4set bl1.test:generic:common.generic \
	bl2.test:ip4set:bl2.ip4set
MILTER_PORT=$(rg_free_port)
SMTP_PORT=$(rg_free_port)
SINK_PORT=$(rg_free_port)

# start_milter NAME SOCKET [EXTRA SETTING...]: one milter instance with its own config
start_milter() {
	_name=$1 _sock=$2
	shift 2
	{ cat <<CONF
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = bl1.test=127.0.0.[2..4]*2, bl2.test*1
dnsbl_threshold = 2
dnsbl_probe_interval = 0
skip_special = no
report_enable = no
report_spool = $RUN/spool-$_name
stats_dir = $RUN/stats-$_name
myhostname = mx.example
log_level = notice
milter_socket = $_sock
milter_pidfile = $RUN/$_name.pid
# Postfix's smtpd (user postfix) must reach the Unix socket (mode 0660, owned by user/group)
user = postfix
group = postfix
CONF
	for _line in "$@"; do echo "$_line"; done; } >"$RUN/$_name.conf"
	"$MILTER" -f -c "$RUN/$_name.conf" 2>"$RUN/$_name.log" &
	rg_track $!
}
EARLY_PORT=$(rg_free_port)
start_milter inet "inet:$MILTER_PORT@127.0.0.1"
start_milter unix "unix:$RUN/milter.sock"
start_milter early "inet:$EARLY_PORT@127.0.0.1" "milter_early_accept = yes"
start_milter early-unix "unix:$RUN/early.sock" "milter_early_accept = yes"
# The floor under any milter: null-milter.c decides nothing (see its header).
NULL_FULL_PORT=$(rg_free_port)
NULL_ACCEPT_PORT=$(rg_free_port)
cc -O2 -Wall -o "$RUN/null-milter" "$TOP/bench/milter/null-milter.c" -lmilter -lpthread ||
	{ echo "milter-bench.sh: cannot build null-milter.c (libmilter-dev)" >&2; exit 1; }
"$RUN/null-milter" full "inet:$NULL_FULL_PORT@127.0.0.1" 2>"$RUN/null-full.log" &
rg_track $!
"$RUN/null-milter" accept "inet:$NULL_ACCEPT_PORT@127.0.0.1" 2>"$RUN/null-accept.log" &
rg_track $!
for port in "$MILTER_PORT" "$EARLY_PORT" "$NULL_FULL_PORT" "$NULL_ACCEPT_PORT"; do
	rg_wait_port "$port" || { echo "a milter did not start on $port: $(cat "$RUN"/*.log)" >&2; exit 1; }
done
for _ in $(seq 1 100); do [ -S "$RUN/milter.sock" ] && [ -S "$RUN/early.sock" ] && break; sleep 0.1; done

"$SINK" -u postfix -c "127.0.0.1:$SINK_PORT" 1000 >"$RUN/sink.log" 2>&1 &
rg_track $!
rg_wait_port "$SINK_PORT" || { echo "smtp-sink did not start: $(cat "$RUN/sink.log")" >&2; exit 1; }

BASE="$RUN/postfix"
mkdir -p "$BASE/etc" "$BASE/spool" "$BASE/data"
sed -e "s|@BASE@|$BASE|g" -e "s|@SMTP_PORT@|$SMTP_PORT|g" -e "s|@SINK_PORT@|$SINK_PORT|g" \
	-e "s|@MILTER_PORT@|$MILTER_PORT|g" "$TOP/tests/data/postfix/milter-main.cf.in" >"$BASE/etc/main.cf"
sed -e "s|@SMTP_PORT@|$SMTP_PORT|g" "$TOP/tests/data/postfix/master.cf.in" >"$BASE/etc/master.cf"
# smtpd processes for the concurrent run
sed -i "s|^\(127.0.0.1:$SMTP_PORT inet  *n  *-  *n  *-  *\)-|\1$((CONCURRENT + 50))|" "$BASE/etc/master.cf"
chown postfix "$BASE/data"
touch "$BASE/maillog"
stop_postfix() {
	_master=$(tr -d ' ' <"$BASE/spool/pid/master.pid" 2>/dev/null)
	"$POSTFIX" -c "$BASE/etc" stop >/dev/null 2>&1
	for _ in $(seq 1 100); do
		[ -n "$_master" ] && kill -0 "$_master" 2>/dev/null || break
		sleep 0.1
	done
	rg_cleanup
}
trap stop_postfix EXIT
"$POSTFIX" -c "$BASE/etc" check || exit 1
"$POSTFIX" -c "$BASE/etc" start >/dev/null 2>&1 || exit 1
rg_wait_port "$SMTP_PORT"

# use_milter "" | inet | unix | early | early-unix | null-full | null-accept:
# point smtpd_milters at one milter, or none
use_milter() {
	case $1 in
	inet) _m="inet:127.0.0.1:$MILTER_PORT" ;;
	unix) _m="unix:$RUN/milter.sock" ;;
	early) _m="inet:127.0.0.1:$EARLY_PORT" ;;
	early-unix) _m="unix:$RUN/early.sock" ;;
	null-full) _m="inet:127.0.0.1:$NULL_FULL_PORT" ;;
	null-accept) _m="inet:127.0.0.1:$NULL_ACCEPT_PORT" ;;
	*) _m="" ;;
	esac
	"$POSTCONF" -c "$BASE/etc" -e "smtpd_milters = $_m"
	"$POSTFIX" -c "$BASE/etc" reload >/dev/null 2>&1
	sleep 2
}
# drain: wait (at most 120 s) until Postfix delivered everything to the sink,
# so that its queue manager does not compete with the next measurement
drain() {
	for _ in $(seq 1 1200); do
		"$POSTFIX" -c "$BASE/etc" status >/dev/null 2>&1 || return
		[ -z "$(find "$BASE/spool/active" "$BASE/spool/incoming" "$BASE/spool/deferred" -type f 2>/dev/null | head -1)" ] && return
		sleep 0.1
	done
}
# accepted: messages Postfix accepted so far (one cleanup message-id line each)
accepted() { grep -c 'cleanup.*message-id=' "$BASE/maillog"; }
# source_run LABEL SMTP-SOURCE-ARGS...: run it, print "LABEL: N msgs in T s = R msg/s (ms/msg)";
# RATE is R afterwards
source_run() {
	_label=$1; shift
	drain
	_before=$(accepted)
	_t0=$(date +%s.%N)
	"$SOURCE" "$@" -l 1024 -f s@example.org -t r@example.net "127.0.0.1:$SMTP_PORT" \
		>"$RUN/source.out" 2>&1
	_rc=$?
	_t1=$(date +%s.%N)
	sleep 1
	_n=$(( $(accepted) - _before ))
	_errors=$(grep -ciE 'warning|fatal|error|refused|[45][0-9][0-9] ' "$RUN/source.out")
	RATE=$(awk -v n="$_n" -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.1f", n / (b - a) }')
	awk -v l="$_label" -v n="$_n" -v a="$_t0" -v b="$_t1" -v rc="$_rc" -v e="$_errors" 'BEGIN {
		t = b - a; printf "%-34s %5d accepted in %6.2f s = %7.1f msg/s, %6.2f ms/msg (exit %d, %d client errors)\n",
			l, n, t, n / t, 1000 * t / (n > 0 ? n : 1), rc, e }'
	[ "$_errors" -eq 0 ] || sed 's/^/    /' "$RUN/source.out" | head -5
}

echo "# relayguard-milter benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, Postfix $("$POSTCONF" -d -h mail_version)"
use_milter inet
"$SOURCE" -s 1 -m 20 -l 1024 -f s@example.org -t r@example.net "127.0.0.1:$SMTP_PORT" >/dev/null 2>&1  # warm up

# want N: is section N in SECTIONS?
want() { case $SECTIONS in *"$1"*) return 0 ;; esac; return 1; }

if want 1; then
echo "## 1. throughput, 16 sessions, $MESSAGES messages of 1 kB, $ROUNDS rounds"
for round in $(seq 1 "$ROUNDS"); do
	for m in "" null-accept null-full inet unix early early-unix; do
		use_milter "$m"
		# warm the early instances' recent-client table (one session)
		case $m in early*) "$SOURCE" -s 1 -m 1 -l 1024 -f s@example.org -t r@example.net \
			"127.0.0.1:$SMTP_PORT" >/dev/null 2>&1 ;; esac
		source_run "${m:-no milter} (round $round)" -s 16 -m "$MESSAGES"
		printf '%s\t%s\t%s\n' "$round" "${m:-no milter}" "$RATE" >>"$RUN/throughput"
	done
done
# per milter: the median rate, and the median of its share of the no-milter
# rate of the same round (the machine's pace drifts between rounds)
echo "### medians over $ROUNDS rounds"
awk -F '\t' '{ rate[$1, $2] = $3; if ($2 == "no milter") base[$1] = $3
		if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 } rounds[$1] = 1 }
	# sorted(s): the numbers of s in ascending order, in a[1..k]; returns k
	function sorted(s, a,   k, i, j, t) {
		k = split(s, a, " ")
		for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		return k }
	END { for (i = 1; i <= n; i++) { r = s = ""
			for (k in rounds) { r = r " " rate[k, order[i]]; s = s " " 100 * rate[k, order[i]] / base[k] }
			kr = sorted(r, ra); ks = sorted(s, sa)
			printf "%-22s %7.1f msg/s  %5.1f%% of no milter (rounds: %.0f-%.0f%%)\n", order[i],
				ra[int((kr + 1) / 2)], sa[int((ks + 1) / 2)], sa[1], sa[ks] } }' \
	"$RUN/throughput"

fi

if want 2; then
echo "## 2. $CONCURRENT concurrent sessions through the milter"
for m in inet early; do
	use_milter "$m"
	source_run "$m x$CONCURRENT" -s "$CONCURRENT" -m "$((CONCURRENT * 2))"
done
echo "    milter/Postfix warnings: $(grep -cE '(warning|error|fatal):.*milter' "$BASE/maillog")"
fi

echo "## TCP_NODELAY on the inet: milter's sockets (copied with pidfd_getfd)"
/usr/bin/python3 "$TOP/bench/milter/nodelay.py" "$(cat "$RUN/inet.pid")" "$MILTER_PORT" ||
	echo "    TCP_NODELAY missing (or pidfd_getfd unavailable)"

if want 3; then
echo "## 3. one session at a time, $SERIAL messages (3 rounds, alternating)"
for round in 1 2 3; do
	for m in "" null-full inet unix early; do
		use_milter "$m"
		source_run "${m:-no milter} (round $round)" -s 1 -m "$SERIAL"
	done
done
echo "    milter/Postfix warnings: $(grep -cE '(warning|error|fatal):.*milter' "$BASE/maillog")"
fi
# BENCH_HOLD=SECONDS keeps everything running for a look with strace/ss.
if [ -n "${BENCH_HOLD:-}" ]; then
	echo "# holding: RUN=$RUN SMTP_PORT=$SMTP_PORT MILTER_PORT=$MILTER_PORT"
	use_milter inet
	sleep "$BENCH_HOLD"
fi
