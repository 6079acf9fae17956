# notify_verify (issue 17): relayguard-notify probes a notice's hosts with
# relayguard-probe's steps (probe/libprobe.a) and puts the evidence in the
# notice.  nevidence.c renders that evidence and goes wherever notice.c goes.
notify_relayguard_notify_SOURCES += notify/nverify.c notify/nverify.h notify/nevidence.c notify/nevidence.h
notify_relayguard_notify_CPPFLAGS += -I$(top_srcdir)/probe
notify_relayguard_notify_LDADD = $(PROBE_LDADD)
tests_unit_test_notice_SOURCES += notify/nevidence.c notify/nevidence.h
tests_fuzz_replay_notice_SOURCES += notify/nevidence.c
bench_bench_notice_SOURCES += notify/nevidence.c
if ENABLE_FUZZING
tests_fuzz_notice_fuzzer_SOURCES += notify/nevidence.c
endif

TESTS += tests/integration/notify_verify.sh
EXTRA_DIST += tests/integration/notify_verify.sh
