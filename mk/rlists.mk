# Range lists imported into Redis (common/rlists): import and lookup, the
# relayguard-ctl verbs import/lists/drop, their tests and benchmark.
common_librelayguard_a_SOURCES += \
	common/rlists.c common/rlists_import.c common/rlists.h

ctl_relayguard_ctl_SOURCES += ctl/ctl_lists.c

EXTRA_DIST += tests/integration/rlists.sh bench/rlists_import.sh

check_PROGRAMS += tests/unit/test_rlists tests/integration/rlists_driver
TESTS += tests/unit/test_rlists tests/integration/rlists.sh
tests_unit_test_rlists_SOURCES = tests/unit/test_rlists.c tests/unit/tap.h
tests_integration_rlists_driver_SOURCES = tests/integration/rlists_driver.c tests/unit/tap.h
