#!/bin/bash
# hours.sh - fuzz targets until each has had its CPU time, across sessions.
#
#   tests/fuzz/hours.sh BUILD_FUZZ_DIR STATE_DIR QUEUE_FILE
#
# QUEUE_FILE has one "TARGET SECONDS" line per target: fuzz TARGET (from
# BUILD_FUZZ_DIR/tests/fuzz/TARGET-fuzzer, seeds from the source tree)
# until it has had SECONDS of CPU time (user + sys, measured by
# /usr/bin/time, not wall time: at nice 19 on a busy machine a run gets a
# fraction of its wall time).  Runs are 600 s of wall time each, the
# last one shorter; each adds
# one line to STATE_DIR/tally.tsv (target, run, CPU s, execs, last cov/ft,
# exit status), which later runs read, so a stopped loop picks up where it
# was.  The corpus grows in STATE_DIR/corpus/TARGET; crash inputs are
# STATE_DIR/crash-TARGET-*; a run that ends with a finding stops that target
# (FINDINGS says which).  Several queues may run at once, one per core.
# Do not SIGSTOP a run: libFuzzer's -timeout counts the stopped time.
# With the kernel's autogroups (sched_autogroup_enabled), nice works only
# inside one session: a queue started with setsid is a session of its own
# and takes a full share of the CPU from builds and tests whatever its
# nice value, so such a queue sets its autogroup's nice to 19 too.
set -u
if [ "$(ps -o sid= -p $$ | tr -d ' ')" = "$$" ] && [ -w /proc/self/autogroup ]; then
	echo 19 >/proc/self/autogroup 2>/dev/null || :
fi
B=${1:?BUILD_FUZZ_DIR}
L=${2:?STATE_DIR}
Q=${3:?QUEUE_FILE}
S=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$L"
spent() { awk -F'\t' -v t="$1" '$1 == t { s += $3 } END { printf "%d", s }' "$L/tally.tsv" 2>/dev/null || echo 0; }
while read -r t owed; do
	[ -n "$t" ] || continue
	mkdir -p "$L/corpus/$t"
	while [ "$(spent "$t")" -lt "$owed" ]; do
		run=$(date +%Y%m%d%H%M%S)
		# The last run of a target is only as long as what is still owed
		# (plus a margin for start-up), not a full 600 s.
		left=$((owed - $(spent "$t") + 20))
		[ "$left" -le 600 ] || left=600
		out="$L/$t.$run.log"
		/usr/bin/time -f 'CPU %U %S' -o "$L/$t.$run.time" nice -n 19 "$B/tests/fuzz/$t-fuzzer" \
			-max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$L/crash-$t-" "$L/corpus/$t" "$S/tests/fuzz/corpus/$t" >"$out" 2>&1
		rc=$?
		cpu=$(awk '/^CPU/ { print $2 + $3 }' "$L/$t.$run.time")
		execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$out")
		cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$out" | tail -1)
		printf '%s\t%s\t%s\t%s\t%s\trc=%s\n' "$t" "$run" "${cpu:-0}" "${execs:-0}" "$cov" "$rc" >>"$L/tally.tsv"
		if [ "$rc" -ne 0 ]; then
			echo "$t rc=$rc: see $out" >>"$L/FINDINGS"
			break
		fi
	done
done <"$Q"
