# Reports: report events, the spool journal, network owners (common/), the
# notifier (notify/), relayguard-ctl queue/networks/notices, their tests.
common_librelayguard_a_SOURCES += \
	common/report.c common/report_event.c common/report.h \
	common/report_keys.c common/report_keys.h \
	common/spool.c common/spool.h \
	common/owners.c common/owners.h common/owners_int.h common/owners_rpsl.c common/owners_csv.c \
	common/owners_resolve.c \
	common/mailbox.c common/mailbox.h

check_PROGRAMS += tests/unit/test_report tests/unit/test_spool tests/unit/test_owners tests/unit/test_notice tests/unit/test_outbox_spares tests/integration/report_driver
TESTS += tests/unit/test_report tests/unit/test_spool tests/unit/test_owners tests/unit/test_notice tests/unit/test_outbox_spares tests/integration/report.sh \
	tests/integration/notify.sh tests/integration/notify_postfix.sh tests/integration/notify_owners.sh \
	tests/integration/notify_contact.sh tests/integration/notify_install.sh
tests_unit_test_report_SOURCES = tests/unit/test_report.c tests/unit/tap.h
tests_unit_test_spool_SOURCES = tests/unit/test_spool.c tests/unit/tap.h
tests_unit_test_owners_SOURCES = tests/unit/test_owners.c tests/unit/tap.h
tests_unit_test_notice_SOURCES = tests/unit/test_notice.c tests/unit/tap.h
tests_unit_test_notice_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify
tests_unit_test_notice_LDADD = $(NOTIFY_LDADD)
tests_unit_test_outbox_spares_SOURCES = tests/unit/test_outbox_spares.c tests/unit/tap.h
tests_unit_test_outbox_spares_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify
tests_unit_test_outbox_spares_LDADD = $(NOTIFY_LDADD)
tests_integration_report_driver_SOURCES = tests/integration/report_driver.c
EXTRA_DIST += tests/integration/report.sh tests/integration/notify.sh tests/integration/notify_postfix.sh tests/integration/notify_owners.sh \
	tests/integration/notify_contact.sh tests/integration/notify_install.sh \
	tests/data/owners tests/data/postfix/notify-main.cf.in bench/notify-bench.sh doc/reports.md

# relayguard-notify: its parts live in notify/libnotify.a (relayguard-ctl
# links the same archive for its queue, networks and notices verbs);
# notify_main.c is only the program's main().
noinst_LIBRARIES += notify/libnotify.a
notify_libnotify_a_SOURCES = notify/notify.c notify/notify.h notify/notify_setup.c notify/nspool.c \
	notify/nagg.c notify/nagg.h notify/notice.c notify/notice.h notify/notice_xarf.c \
	notify/mime.c notify/mime.h notify/sha256.c notify/sha256.h \
	notify/deliver.c notify/deliver.h notify/outbox_spares.c notify/outbox_spares.h notify/nqueue.c notify/nqueue.h \
	notify/nqueue_int.h notify/nstreams.c notify/nstreams.h notify/nqueue_notice.c notify/nqueue_commit.c notify/nqueue_reader.c notify/notify_lib.c \
	notify/ncounts.c notify/ncounts.h \
	notify/ncontact.c notify/ncontact.h notify/nsuppress.c notify/nsuppress.h
nodist_notify_libnotify_a_SOURCES = notify/notice_default.inc
notify_libnotify_a_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify -I$(top_builddir)/notify
NOTIFY_LDADD = notify/libnotify.a probe/libprobe.a $(LDADD)

sbin_PROGRAMS += notify/relayguard-notify
notify_relayguard_notify_SOURCES = notify/notify_main.c
notify_relayguard_notify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify
notify_relayguard_notify_LDADD = $(NOTIFY_LDADD)
dist_relayguardexamples_DATA += conf/notice.txt

# The built-in notice template: conf/notice.txt as a C string (one line each).
BUILT_SOURCES += notify/notice_default.inc
CLEANFILES += notify/notice_default.inc
notify/notice_default.inc: $(top_srcdir)/conf/notice.txt
	$(MKDIR_P) notify
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' \
		$(top_srcdir)/conf/notice.txt >$@.tmp && mv $@.tmp $@

# The notice formats read by real parsers (Python's email, Sisimai, the X-ARF v4 schema).
TESTS += tests/integration/notice_formats.sh
EXTRA_DIST += tests/integration/notice_formats.sh tests/integration/xarf_validate.py tests/data/xarf

