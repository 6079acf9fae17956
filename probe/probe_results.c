/*
 * probe_results - Redis or the state folder; see probe_results.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "probe_results.h"
#include "probe_store.h"
#include "probe_store_redis.h"
#include "redis_sentinel.h"

/*
 * Redis (a server, the Sentinels or a cluster) when configured: o filled,
 * o->server allocated (free it).  false: the state folder.
 */
static bool redis_of(const cfg_t *cfg, struct rlists_conn_opts *o)
{
	*o = (struct rlists_conn_opts){
		.db = (int)cfg_int(cfg, CFG_REDIS_DB),
		.username = cfg_str(cfg, CFG_REDIS_USERNAME),
		.password = cfg_str(cfg, CFG_REDIS_PASSWORD),
		.prefix = cfg_str(cfg, CFG_REDIS_PREFIX),
		.sentinel_username = cfg_str(cfg, CFG_REDIS_SENTINEL_USERNAME),
		.sentinel_password = cfg_str(cfg, CFG_REDIS_SENTINEL_PASSWORD),
		.route_key = PROBE_STORE_REDIS_TAG,
	};
	char *target = redis_target_from_cfg(cfg);
	if (target[0] == '\0') {
		free(target);
		return false;
	}
	o->server = target;
	return true;
}

void probe_results_where(const cfg_t *cfg, char *out, size_t size)
{
	struct rlists_conn_opts o;

	if (redis_of(cfg, &o)) {
		snprintf(out, size, "redis %s", o.server);
		free((char *)o.server);
	} else
		snprintf(out, size, "%s/results", cfg_str(cfg, CFG_PROBE_STATE_DIR));
}

int probe_results_save(const cfg_t *cfg, const struct probe_result *r, char *why, size_t why_size)
{
	struct rlists_conn_opts o;

	if (redis_of(cfg, &o)) {
		int rc = probe_store_redis_save(&o, r, (long long)(cfg_ms(cfg, CFG_PROBE_TTL) / 1000), why, why_size);
		free((char *)o.server);
		return rc;
	}
	return probe_store_save(cfg_str(cfg, CFG_PROBE_STATE_DIR), r, why, why_size);
}

int probe_results_load(const cfg_t *cfg, const addr_t *a, struct probe_result *r, char *why, size_t why_size)
{
	struct rlists_conn_opts o;

	if (redis_of(cfg, &o)) {
		int rc = probe_store_redis_load(&o, a, r, why, why_size);
		free((char *)o.server);
		return rc;
	}
	return probe_store_load(cfg_str(cfg, CFG_PROBE_STATE_DIR), a, r, why, why_size);
}
