# verdict: score to action, reply/header templates, cleaning of outgoing text.
common_librelayguard_a_SOURCES += common/verdict.c common/verdict.h

check_PROGRAMS += tests/unit/test_verdict
TESTS += tests/unit/test_verdict
tests_unit_test_verdict_SOURCES = tests/unit/test_verdict.c tests/unit/tap.h

# Fuzz target "template" (pattern of mk/fuzz.mk): replayed over its corpus
# by make check; a libFuzzer binary with --enable-fuzzing.
check_PROGRAMS += tests/fuzz/replay_template
TESTS += tests/fuzz/replay_template
# milter_reply.c is pure (no libmilter call): the split lines are fuzzed here too.
tests_fuzz_replay_template_SOURCES = tests/fuzz/fuzz_template.c tests/fuzz/replay.c milter/milter_reply.c
tests_fuzz_replay_template_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter -DFUZZ_NAME='"template"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/template-fuzzer
tests_fuzz_template_fuzzer_SOURCES = tests/fuzz/fuzz_template.c milter/milter_reply.c
tests_fuzz_template_fuzzer_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/milter
tests_fuzz_template_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_template_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif

EXTRA_DIST += doc/templates.md
