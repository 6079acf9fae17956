# Redis Cluster: slot map, redirections and the blocking resolver
# (common/redis_cluster), the asynchronous router of rcache
# (common/rcache_cluster), hiredis replies as plain trees (common/rcache_reply).
common_librelayguard_a_SOURCES += \
	common/redis_cluster.c common/redis_cluster.h \
	common/rcache_cluster.c common/rcache_int.h common/rcache_reply.c

EXTRA_DIST += tests/integration/cluster.sh tests/integration/cluster_lib.sh tests/integration/cluster_auth.sh tests/data/cluster \
	tests/integration/report_streams.sh bench/report-streams-bench.sh tests/integration/cluster_acl.sh

check_PROGRAMS += tests/unit/test_redis_cluster
TESTS += tests/unit/test_redis_cluster tests/integration/cluster.sh tests/integration/report_streams.sh \
	tests/integration/cluster_auth.sh tests/integration/cluster_acl.sh
tests_unit_test_redis_cluster_SOURCES = tests/unit/test_redis_cluster.c tests/unit/tap.h

# Fuzz target for the cluster parsers (pattern of mk/fuzz.mk).
check_PROGRAMS += tests/fuzz/replay_redis_cluster
TESTS += tests/fuzz/replay_redis_cluster
tests_fuzz_replay_redis_cluster_SOURCES = tests/fuzz/fuzz_redis_cluster.c tests/fuzz/replay.c
tests_fuzz_replay_redis_cluster_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"redis_cluster"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/redis_cluster-fuzzer
tests_fuzz_redis_cluster_fuzzer_SOURCES = tests/fuzz/fuzz_redis_cluster.c
tests_fuzz_redis_cluster_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_redis_cluster_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
