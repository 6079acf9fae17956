#!/bin/sh
# sentinel_acl.sh - sentinel_auth.sh on Redis 6 ACL users: the servers and
# the three Sentinels each have a named user and their default user off, and
# relayguard authenticates with redis_username and redis_sentinel_username
# (AUTH user password) everywhere: the cache, the report writer, the
# +switch-master subscription, relayguard-ctl's blocking resolver.
SENTINEL_AUTH_ACL=yes
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/sentinel_auth.sh"
