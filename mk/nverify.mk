# notify_verify (issue 17): relayguard-notify probes a notice's hosts with
# relayguard-probe's steps (probe/libprobe.a) and puts the evidence in the
# notice.  nverify and nevidence live in notify/libnotify.a, so whatever
# links that archive links probe/libprobe.a after it (NOTIFY_LDADD).
notify_libnotify_a_SOURCES += notify/nverify.c notify/nverify.h notify/nevidence.c notify/nevidence.h
notify_libnotify_a_CPPFLAGS += -I$(top_srcdir)/probe
if ENABLE_FUZZING
tests_fuzz_notice_fuzzer_SOURCES += notify/nevidence.c
endif

TESTS += tests/integration/notify_verify.sh
EXTRA_DIST += tests/integration/notify_verify.sh
