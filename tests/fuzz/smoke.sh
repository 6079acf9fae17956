#!/bin/sh
# smoke.sh - run every libFuzzer target of a --enable-fuzzing build briefly
# (FUZZ_SMOKE_SECONDS each, default 10) over its seed corpus, as TAP: one
# test per target.  `make fuzz-smoke` runs it; CI does (quickstart.sh test).
# New inputs go to a scratch folder, never into the seeds; a crash, leak,
# timeout or sanitizer report fails the target and its input is kept under
# tests/fuzz/crashes/ of the build folder (add it to the seeds once fixed).
# Every corpus folder must have its fuzzer: a target left out of the
# fuzzing build fails here.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
secs=${FUZZ_SMOKE_SECONDS:-10}
crashes="$top_builddir/tests/fuzz/crashes"
mkdir -p "$crashes" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "${tmp:?}"' EXIT INT TERM

names=$(cd "$top_srcdir/tests/fuzz/corpus" && ls)
echo "1..$(echo "$names" | wc -w)"
i=0
fail=0
for name in $names; do
	i=$((i + 1))
	fuzzer="$top_builddir/tests/fuzz/$name-fuzzer"
	if [ ! -x "$fuzzer" ]; then
		echo "not ok $i - $name: no $name-fuzzer in this build (add it under ENABLE_FUZZING)"
		fail=$((fail + 1))
		continue
	fi
	mkdir -p "$tmp/$name"
	# -timeout: one input may take 10 s (ASan, a loaded machine); -rss_limit_mb: leaks
	# and runaway allocations fail; -print_final_stats: the numbers for doc/FUZZING.md
	if "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$crashes/$name-" "$tmp/$name" "$top_srcdir/tests/fuzz/corpus/$name" \
		>"$tmp/$name.log" 2>&1; then
		stats=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$tmp/$name.log" | tail -n 1 | sed 's/^#/runs /')
		echo "ok $i - $name: ${secs}s, $stats"
	else
		echo "not ok $i - $name: the fuzzer failed; its input is under $crashes"
		sed 's/^/# /' "$tmp/$name.log" | grep -vE '^# #[0-9]+' | tail -n 40
		fail=$((fail + 1))
	fi
done
[ "$fail" -eq 0 ]
