# A fleet run (issue 16): three policyd, two milters and two notifiers on one
# Redis Sentinel set, checked through every door (tests/integration/fleet.sh,
# doc/fleet.md), and its measurements (bench/fleet-bench.sh).
EXTRA_DIST += tests/integration/fleet.sh tests/integration/fleet_load.py \
	tests/data/fleet/check.lua bench/fleet-bench.sh
TESTS += tests/integration/fleet.sh