# Fuzz target: notices rendered from arbitrary registry and client strings.
check_PROGRAMS += tests/fuzz/replay_notice
TESTS += tests/fuzz/replay_notice
tests_fuzz_replay_notice_SOURCES = tests/fuzz/fuzz_notice.c tests/fuzz/replay.c
tests_fuzz_replay_notice_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify -DFUZZ_NAME='"notice"'
tests_fuzz_replay_notice_LDADD = $(NOTIFY_LDADD)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/notice-fuzzer
tests_fuzz_notice_fuzzer_SOURCES = tests/fuzz/fuzz_notice.c notify/nagg.c notify/notice.c notify/notice_xarf.c notify/mime.c notify/sha256.c
tests_fuzz_notice_fuzzer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify
tests_fuzz_notice_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_notice_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

# bench/bench_notice: built by `make`, the cost of rendering one notice (doc/PERFORMANCE.md).
noinst_PROGRAMS += bench/bench_notice
bench_bench_notice_SOURCES = bench/bench_notice.c
bench_bench_notice_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify
bench_bench_notice_LDADD = $(NOTIFY_LDADD)


# relayguard-ctl queue / networks / notices
ctl_relayguard_ctl_SOURCES += ctl/ctl_reports.c
ctl_relayguard_ctl_LDADD = $(NOTIFY_LDADD)

# Fuzz targets (pattern of mk/fuzz.mk): journal lines, owners files, the
# notify_suppress file and mailbox check.
check_PROGRAMS += tests/fuzz/replay_report tests/fuzz/replay_owners tests/fuzz/replay_suppress
TESTS += tests/fuzz/replay_report tests/fuzz/replay_owners tests/fuzz/replay_suppress
tests_fuzz_replay_suppress_SOURCES = tests/fuzz/fuzz_suppress.c tests/fuzz/replay.c
tests_fuzz_replay_suppress_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify -DFUZZ_NAME='"suppress"'
tests_fuzz_replay_suppress_LDADD = $(NOTIFY_LDADD)
tests_fuzz_replay_report_SOURCES = tests/fuzz/fuzz_report.c tests/fuzz/replay.c
tests_fuzz_replay_report_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"report"'
tests_fuzz_replay_owners_SOURCES = tests/fuzz/fuzz_owners.c tests/fuzz/replay.c
tests_fuzz_replay_owners_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"owners"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/report-fuzzer tests/fuzz/owners-fuzzer tests/fuzz/mailbox-fuzzer tests/fuzz/suppress-fuzzer
tests_fuzz_mailbox_fuzzer_SOURCES = tests/fuzz/fuzz_mailbox.c
tests_fuzz_mailbox_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_mailbox_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_suppress_fuzzer_SOURCES = tests/fuzz/fuzz_suppress.c notify/nsuppress.c notify/nagg.c
tests_fuzz_suppress_fuzzer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify
tests_fuzz_suppress_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_suppress_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_report_fuzzer_SOURCES = tests/fuzz/fuzz_report.c
tests_fuzz_report_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_report_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_owners_fuzzer_SOURCES = tests/fuzz/fuzz_owners.c
tests_fuzz_owners_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_owners_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
dist_man_MANS += man/relayguard-notify.8

# Contact mailboxes (common/mailbox): unit test and fuzz target.
check_PROGRAMS += tests/unit/test_mailbox tests/fuzz/replay_mailbox
TESTS += tests/unit/test_mailbox tests/fuzz/replay_mailbox
tests_unit_test_mailbox_SOURCES = tests/unit/test_mailbox.c tests/unit/tap.h
tests_fuzz_replay_mailbox_SOURCES = tests/fuzz/fuzz_mailbox.c tests/fuzz/replay.c
tests_fuzz_replay_mailbox_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"mailbox"'

# bench/bench_owners: built by `make`, run by bench/owners-bench.sh.
noinst_PROGRAMS += bench/bench_owners
bench_bench_owners_SOURCES = bench/bench_owners.c
EXTRA_DIST += bench/owners-bench.sh

# Fuzz target "ncounts" (pattern of mk/fuzz.mk): a network's counts string
# as Redis holds it (notify/ncounts), read, compacted and read again.
check_PROGRAMS += tests/fuzz/replay_ncounts
TESTS += tests/fuzz/replay_ncounts
tests_fuzz_replay_ncounts_SOURCES = tests/fuzz/fuzz_ncounts.c tests/fuzz/replay.c
tests_fuzz_replay_ncounts_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify -DFUZZ_NAME='"ncounts"'
tests_fuzz_replay_ncounts_LDADD = $(NOTIFY_LDADD)
if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/ncounts-fuzzer
tests_fuzz_ncounts_fuzzer_SOURCES = tests/fuzz/fuzz_ncounts.c notify/ncounts.c notify/nagg.c
tests_fuzz_ncounts_fuzzer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify
tests_fuzz_ncounts_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_ncounts_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
