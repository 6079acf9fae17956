#!/bin/sh
# cluster_acl.sh - cluster_auth.sh on Redis 6 ACL users: every node has a
# named admin user (replication, redis-cli) and its default user off, and
# relayguard runs as the least-privilege user of doc/fleet.md
# ("~ca:* +@all -@dangerous +role") through redis_username: the cache on
# every master, the report stream, the notifier, ctl, a CLUSTER FAILOVER.
CLUSTER_AUTH_ACL=yes
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/cluster_auth.sh"
