#!/bin/sh
# fleet_cluster_streams.sh - the Cluster fleet run of tests/integration/fleet.sh
# with report_streams = 3: the events go to three streams on three masters;
# both failovers hit the master of stream 0, which also holds the told and
# claim keys.  No event lost, every event counted once over the three
# streams' partial counts, one notice per network, as with one stream.
FLEET_REDIS=cluster
FLEET_REPORT_STREAMS=3
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/fleet.sh"
