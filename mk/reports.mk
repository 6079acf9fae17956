# Reports: report events, the spool journal, network owners (common/), the
# notifier (notify/), relayguard-ctl queue/networks/notices, their tests.
common_librelayguard_a_SOURCES += \
	common/report.c common/report_event.c common/report.h \
	common/spool.c common/spool.h \
	common/owners.c common/owners.h \
	common/mailbox.c common/mailbox.h

check_PROGRAMS += tests/unit/test_report tests/unit/test_spool tests/unit/test_owners tests/unit/test_notice tests/integration/report_driver
TESTS += tests/unit/test_report tests/unit/test_spool tests/unit/test_owners tests/unit/test_notice tests/integration/report.sh \
	tests/integration/notify.sh tests/integration/notify_postfix.sh tests/integration/notify_contact.sh \
	tests/integration/notify_install.sh
tests_unit_test_report_SOURCES = tests/unit/test_report.c tests/unit/tap.h
tests_unit_test_spool_SOURCES = tests/unit/test_spool.c tests/unit/tap.h
tests_unit_test_owners_SOURCES = tests/unit/test_owners.c tests/unit/tap.h
tests_unit_test_notice_SOURCES = tests/unit/test_notice.c tests/unit/tap.h notify/nagg.c notify/notice.c
tests_unit_test_notice_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify
tests_integration_report_driver_SOURCES = tests/integration/report_driver.c
EXTRA_DIST += tests/integration/report.sh tests/integration/notify.sh tests/integration/notify_postfix.sh \
	tests/integration/notify_contact.sh tests/integration/notify_install.sh \
	tests/data/owners tests/data/postfix/notify-main.cf.in bench/notify-bench.sh doc/reports.md

# relayguard-notify
bin_PROGRAMS += notify/relayguard-notify
notify_relayguard_notify_SOURCES = notify/notify.c notify/notify.h notify/nspool.c \
	notify/nagg.c notify/nagg.h notify/notice.c notify/notice.h \
	notify/deliver.c notify/deliver.h notify/nqueue.c notify/nqueue.h \
	notify/nqueue_int.h notify/nqueue_notice.c notify/notify_lib.c \
	notify/ncontact.c notify/ncontact.h notify/nsuppress.c notify/nsuppress.h
nodist_notify_relayguard_notify_SOURCES = notify/notice_default.inc
notify_relayguard_notify_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify -I$(top_builddir)/notify
dist_relayguardexamples_DATA += conf/notice.txt

# The built-in notice template: conf/notice.txt as a C string (one line each).
BUILT_SOURCES += notify/notice_default.inc
CLEANFILES += notify/notice_default.inc
notify/notice_default.inc: $(top_srcdir)/conf/notice.txt
	$(MKDIR_P) notify
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' \
		$(top_srcdir)/conf/notice.txt >$@.tmp && mv $@.tmp $@

# make install puts the template where notify_template looks by default,
# never over a file that is already there (the site's own text).
relayguard_sysconfdir = $(sysconfdir)/relayguard
install-data-local: install-notice-template
install-notice-template:
	$(MKDIR_P) '$(DESTDIR)$(relayguard_sysconfdir)'
	@if test -f '$(DESTDIR)$(relayguard_sysconfdir)/notice.txt'; then \
		echo "$(DESTDIR)$(relayguard_sysconfdir)/notice.txt exists: not overwritten"; \
	else \
		echo " $(INSTALL_DATA) $(top_srcdir)/conf/notice.txt '$(DESTDIR)$(relayguard_sysconfdir)/notice.txt'"; \
		$(INSTALL_DATA) $(top_srcdir)/conf/notice.txt '$(DESTDIR)$(relayguard_sysconfdir)/notice.txt'; \
	fi
# uninstall removes it only when it is still the text we installed.
uninstall-local: uninstall-notice-template
uninstall-notice-template:
	@f='$(DESTDIR)$(relayguard_sysconfdir)/notice.txt'; \
	if test -f "$$f" && cmp -s "$$f" $(top_srcdir)/conf/notice.txt; then \
		echo " rm -f $$f"; rm -f "$$f"; \
		rmdir '$(DESTDIR)$(relayguard_sysconfdir)' 2>/dev/null || :; \
	fi
.PHONY: install-notice-template uninstall-notice-template

# relayguard-ctl queue / networks / notices
ctl_relayguard_ctl_SOURCES += ctl/ctl_reports.c notify/nqueue.c notify/nqueue.h notify/nqueue_int.h \
	notify/nagg.c notify/nagg.h \
	notify/nsuppress.c notify/nsuppress.h

# Fuzz targets (pattern of mk/fuzz.mk): journal lines, owners files, the
# notify_suppress file and mailbox check.
check_PROGRAMS += tests/fuzz/replay_report tests/fuzz/replay_owners tests/fuzz/replay_suppress
TESTS += tests/fuzz/replay_report tests/fuzz/replay_owners tests/fuzz/replay_suppress
tests_fuzz_replay_suppress_SOURCES = tests/fuzz/fuzz_suppress.c tests/fuzz/replay.c notify/nsuppress.c notify/nagg.c
tests_fuzz_replay_suppress_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/notify -DFUZZ_NAME='"suppress"'
tests_fuzz_replay_report_SOURCES = tests/fuzz/fuzz_report.c tests/fuzz/replay.c
tests_fuzz_replay_report_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"report"'
tests_fuzz_replay_owners_SOURCES = tests/fuzz/fuzz_owners.c tests/fuzz/replay.c
tests_fuzz_replay_owners_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"owners"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/report-fuzzer tests/fuzz/owners-fuzzer tests/fuzz/suppress-fuzzer
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
