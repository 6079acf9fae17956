# Configuration: the site syntax, typed values, the settings table and
# parser, relayguard-ctl with its config verbs, the sample file, man pages.
common_librelayguard_a_SOURCES += \
	common/site.c common/site.h \
	common/cfgval.c common/cfgval.h \
	common/cfg.c common/cfg.h common/cfg_table.c

sbin_PROGRAMS += ctl/relayguard-ctl
ctl_relayguard_ctl_SOURCES = ctl/ctl.c ctl/ctl.h ctl/ctl_config.c ctl/ctl_check.c ctl/ctl_doctor.c

dist_man_MANS += man/relayguard.conf.5 man/relayguard-ctl.8

# The sample is regenerated with `relayguard-ctl show-config --sample` (with
# the default prefix) and checked by test_cfg so that it never drifts.
relayguardexamplesdir = $(docdir)/examples
dist_relayguardexamples_DATA = conf/relayguard.conf

check_PROGRAMS += tests/unit/test_site tests/unit/test_cfg
TESTS += tests/unit/test_site tests/unit/test_cfg tests/integration/ctl_config.sh
tests_unit_test_site_SOURCES = tests/unit/test_site.c tests/unit/tap.h
tests_unit_test_cfg_SOURCES = tests/unit/test_cfg.c tests/unit/tap.h
EXTRA_DIST += tests/integration/ctl_config.sh

# Fuzz targets (see mk/fuzz.mk).
check_PROGRAMS += tests/fuzz/replay_cfg tests/fuzz/replay_site
TESTS += tests/fuzz/replay_cfg tests/fuzz/replay_site
tests_fuzz_replay_cfg_SOURCES = tests/fuzz/fuzz_cfg.c tests/fuzz/replay.c
tests_fuzz_replay_cfg_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"cfg"'
tests_fuzz_replay_site_SOURCES = tests/fuzz/fuzz_site.c tests/fuzz/replay.c
tests_fuzz_replay_site_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"site"'

if ENABLE_FUZZING
noinst_PROGRAMS += tests/fuzz/cfg-fuzzer tests/fuzz/site-fuzzer
tests_fuzz_cfg_fuzzer_SOURCES = tests/fuzz/fuzz_cfg.c
tests_fuzz_cfg_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_cfg_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
tests_fuzz_site_fuzzer_SOURCES = tests/fuzz/fuzz_site.c
tests_fuzz_site_fuzzer_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer,address,undefined
tests_fuzz_site_fuzzer_LDFLAGS = -fsanitize=fuzzer,address,undefined
endif
