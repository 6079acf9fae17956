# Sets: the CIDR trie (common/cidrset), list files (common/listfile), their
# unit tests, fuzz targets and benchmark.
common_librelayguard_a_SOURCES += \
	common/cidrset.c common/cidrset.h \
	common/listfile.c common/listfile.h \
	common/lfsyntax.c common/lfsyntax.h

check_PROGRAMS += tests/unit/test_cidrset
TESTS += tests/unit/test_cidrset
tests_unit_test_cidrset_SOURCES = tests/unit/test_cidrset.c tests/unit/tap.h

# bench/bench_cidrset: built by `make`, run by hand (see doc/PERFORMANCE.md).
noinst_PROGRAMS += bench/bench_cidrset
bench_bench_cidrset_SOURCES = bench/bench_cidrset.c

check_PROGRAMS += tests/unit/test_listfile
TESTS += tests/unit/test_listfile
tests_unit_test_listfile_SOURCES = tests/unit/test_listfile.c tests/unit/tap.h

# Fuzz targets, wired like mk/fuzz.mk: replayed over their corpus by `make check`,
# real libFuzzer binaries with --enable-fuzzing.
check_PROGRAMS += tests/fuzz/replay_cidrset tests/fuzz/replay_listfile
TESTS += tests/fuzz/replay_cidrset tests/fuzz/replay_listfile
tests_fuzz_replay_cidrset_SOURCES = tests/fuzz/fuzz_cidrset.c tests/fuzz/replay.c
tests_fuzz_replay_cidrset_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"cidrset"'
tests_fuzz_replay_listfile_SOURCES = tests/fuzz/fuzz_listfile.c tests/fuzz/replay.c
tests_fuzz_replay_listfile_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"listfile"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/cidrset-fuzzer tests/fuzz/listfile-fuzzer
tests_fuzz_cidrset_fuzzer_SOURCES = tests/fuzz/fuzz_cidrset.c
tests_fuzz_cidrset_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_cidrset_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_listfile_fuzzer_SOURCES = tests/fuzz/fuzz_listfile.c
tests_fuzz_listfile_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_listfile_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

# rbldnsd as the oracle for its own formats: every file of tests/data/listfile
# served by a real rbldnsd and read by listfile_driver, answers compared.
EXTRA_DIST += tests/integration/listfile_oracle.sh tests/integration/listfile_oracle.py \
	tests/data/listfile
check_PROGRAMS += tests/integration/listfile_driver
TESTS += tests/integration/listfile_oracle.sh
tests_integration_listfile_driver_SOURCES = tests/integration/listfile_driver.c
