# Foundation: buffers, logging, addresses, CIDR sets, configuration, list files.
common_librelayguard_a_SOURCES += \
	common/mem.c common/mem.h \
	common/heap.c common/heap.h \
	common/buf.c common/buf.h \
	common/log.c common/log.h \
	common/addr.c common/addr.h \
	common/json.c common/json.h \
	common/utf8.c common/utf8.h

EXTRA_DIST += tests/unit/tap.h tests/integration/lib.sh \
	doc/ARCHITECTURE.md doc/PERFORMANCE.md doc/ROBUSTNESS.md \
	tests/integration/reload_memory.sh

# What SIGHUP reloads cost in memory (common/heap), through both daemons.
TESTS += tests/integration/reload_memory.sh

check_PROGRAMS += tests/unit/test_buf tests/unit/test_addr tests/unit/test_log tests/unit/test_heap
TESTS += tests/unit/test_buf tests/unit/test_addr tests/unit/test_log tests/unit/test_heap
tests_unit_test_heap_SOURCES = tests/unit/test_heap.c tests/unit/tap.h
tests_unit_test_log_SOURCES = tests/unit/test_log.c tests/unit/tap.h
tests_unit_test_buf_SOURCES = tests/unit/test_buf.c tests/unit/tap.h
tests_unit_test_addr_SOURCES = tests/unit/test_addr.c tests/unit/tap.h
