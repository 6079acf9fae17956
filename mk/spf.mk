# spf: SPF checks through libspf2 with our own DNS layer (c-ares, pinned
# servers), and a thread pool that runs them for event-loop programs.
common_librelayguard_a_SOURCES += \
	common/spf.c common/spf.h common/spf_lib.c common/spf_int.h \
	common/spf_pool.c common/spf_pool.h

check_PROGRAMS += tests/unit/test_spf
TESTS += tests/unit/test_spf
tests_unit_test_spf_SOURCES = tests/unit/test_spf.c tests/unit/tap.h

# Integration: rbldnsd serves the zones of tests/data/spf/; spf.sh runs the driver.
check_PROGRAMS += tests/integration/spf_driver
tests_integration_spf_driver_SOURCES = tests/integration/spf_driver.c tests/unit/tap.h
TESTS += tests/integration/spf.sh
EXTRA_DIST += tests/integration/spf.sh tests/data/spf
