# relayguard-probe: opt-in open-relay and open-proxy verification (issue 17).
sbin_PROGRAMS += probe/relayguard-probe
probe_relayguard_probe_SOURCES = probe/probe_main.c \
	probe/probe.c probe/probe.h \
	probe/probe_net.c probe/probe_net.h \
	probe/probe_smtp.c probe/probe_smtp.h \
	probe/probe_proxy.c probe/probe_proxy.h \
	probe/probe_canary.c probe/probe_canary.h \
	probe/probe_policy.c probe/probe_policy.h \
	probe/probe_store.c probe/probe_store.h \
	probe/probe_setup.c probe/probe_setup.h
dist_man_MANS += man/relayguard-probe.8

# Integration: real Postfix, tinyproxy and dante in a private network namespace.
TESTS += tests/integration/probe.sh
EXTRA_DIST += tests/integration/probe.sh tests/integration/probe_listener.py tests/data/probe
