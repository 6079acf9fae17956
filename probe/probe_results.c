/*
 * probe_results - Redis or the state folder; see probe_results.h.
 */
#include "config.h"

#include <stdio.h>

#include "probe_results.h"
#include "probe_store.h"
#include "probe_store_redis.h"

static bool redis_of(const cfg_t *cfg, struct rlists_conn_opts *o)
{
	o->server = cfg_str(cfg, CFG_REDIS_SERVER);
	o->db = (int)cfg_int(cfg, CFG_REDIS_DB);
	o->password = cfg_str(cfg, CFG_REDIS_PASSWORD);
	o->prefix = cfg_str(cfg, CFG_REDIS_PREFIX);
	return o->server[0] != '\0';
}

void probe_results_where(const cfg_t *cfg, char *out, size_t size)
{
	struct rlists_conn_opts o;

	if (redis_of(cfg, &o))
		snprintf(out, size, "redis %s", o.server);
	else
		snprintf(out, size, "%s/results", cfg_str(cfg, CFG_PROBE_STATE_DIR));
}

int probe_results_save(const cfg_t *cfg, const struct probe_result *r, char *why, size_t why_size)
{
	struct rlists_conn_opts o;

	if (redis_of(cfg, &o))
		return probe_store_redis_save(&o, r, (long long)(cfg_ms(cfg, CFG_PROBE_TTL) / 1000), why, why_size);
	return probe_store_save(cfg_str(cfg, CFG_PROBE_STATE_DIR), r, why, why_size);
}

int probe_results_load(const cfg_t *cfg, const addr_t *a, struct probe_result *r, char *why, size_t why_size)
{
	struct rlists_conn_opts o;

	if (redis_of(cfg, &o))
		return probe_store_redis_load(&o, a, r, why, why_size);
	return probe_store_load(cfg_str(cfg, CFG_PROBE_STATE_DIR), a, r, why, why_size);
}
