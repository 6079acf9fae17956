/*
 * probe_store_redis - probe results in Redis, when Redis is configured
 * (redis_server, redis_sentinels or redis_cluster_nodes).
 *
 * Key: REDIS_PREFIX "{probe}:" ADDRESS, a string holding exactly the file
 * form of probe_store.h, set with an expiry of probe_ttl (at least 1 s),
 * so Redis forgets a result when it may no longer be reused.  The rate-limit
 * journal and the per-host locks stay in probe_state_dir (one machine).
 * Every key has the one hash tag PROBE_STORE_REDIS_TAG, so that on a Redis
 * Cluster one connection (to the master of that slot: route_key of
 * rlists_conn_opts) reaches every result.
 * Functions return as probe_store_save/load, with why in why.
 */
#ifndef RELAYGUARD_PROBE_STORE_REDIS_H
#define RELAYGUARD_PROBE_STORE_REDIS_H

#include "probe.h"
#include "rlists.h"

#define PROBE_STORE_REDIS_TAG "{probe}"

int probe_store_redis_save(const struct rlists_conn_opts *o, const struct probe_result *r, long long ttl_s,
			   char *why, size_t why_size) __attribute__((warn_unused_result));
int probe_store_redis_load(const struct rlists_conn_opts *o, const addr_t *a, struct probe_result *r, char *why,
			   size_t why_size) __attribute__((warn_unused_result));

#endif
