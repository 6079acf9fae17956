# Zone health: the state of each DNS list zone (common/zone_health), shared by
# a fleet through Redis (common/zone_share), applied by the engine
# (common/engine_health.c).  Key schema: doc/redis-schema.md.
common_librelayguard_a_SOURCES += \
	common/zone_health.c common/zone_health.h \
	common/zone_share.c common/zone_share.h \
	common/engine_health.c

check_PROGRAMS += tests/unit/test_zone_health
TESTS += tests/unit/test_zone_health
tests_unit_test_zone_health_SOURCES = tests/unit/test_zone_health.c tests/unit/tap.h

# Integration: zones dying behind warm caches, a fleet sharing health, start-up.
EXTRA_DIST += tests/integration/health.sh tests/integration/health_fleet.sh
TESTS += tests/integration/health.sh tests/integration/health_fleet.sh

# Fuzz target "zone_share" (pattern of mk/fuzz.mk): the shared health value codec.
check_PROGRAMS += tests/fuzz/replay_zone_share
TESTS += tests/fuzz/replay_zone_share
tests_fuzz_replay_zone_share_SOURCES = tests/fuzz/fuzz_zone_share.c tests/fuzz/replay.c
tests_fuzz_replay_zone_share_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"zone_share"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/zone_share-fuzzer
tests_fuzz_zone_share_fuzzer_SOURCES = tests/fuzz/fuzz_zone_share.c
tests_fuzz_zone_share_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_zone_share_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
