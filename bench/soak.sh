#!/bin/sh
# soak.sh - relayguard-policyd and relayguard-milter under mixed load for a
# long time, with Redis restarted every REDIS_EVERY seconds and both daemons
# sent SIGHUP every HUP_EVERY seconds.  Not part of make check.
#
#   policy: bench/policy_load, POLICY_CONNS connections, addresses from
#           tests/data/engine (listed and unlisted, v4 and v6), in rounds of
#           ROUND seconds (new connections each round);
#   milter: a private Postfix (tests/data/postfix/milter-main.cf.in) with the
#           milter, loaded by smtp-source (-s MILTER_SESSIONS) in rounds;
#   every SAMPLE seconds: VmRSS and the number of open descriptors
#           (/proc/PID/fd) of both daemons, to $RUN/samples (and stdout).
#
# Passes when: no policy request failed (policy_load errors=0 every round),
# no milter session failed (every message smtp-source sent was accepted,
# no "warning: milter" and no 4xx/5xx in Postfix's log or smtp-source's
# output), RSS at the end is within 10% of RSS after the first minute, and
# the descriptor count at the end is within FD_SLACK of the count after the
# first minute (both sampled under load: the load's own connections come
# and go between rounds).
#
# RSS "after the first minute" and "at the end" are each the highest sample
# of a minute (60-120 s, and the last 60 s), with caches warm: a reload
# starts every engine with an empty cache whose table is touched again as
# requests arrive, and policyd's workers each have one (1 MiB of buckets at
# the default cache_size) that is touched only once a connection lands on
# that worker, so a single sample reads up to 1 MiB per worker lower by
# chance.  SIGHUPs come half way between samples (HUP_EVERY/2, then every
# HUP_EVERY), so that no sample falls on a reload.  The single samples at
# 60 s and at the end are printed too.
#
# usage: bench/soak.sh [BUILD_DIR]     (root: Postfix needs it)
# Env: SOAK_SECONDS (600), HUP_EVERY (30), REDIS_EVERY (60), ROUND (10),
#      POLICY_CONNS (8), MILTER_SESSIONS (8), SAMPLE (10), FD_SLACK (8).
# Everything binds 127.0.0.1 and runs in a temp folder, stopped at exit.
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$TOP}
top_srcdir=$TOP
top_builddir=$BUILD
export top_srcdir top_builddir
. "$TOP/tests/integration/lib.sh" || { echo "Bail out! cannot read tests/integration/lib.sh"; exit 99; }
rg_require rbldnsd redis-server postfix smtp-sink smtp-source
[ "$(id -u)" = 0 ] || { echo "soak.sh: Postfix needs root" >&2; exit 1; }
POLICYD="$BUILD/policy/relayguard-policyd"
MILTER="$BUILD/milter/relayguard-milter"
LOAD="$BUILD/bench/policy_load"
for b in "$POLICYD" "$MILTER" "$LOAD"; do
	[ -x "$b" ] || { echo "soak.sh: $b not built (make -C $BUILD all bench/policy_load)" >&2; exit 1; }
done
SOAK_SECONDS=${SOAK_SECONDS:-600}
HUP_EVERY=${HUP_EVERY:-30}
REDIS_EVERY=${REDIS_EVERY:-60}
ROUND=${ROUND:-10}
POLICY_CONNS=${POLICY_CONNS:-8}
MILTER_SESSIONS=${MILTER_SESSIONS:-8}
SAMPLE=${SAMPLE:-10}
FD_SLACK=${FD_SLACK:-8}
SOURCE=$(command -v smtp-source || echo /usr/sbin/smtp-source)
ulimit -n 4096 2>/dev/null

