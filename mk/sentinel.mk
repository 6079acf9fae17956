# Redis Sentinel: which server is the master (common/redis_sentinel), and the
# asynchronous asker/watcher rcache uses (common/rcache_sentinel).
common_librelayguard_a_SOURCES += \
	common/redis_sentinel.c common/redis_sentinel.h \
	common/rcache_sentinel.c common/rcache_sentinel.h

EXTRA_DIST += tests/integration/sentinel.sh tests/integration/sentinel_auth.sh tests/integration/sentinel_readonly.sh \
	tests/integration/sentinel_acl.sh \
	tests/integration/lib_sentinel.sh

check_PROGRAMS += tests/unit/test_redis_sentinel
TESTS += tests/unit/test_redis_sentinel tests/integration/sentinel.sh tests/integration/sentinel_auth.sh \
	tests/integration/sentinel_readonly.sh tests/integration/sentinel_acl.sh
tests_unit_test_redis_sentinel_SOURCES = tests/unit/test_redis_sentinel.c tests/unit/tap.h

# Redis Cluster hash slots: the key schema's one-slot-per-operation test.
common_librelayguard_a_SOURCES += common/redis_slot.c common/redis_slot.h
check_PROGRAMS += tests/unit/test_redis_slot
TESTS += tests/unit/test_redis_slot
tests_unit_test_redis_slot_SOURCES = tests/unit/test_redis_slot.c tests/unit/tap.h
EXTRA_DIST += bench/redis-modes-bench.sh
EXTRA_DIST += doc/fleet.md

# Fuzz target for the Sentinel parsers (pattern of mk/fuzz.mk).
check_PROGRAMS += tests/fuzz/replay_redis_sentinel
TESTS += tests/fuzz/replay_redis_sentinel
tests_fuzz_replay_redis_sentinel_SOURCES = tests/fuzz/fuzz_redis_sentinel.c tests/fuzz/replay.c
tests_fuzz_replay_redis_sentinel_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"redis_sentinel"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/redis_sentinel-fuzzer
tests_fuzz_redis_sentinel_fuzzer_SOURCES = tests/fuzz/fuzz_redis_sentinel.c
tests_fuzz_redis_sentinel_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_redis_sentinel_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
