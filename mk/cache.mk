# Caches: the in-process LRU (common/lru) and the Redis cache (common/rcache).
common_librelayguard_a_SOURCES += \
	common/lru.c common/lru.h \
	common/rcache.c common/rcache.h common/rcache_value.c common/rcache_conn.c \
	common/redis_ev.c common/redis_ev.h \
	common/redis_auth.c common/redis_auth.h

EXTRA_DIST += doc/redis-schema.md tests/integration/rcache.sh tests/integration/redis_ev.sh \
	tests/integration/redis_unix.sh tests/integration/redis_acl.sh tests/integration/lib_redis_clients.sh

check_PROGRAMS += tests/unit/test_lru tests/unit/test_rcache tests/integration/rcache_driver
TESTS += tests/unit/test_lru tests/unit/test_rcache tests/integration/rcache.sh tests/integration/redis_unix.sh \
	tests/integration/redis_acl.sh
# common/redis_ev, the hiredis adapter, against a real redis-server
check_PROGRAMS += tests/integration/redis_ev_driver
TESTS += tests/integration/redis_ev.sh
tests_integration_redis_ev_driver_SOURCES = tests/integration/redis_ev_driver.c
tests_unit_test_lru_SOURCES = tests/unit/test_lru.c tests/unit/tap.h
tests_unit_test_rcache_SOURCES = tests/unit/test_rcache.c tests/unit/tap.h
tests_integration_rcache_driver_SOURCES = tests/integration/rcache_driver.c

# Fuzz target for the Redis value codec (pattern of mk/fuzz.mk).
check_PROGRAMS += tests/fuzz/replay_rcache
TESTS += tests/fuzz/replay_rcache
tests_fuzz_replay_rcache_SOURCES = tests/fuzz/fuzz_rcache.c tests/fuzz/replay.c
tests_fuzz_replay_rcache_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"rcache"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/rcache-fuzzer
tests_fuzz_rcache_fuzzer_SOURCES = tests/fuzz/fuzz_rcache.c
tests_fuzz_rcache_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_rcache_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
