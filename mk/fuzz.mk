# Fuzz targets: each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput.
# `make check` replays tests/fuzz/corpus/NAME/ through tests/fuzz/replay.c;
# ./configure --enable-fuzzing CC=clang also builds tests/fuzz/NAME-fuzzer
# with -fsanitize=fuzzer for real fuzzing, every object of that build
# instrumented (doc/FUZZING.md):
#   mkdir new; tests/fuzz/addr-fuzzer -max_total_time=60 new $(srcdir)/tests/fuzz/corpus/addr
#   make fuzz-smoke       every fuzzer a few seconds (CI runs it)
# To add a target: the replay_NAME program and test, NAME-fuzzer under
# ENABLE_FUZZING, and seeds in tests/fuzz/corpus/NAME (smoke.sh fails a
# corpus folder without its fuzzer).
EXTRA_DIST += tests/fuzz/corpus

check_PROGRAMS += tests/fuzz/replay_addr
TESTS += tests/fuzz/replay_addr
tests_fuzz_replay_addr_SOURCES = tests/fuzz/fuzz_addr.c tests/fuzz/replay.c
tests_fuzz_replay_addr_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"addr"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/addr-fuzzer
tests_fuzz_addr_fuzzer_SOURCES = tests/fuzz/fuzz_addr.c
tests_fuzz_addr_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_addr_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

# ---- issue 14: fuzzing that reaches the code ------------------------------
# A build configured with --enable-fuzzing compiles every object with
# coverage hooks, ASan and UBSan (configure.ac); tests/fuzz/instrumented.sh
# fails that build's `make check` when an object lacks them.
# New targets: the milter callbacks (with tests/fuzz/fuzz_milter.c playing
# libmilter), the owners CSV reader alone, notice rendering.
EXTRA_DIST += tests/fuzz/instrumented.sh tests/fuzz/smoke.sh tests/fuzz/hours.sh doc/FUZZING.md
check_PROGRAMS += tests/fuzz/replay_milter tests/fuzz/replay_owners_csv
TESTS += tests/fuzz/replay_milter tests/fuzz/replay_owners_csv
tests_fuzz_replay_milter_SOURCES = tests/fuzz/fuzz_milter.c tests/fuzz/replay.c
tests_fuzz_replay_milter_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter -DFUZZ_NAME='"milter"'
tests_fuzz_replay_milter_LDADD = milter/libmiltercb.a $(LDADD)
tests_fuzz_replay_owners_csv_SOURCES = tests/fuzz/fuzz_owners_csv.c tests/fuzz/replay.c
tests_fuzz_replay_owners_csv_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"owners_csv"'

if ENABLE_FUZZING
TESTS += tests/fuzz/instrumented.sh
noinst_PROGRAMS += tests/fuzz/milter-fuzzer tests/fuzz/owners_csv-fuzzer
tests_fuzz_milter_fuzzer_SOURCES = tests/fuzz/fuzz_milter.c
tests_fuzz_milter_fuzzer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_fuzz_milter_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_milter_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_milter_fuzzer_LDADD = milter/libmiltercb.a $(LDADD)
tests_fuzz_owners_csv_fuzzer_SOURCES = tests/fuzz/fuzz_owners_csv.c
tests_fuzz_owners_csv_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_owners_csv_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined

# make fuzz-smoke: every *-fuzzer for FUZZ_SMOKE_SECONDS (default 10) over
# its seeds, and the instrumentation check; results as TAP (.trs), so
# quickstart.sh counts them.  Crash inputs stay in tests/fuzz/crashes/.
# check_PROGRAMS= : the unit tests need not be built for this.
FUZZ_SMOKE_SECONDS = 10
fuzz-smoke: $(noinst_LIBRARIES) $(noinst_PROGRAMS)
	FUZZ_SMOKE_SECONDS='$(FUZZ_SMOKE_SECONDS)' \
		$(MAKE) $(AM_MAKEFLAGS) check-TESTS check_PROGRAMS= \
		TESTS='tests/fuzz/instrumented.sh tests/fuzz/smoke.sh'
else
fuzz-smoke:
	@echo "fuzz-smoke: configure with --enable-fuzzing CC=clang first" >&2; exit 1
endif
.PHONY: fuzz-smoke
