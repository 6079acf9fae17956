# Fuzz targets: each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput.
# `make check` replays tests/fuzz/corpus/NAME/ through tests/fuzz/replay.c;
# ./configure --enable-fuzzing CC=clang also builds tests/fuzz/NAME-fuzzer
# with -fsanitize=fuzzer for real fuzzing:
#   tests/fuzz/addr-fuzzer -max_total_time=60 $(srcdir)/tests/fuzz/corpus/addr
# To add a target: add NAME to FUZZ_TARGETS below and the two lines for it.
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