cp "$TOP"/tests/data/engine/* "$RUN/"
chmod 644 "${RUN:?}"/*
DNS_PORT=$(rg_free_port)
rg_start_rbldnsd "$DNS_PORT" bl1.test:ip4set:bl1.ip4set bl1.test:generic:common.generic \
	bl2.test:ip4set:bl2.ip4set
REDIS_PORT=$(rg_free_port)
rg_start_redis "$REDIS_PORT"
POLICY_PORT=$(rg_free_port)
MILTER_PORT=$(rg_free_port)
SMTP_PORT=$(rg_free_port)
SINK_PORT=$(rg_free_port)

# addresses: listed ones from the datasets and unlisted neighbours
{
	grep -hoE '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' "$RUN"/bl1.ip4set "$RUN"/bl2.ip4set | head -200
	for i in $(seq 1 200); do echo "198.51.100.$((i % 250 + 1))"; echo "203.0.113.$((i % 250 + 1))"; done
} >"$RUN/addrs"

cat >"$RUN/rg.conf" <<CONF
dns_servers = 127.0.0.1:$DNS_PORT
dnsbl_sites = bl1.test*2, bl2.test*1
dnsbl_threshold = 2
dnsbl_timeout = 3s
dnsbl_probe_interval = 0
redis_server = 127.0.0.1:$REDIS_PORT
redis_timeout = 500ms
report_enable = no
report_spool = $RUN/spool
stats_dir = $RUN/stats
stats_history_dir = $RUN/history
policy_listen = inet:$POLICY_PORT@127.0.0.1
policy_pidfile = $RUN/policyd.pid
milter_socket = inet:$MILTER_PORT@127.0.0.1
milter_pidfile = $RUN/milter.pid
myhostname = mx.example
# one info line per request would write gigabytes; warnings and errors stay
log_level = notice
allow_root = yes
CONF
"$POLICYD" -f -c "$RUN/rg.conf" 2>"$RUN/policyd.log" &
POLICYD_PID=$!
rg_track "$POLICYD_PID"
"$MILTER" -f -c "$RUN/rg.conf" 2>"$RUN/milter.log" &
MILTER_PID=$!
rg_track "$MILTER_PID"
rg_wait_port "$POLICY_PORT" || { echo "policyd did not start: $(cat "$RUN/policyd.log")" >&2; exit 1; }
rg_wait_port "$MILTER_PORT" || { echo "milter did not start: $(cat "$RUN/milter.log")" >&2; exit 1; }
rg_start_sink
rg_start_postfix milter-main.cf.in

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
accepted() { grep -c 'cleanup.*message-id=' "$BASE/maillog"; }

echo "# relayguard soak, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, ${SOAK_SECONDS}s, SIGHUP every ${HUP_EVERY}s, Redis restart every ${REDIS_EVERY}s"
echo "# t_s policyd_rss_kB policyd_fds milter_rss_kB milter_fds"
T0=$(date +%s)
next_hup=$((HUP_EVERY / 2)) next_redis=$REDIS_EVERY next_sample=0
policy_requests=0 policy_errors=0 policy_rounds=0 sent=0 hups=0 redis_restarts=0
source_errors=0
before=$(accepted)
: >"$RUN/samples"
while :; do
	t=$(($(date +%s) - T0))
	[ "$t" -ge "$SOAK_SECONDS" ] && break
	# one round of both loads in parallel; events are fired between rounds
	"$LOAD" -p "$POLICY_PORT" -c "$POLICY_CONNS" -t 2 -d "$ROUND" -w 0 -f "$RUN/addrs" \
		>"$RUN/load.out" 2>&1 &
	load_pid=$!
	rg_track "$load_pid"
	m=$((ROUND * 20))
	"$SOURCE" -s "$MILTER_SESSIONS" -m "$m" -l 512 -f s@example.org -t r@example.net \
		"127.0.0.1:$SMTP_PORT" >"$RUN/source.out" 2>&1 &
	src_pid=$!
	rg_track "$src_pid"
	while kill -0 "$load_pid" 2>/dev/null; do
		t=$(($(date +%s) - T0))
		if [ "$t" -ge "$next_hup" ]; then
			kill -HUP "$POLICYD_PID" "$MILTER_PID"; hups=$((hups + 1))
			next_hup=$((next_hup + HUP_EVERY))
		fi
		if [ "$t" -ge "$next_redis" ]; then
			rg_stop "$RG_REDIS_PID"
			sleep 1
			rg_start_redis "$REDIS_PORT"
			redis_restarts=$((redis_restarts + 1))
			next_redis=$((next_redis + REDIS_EVERY))
		fi
		if [ "$t" -ge "$next_sample" ]; then
			line="$t $(rss "$POLICYD_PID") $(fds "$POLICYD_PID") $(rss "$MILTER_PID") $(fds "$MILTER_PID")"
			echo "$line" | tee -a "$RUN/samples"
			next_sample=$((next_sample + SAMPLE))
		fi
		sleep 1
	done
	wait "$load_pid"
	wait "$src_pid"
	src_rc=$?
	policy_rounds=$((policy_rounds + 1))
	r=$(sed -n 's/.* requests=\([0-9]*\) .*/\1/p' "$RUN/load.out")
	e=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' "$RUN/load.out")
	if [ -z "$r" ] || [ -z "$e" ]; then
		echo "# policy round $policy_rounds failed: $(cat "$RUN/load.out")"
		policy_errors=$((policy_errors + 1))
	else
		policy_requests=$((policy_requests + r)); policy_errors=$((policy_errors + e))
	fi
	sent=$((sent + m))
	if [ "$src_rc" -ne 0 ] || grep -qiE 'error|refused|[45][0-9][0-9] ' "$RUN/source.out"; then
		source_errors=$((source_errors + 1))
		echo "# smtp-source round failed (exit $src_rc): $(head -3 "$RUN/source.out")"
	fi
