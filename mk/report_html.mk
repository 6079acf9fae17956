# Issue 15, "Look": the daemons' stats history (common/stats_history) and
# relayguard-ctl report --html (ctl/ctl_report.c gathers, ctl/report_html
# writes the page, ctl/svg_chart draws its charts).
common_librelayguard_a_SOURCES += common/stats_history.c common/stats_history.h
ctl_relayguard_ctl_SOURCES += ctl/ctl_report.c ctl/report_html.c ctl/report_html.h \
	ctl/svg_chart.c ctl/svg_chart.h

EXTRA_DIST += tests/integration/report_html.sh tests/integration/report_html_check.py \
	tests/integration/ctl_import_progress.sh
TESTS += tests/integration/report_html.sh tests/integration/ctl_import_progress.sh
# report_html.sh keeps its Chromium screenshot next to its log
CLEANFILES += tests/integration/report_html.png

# The history reader is a parser: fuzzed (pattern of mk/fuzz.mk).
check_PROGRAMS += tests/fuzz/replay_history
TESTS += tests/fuzz/replay_history
tests_fuzz_replay_history_SOURCES = tests/fuzz/fuzz_history.c tests/fuzz/replay.c
tests_fuzz_replay_history_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"history"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/history-fuzzer
tests_fuzz_history_fuzzer_SOURCES = tests/fuzz/fuzz_history.c
tests_fuzz_history_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_history_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

# bench/bench_history: built by `make`, run by bench/history-bench.sh (doc/PERFORMANCE.md).
noinst_PROGRAMS += bench/bench_history
bench_bench_history_SOURCES = bench/bench_history.c
EXTRA_DIST += bench/history-bench.sh

check_PROGRAMS += tests/unit/test_stats_history
TESTS += tests/unit/test_stats_history
tests_unit_test_stats_history_SOURCES = tests/unit/test_stats_history.c tests/unit/tap.h
