# DNS: asynchronous resolver (c-ares on libevent) and DNSBL/RHSBL queries.
common_librelayguard_a_SOURCES += \
	common/resolver.c common/resolver.h \
	common/dnsbl.c common/dnsbl.h \
	common/dnsbl_diag.c common/dnsbl_diag.h

check_PROGRAMS += tests/unit/test_resolver
TESTS += tests/unit/test_resolver
tests_unit_test_resolver_SOURCES = tests/unit/test_resolver.c tests/unit/tap.h

# Integration: a real rbldnsd on loopback; dnsbl.sh runs the C driver.
check_PROGRAMS += tests/integration/dnsbl_driver
tests_integration_dnsbl_driver_SOURCES = tests/integration/dnsbl_driver.c tests/unit/tap.h
TESTS += tests/integration/dnsbl.sh
EXTRA_DIST += tests/integration/dnsbl.sh tests/data/rbldnsd

# Fuzz target "dns_servers" (pattern of mk/fuzz.mk): the server-list parser.
check_PROGRAMS += tests/fuzz/replay_dns_servers
TESTS += tests/fuzz/replay_dns_servers
tests_fuzz_replay_dns_servers_SOURCES = tests/fuzz/fuzz_dns_servers.c tests/fuzz/replay.c
tests_fuzz_replay_dns_servers_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"dns_servers"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/dns_servers-fuzzer
tests_fuzz_dns_servers_fuzzer_SOURCES = tests/fuzz/fuzz_dns_servers.c
tests_fuzz_dns_servers_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_dns_servers_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

# dnsbl_diag: the words of a diagnosis, shared by the daemons' logs and
# relayguard-ctl doctor (tests/integration/doctor.sh: every case on rbldnsd).
check_PROGRAMS += tests/unit/test_dnsbl_diag
TESTS += tests/unit/test_dnsbl_diag
tests_unit_test_dnsbl_diag_SOURCES = tests/unit/test_dnsbl_diag.c tests/unit/tap.h
TESTS += tests/integration/doctor.sh
EXTRA_DIST += tests/integration/doctor.sh tests/data/doctor

# Integration: "the A answer decides, TXT only decorates" against a DNS
# server of the test's own (txt_dns.py) that drops, garbles or delays TXT.
check_PROGRAMS += tests/integration/dnsbl_txt_driver
tests_integration_dnsbl_txt_driver_SOURCES = tests/integration/dnsbl_txt_driver.c tests/unit/tap.h
TESTS += tests/integration/dnsbl_txt.sh
EXTRA_DIST += tests/integration/dnsbl_txt.sh tests/integration/txt_dns.py

# Fuzz target "dns_answer": A and TXT answer messages as the resolver reads them.
check_PROGRAMS += tests/fuzz/replay_dns_answer
TESTS += tests/fuzz/replay_dns_answer
tests_fuzz_replay_dns_answer_SOURCES = tests/fuzz/fuzz_dns_answer.c tests/fuzz/replay.c
tests_fuzz_replay_dns_answer_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"dns_answer"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/dns_answer-fuzzer
tests_fuzz_dns_answer_fuzzer_SOURCES = tests/fuzz/fuzz_dns_answer.c
tests_fuzz_dns_answer_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_dns_answer_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
