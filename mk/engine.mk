# The core engine: one check from skip to verdict, and its blocking wrapper.
common_librelayguard_a_SOURCES += \
	common/clock.h \
	common/filelists.c common/filelists.h \
	common/engine.c common/engine.h common/engine_int.h common/engine_setup.c common/engine_keys.c \
	common/engine_cache.c \
	common/engine_verdict.c common/engine_thread.c \
	common/engine_stats.c common/engine_stats.h

EXTRA_DIST += tests/data/engine tests/integration/engine.sh tests/integration/ctl_check.sh
check_PROGRAMS += tests/integration/engine_driver
tests_integration_engine_driver_SOURCES = tests/integration/engine_driver.c tests/unit/tap.h
TESTS += tests/integration/engine.sh tests/integration/ctl_check.sh

# bench/bench_engine: built by `make`, run by bench/engine-bench.sh.
noinst_PROGRAMS += bench/bench_engine
bench_bench_engine_SOURCES = bench/bench_engine.c
# bench/redis_mget_bench: the same Redis traffic without the engine (doc/PERFORMANCE.md).
noinst_PROGRAMS += bench/redis_mget_bench
bench_redis_mget_bench_SOURCES = bench/redis_mget_bench.c
EXTRA_DIST += bench/engine-bench.sh bench/lib.sh bench/dns_delay_proxy.py bench/redis-cluster-cost.sh

# relayguard-ctl stats reads the engines' snapshots (common/engine_stats.h).
ctl_relayguard_ctl_SOURCES += ctl/ctl_stats.c

# An engine thread stopped right after its start (found by the milter fuzzer).
check_PROGRAMS += tests/unit/test_engine_thread
TESTS += tests/unit/test_engine_thread
tests_unit_test_engine_thread_SOURCES = tests/unit/test_engine_thread.c tests/unit/tap.h
tests_unit_test_engine_thread_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
