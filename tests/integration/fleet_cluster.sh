#!/bin/sh
# fleet_cluster.sh - the fleet run of tests/integration/fleet.sh, every check
# the same, on a Redis Cluster (three masters with a replica each) instead
# of a Sentinel set: the planned failover is a CLUSTER FAILOVER on the
# replica of the report stream's master, the crash a kill -9 of that master.
FLEET_REDIS=cluster
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/fleet.sh"
