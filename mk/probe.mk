# relayguard-probe: opt-in open-relay and open-proxy verification (issue 17).
# The parts live in probe/libprobe.a so that the unit test and the fuzz
# target link the same code as the program.
noinst_LIBRARIES += probe/libprobe.a
probe_libprobe_a_SOURCES = \
	probe/probe.c probe/probe.h \
	probe/probe_net.c probe/probe_net.h \
	probe/probe_smtp.c probe/probe_smtp.h \
	probe/probe_proxy.c probe/probe_proxy.h \
	probe/probe_canary.c probe/probe_canary.h \
	probe/probe_policy.c probe/probe_policy.h \
	probe/probe_store.c probe/probe_store.h \
	probe/probe_store_redis.c probe/probe_store_redis.h \
	probe/probe_results.c probe/probe_results.h \
	probe/probe_run.c probe/probe_run.h \
	probe/probe_setup.c probe/probe_setup.h
PROBE_LDADD = probe/libprobe.a $(LDADD)

sbin_PROGRAMS += probe/relayguard-probe
probe_relayguard_probe_SOURCES = probe/probe_main.c
probe_relayguard_probe_LDADD = $(PROBE_LDADD)
dist_man_MANS += man/relayguard-probe.8

check_PROGRAMS += tests/unit/test_probe
TESTS += tests/unit/test_probe
tests_unit_test_probe_SOURCES = tests/unit/test_probe.c tests/unit/tap.h
tests_unit_test_probe_LDADD = $(PROBE_LDADD)

# Integration: real Postfix, tinyproxy and dante in a private network namespace.
TESTS += tests/integration/probe.sh
EXTRA_DIST += tests/integration/probe.sh tests/integration/probe_listener.py \
	tests/integration/probe_hostile.py tests/data/probe

# Fuzz target "probe" (pattern of mk/fuzz.mk): reply lines, token scan, result files.
check_PROGRAMS += tests/fuzz/replay_probe
TESTS += tests/fuzz/replay_probe
tests_fuzz_replay_probe_SOURCES = tests/fuzz/fuzz_probe.c tests/fuzz/replay.c
tests_fuzz_replay_probe_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"probe"'
tests_fuzz_replay_probe_LDADD = $(PROBE_LDADD)

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/probe-fuzzer
tests_fuzz_probe_fuzzer_SOURCES = tests/fuzz/fuzz_probe.c
tests_fuzz_probe_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_probe_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_probe_fuzzer_LDADD = $(PROBE_LDADD)
endif

# relayguard-ctl probe ADDRESS reads the stored results (probe/probe_store,
# from probe/libprobe.a, which NOTIFY_LDADD links).
ctl_relayguard_ctl_SOURCES += ctl/ctl_probe.c
