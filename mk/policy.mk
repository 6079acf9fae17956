# relayguard-policyd: the Postfix policy server (policy/), its tests and benchmarks.
noinst_LIBRARIES += policy/libpolicy.a
policy_libpolicy_a_SOURCES = \
	policy/policy_proto.c policy/policy_proto.h \
	policy/policy_conn.c policy/policy_conn.h \
	policy/policy_reply.c policy/policy_reply.h \
	policy/policy_server.c policy/policy_server.h

sbin_PROGRAMS += policy/relayguard-policyd
policy_relayguard_policyd_SOURCES = policy/policyd.c
policy_relayguard_policyd_LDADD = policy/libpolicy.a $(LDADD)

dist_man_MANS += man/relayguard-policyd.8
EXTRA_DIST += conf/postfix-main.cf.snippet tests/integration/policyd.sh tests/integration/policyd_spf.sh \
	tests/integration/postfix_policy.sh tests/integration/postfix_failure.sh tests/integration/policy_client.py \
	tests/integration/exhaustion.sh tests/integration/conn_flood.py tests/integration/privileges.sh \
	tests/integration/logs.sh \
	tests/data/postfix bench/compare-policy.sh bench/soak.sh bench/malloc_probe.c bench/smaps_kinds.py \
	tests/integration/doors.sh tests/data/doors

check_PROGRAMS += tests/unit/test_policy_proto tests/unit/test_policy_reply
TESTS += tests/unit/test_policy_reply
tests_unit_test_policy_reply_SOURCES = tests/unit/test_policy_reply.c tests/unit/tap.h
tests_unit_test_policy_reply_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policy
tests_unit_test_policy_reply_LDADD = policy/libpolicy.a $(LDADD)
TESTS += tests/unit/test_policy_proto tests/integration/policyd.sh tests/integration/policyd_spf.sh \
	tests/integration/postfix_policy.sh tests/integration/postfix_failure.sh tests/integration/doors.sh \
	tests/integration/exhaustion.sh tests/integration/privileges.sh tests/integration/logs.sh
tests_unit_test_policy_proto_SOURCES = tests/unit/test_policy_proto.c tests/unit/tap.h
tests_unit_test_policy_proto_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policy
tests_unit_test_policy_proto_LDADD = policy/libpolicy.a $(LDADD)

# Fuzz target: the request parser.
check_PROGRAMS += tests/fuzz/replay_policy_proto
TESTS += tests/fuzz/replay_policy_proto
tests_fuzz_replay_policy_proto_SOURCES = tests/fuzz/fuzz_policy_proto.c tests/fuzz/replay.c
tests_fuzz_replay_policy_proto_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policy -DFUZZ_NAME='"policy_proto"'
tests_fuzz_replay_policy_proto_LDADD = policy/libpolicy.a $(LDADD)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/policy_proto-fuzzer
tests_fuzz_policy_proto_fuzzer_SOURCES = tests/fuzz/fuzz_policy_proto.c
tests_fuzz_policy_proto_fuzzer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/policy
tests_fuzz_policy_proto_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_policy_proto_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_policy_proto_fuzzer_LDADD = policy/libpolicy.a $(LDADD)
endif

# Benchmarks (run by bench/compare-policy.sh).
noinst_PROGRAMS += bench/policy_load bench/trivial_policy
bench_policy_load_SOURCES = bench/policy_load.c
bench_policy_load_LDADD = $(PTHREAD_LIBS)
bench_trivial_policy_SOURCES = bench/trivial_policy.c
bench_trivial_policy_LDADD = $(LIBEVENT_LIBS)