done
# the end is the last sample under load (like the reference); after the
# load the daemons' own descriptors only, for the record
sleep 2
echo "# idle after the load: policyd $(fds "$POLICYD_PID") descriptors, milter $(fds "$MILTER_PID")"
got=$(( $(accepted) - before ))
milter_warnings=$(grep -cE 'warning: milter|451 4\.7\.1|milter.*(timed out|Connection refused)' "$BASE/maillog")

# the first sample at or after 60 s is the reference
ref=$(awk '$1 >= 60 { print; exit }' "$RUN/samples")
[ -n "$ref" ] || ref=$(head -1 "$RUN/samples")
end=$(tail -1 "$RUN/samples")
echo "# reference (after the first minute): $ref"
echo "# end:                                 $end"
# peak RSS (policyd, milter) of the samples with FROM <= t < TO
peak() { awk -v f="$1" -v t="$2" '$1 >= f && $1 < t { if ($2 > p) p = $2; if ($4 > m) m = $4 }
	END { print p + 0, m + 0 }' "$RUN/samples"; }
last_t=$(echo "$end" | cut -d' ' -f1)
set -- $(peak 60 120); p_ref=$1 m_ref=$2
set -- $(peak $((last_t - 59)) $((last_t + 1))); p_end=$1 m_end=$2
echo "# single samples: policyd RSS $(echo "$ref" | cut -d' ' -f2) -> $(echo "$end" | cut -d' ' -f2) kB, milter $(echo "$ref" | cut -d' ' -f4) -> $(echo "$end" | cut -d' ' -f4) kB"
fail=0
check() {	# check STATUS "what"
	if [ "$1" -eq 0 ]; then echo "PASS $2"; else echo "FAIL $2"; fail=1; fi
}
set -- $ref; r_prss=$2 r_pfd=$3 r_mrss=$4 r_mfd=$5
set -- $end; e_prss=$2 e_pfd=$3 e_mrss=$4 e_mfd=$5
within() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(b <= a * 1.10 && b >= a * 0.90) }'; echo $?; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.1f%%", (b - a) * 100 / a }'; }
diffabs() { d=$(($2 - $1)); [ "$d" -lt 0 ] && d=$((-d)); [ "$d" -le "$FD_SLACK" ]; echo $?; }
check "$(within "$p_ref" "$p_end")" "policyd RSS ${p_ref} kB -> ${p_end} kB ($(pct "$p_ref" "$p_end"), peak of 60-120 s vs of the last minute, within 10%)"
check "$(within "$m_ref" "$m_end")" "milter RSS ${m_ref} kB -> ${m_end} kB ($(pct "$m_ref" "$m_end"), peak of 60-120 s vs of the last minute, within 10%)"
check "$(diffabs "$r_pfd" "$e_pfd")" "policyd descriptors $r_pfd -> $e_pfd (within $FD_SLACK)"
check "$(diffabs "$r_mfd" "$e_mfd")" "milter descriptors $r_mfd -> $e_mfd (within $FD_SLACK)"
check "$([ "$policy_errors" -eq 0 ]; echo $?)" "policy: $policy_requests requests in $policy_rounds rounds, $policy_errors failed"
check "$([ "$got" -eq "$sent" ] && [ "$source_errors" -eq 0 ] && [ "$milter_warnings" -eq 0 ]; echo $?)" \
	"milter: $got of $sent messages accepted through Postfix, $source_errors failed rounds, $milter_warnings milter warnings in Postfix's log"
check "$(kill -0 "$POLICYD_PID" 2>/dev/null && kill -0 "$MILTER_PID" 2>/dev/null; echo $?)" \
	"both daemons alive after $hups SIGHUPs and $redis_restarts Redis restarts"
# for the record: the drift after the first Redis restarts and reloads
late=$(awk '$1 >= 180 { print; exit }' "$RUN/samples")
if [ -n "$late" ]; then
	set -- $late
	echo "# from ${1}s to the end: policyd RSS $(pct "$2" "$e_prss"), milter RSS $(pct "$4" "$e_mrss")"
fi
echo "# policyd log: $(grep -ciE 'error|warn' "$RUN/policyd.log") warning/error lines; milter log: $(grep -ciE 'error|warn' "$RUN/milter.log")"
exit $fail
