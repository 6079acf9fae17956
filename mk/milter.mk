# relayguard-milter: the Sendmail/Postfix milter (milter/), its tests and benchmarks.
# common/daemon is the daemon helper (detach, pid file, privilege drop) any daemon may use.
common_librelayguard_a_SOURCES += common/daemon.c common/daemon.h

noinst_LIBRARIES += milter/libmiltercb.a
milter_libmiltercb_a_SOURCES = milter/milter_cb.c milter/milter_cb.h \
	milter/milter_gen.c milter/milter_gen.h \
	milter/milter_recent.c milter/milter_recent.h \
	milter/milter_reply.c milter/milter_reply.h

sbin_PROGRAMS += milter/relayguard-milter
milter_relayguard_milter_SOURCES = milter/milter.c
milter_relayguard_milter_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
milter_relayguard_milter_LDADD = milter/libmiltercb.a $(LDADD) $(MILTER_LIBS)

dist_man_MANS += man/relayguard-milter.8
EXTRA_DIST += conf/sendmail.mc.snippet conf/postfix-milter.cf.snippet \
	tests/integration/milter.sh tests/integration/postfix_milter.sh \
	tests/data/milter tests/data/postfix/milter-main.cf.in \
	bench/milter/milter-bench.sh bench/milter/nodelay.py bench/milter/null-milter.c

check_PROGRAMS += tests/unit/test_milter_cb tests/unit/test_daemon tests/unit/test_milter_recent
TESTS += tests/unit/test_milter_recent
check_PROGRAMS += tests/unit/test_milter_reply
TESTS += tests/unit/test_milter_reply
tests_unit_test_milter_reply_SOURCES = tests/unit/test_milter_reply.c tests/unit/tap.h
tests_unit_test_milter_reply_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter -I$(top_srcdir)/tests/unit
tests_unit_test_milter_reply_LDADD = milter/libmiltercb.a $(LDADD)
tests_unit_test_milter_recent_SOURCES = tests/unit/test_milter_recent.c tests/unit/tap.h
tests_unit_test_milter_recent_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter -I$(top_srcdir)/tests/unit
tests_unit_test_milter_recent_LDADD = milter/libmiltercb.a $(LDADD)
tests_unit_test_milter_cb_SOURCES = tests/unit/test_milter_cb.c tests/unit/tap.h
tests_unit_test_milter_cb_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter -I$(top_srcdir)/tests/unit
tests_unit_test_milter_cb_LDADD = milter/libmiltercb.a $(LDADD) $(MILTER_LIBS)
tests_unit_test_daemon_SOURCES = tests/unit/test_daemon.c tests/unit/tap.h
tests_unit_test_daemon_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit

TESTS += tests/unit/test_milter_cb tests/unit/test_daemon \
	tests/integration/milter.sh tests/integration/postfix_milter.sh
