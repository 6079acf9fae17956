# A fleet run (issue 16): three policyd, two milters and two notifiers on one
# Redis Sentinel set (tests/integration/fleet.sh) and the same run on a Redis
# Cluster (tests/integration/fleet_cluster.sh, and with report_streams = 3
# tests/integration/fleet_cluster_streams.sh), checked through every door
# (doc/fleet.md), and its measurements (bench/fleet-bench.sh).
EXTRA_DIST += tests/integration/fleet.sh tests/integration/fleet_cluster.sh \
	tests/integration/fleet_cluster_streams.sh \
	tests/integration/fleet_load.py \
	tests/data/fleet/check.lua bench/fleet-bench.sh
TESTS += tests/integration/fleet.sh tests/integration/fleet_cluster.sh \
	tests/integration/fleet_cluster_streams.sh
