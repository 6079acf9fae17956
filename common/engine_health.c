/*
 * engine_health - the engine's side of zone health: which answers count,
 * the fleet's shared verdicts (zone_share) applied to the zones, our probe
 * rounds published, and lookups that wait for the first probe round.
 *
 * The rule of the engine: an answer of a DNS zone counts only while the
 * zone is in service (zone_health_counts), judged when the lookup delivers
 * its verdict, whatever layer the answer came from (LRU, Redis, DNS).  So a
 * suspension reaches cached answers and lookups in flight at once, and costs
 * one field read per DNS source per lookup.  Answers that arrive while their
 * zone is suspended are not cached (engine_cache.c), so a dead list's
 * "listed" answers never reach the caches; answers that arrive while the
 * zone waits for its first round are cached when the lookup delivers, if
 * the round has put the zone in service by then.  What was cached before a
 * suspension counts again once the zone is back in service (it passed its
 * probes again), until its TTL ends: re-querying would cost every client
 * one lookup for the few answers cached between a list's death and the
 * probe round that found it, and the probe interval bounds those.
 *
 * This file calls no other engine file (engine_int.h): the lookups waiting
 * for a first round are released by engine.c's callbacks, which call the
 * functions here first.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "engine_int.h"
#include "log.h"
#include "mem.h"
#include "zone_share.h"

/* The zone_health of source i, or NULL for sources that are not DNS lists. */
const struct zone_health *engine_source_health(const engine_t *e, size_t i)
{
	return i < e->n_sources ? e->sources[i].health : NULL;
}

bool engine_health_counts(const engine_t *e, size_t i)
{
	const struct zone_health *h = i < e->n_sources ? e->sources[i].health : NULL;

	return h == NULL || zone_health_counts(h);
}

bool engine_health_first_pending(const engine_t *e)
{
	for (int g = 0; g < GROUP_COUNT; g++) {
		if (e->dnsbl[g] != NULL && dnsbl_first_rounds_pending(e->dnsbl[g]))
			return true;
	}
	return false;
}

void engine_health_filter(const engine_t *e, struct engine_source_result *results)
{
	for (size_t i = 0; i < e->n_sources; i++) {
		struct engine_source_result *r = &results[i];
		const struct zone_health *h = e->sources[i].health;
		if (h == NULL || zone_health_counts(h) || r->answer == ENGINE_SKIPPED)
			continue;
		/* What the zone said does not count: not a listing, not an answer, not an error. */
		r->answer = ENGINE_SKIPPED;
		r->code = 0;
		r->filtered_code = 0;
		r->txt = NULL;
		r->error = h->state == ZONE_SUSPENDED ? "zone suspended" : "zone not yet probed";
	}
}

void engine_health_recount(engine_t *e)
{
	e->zones_out = 0;
	for (size_t i = 0; i < e->n_sources; i++) {
		if (e->sources[i].health != NULL && !zone_health_counts(e->sources[i].health))
			e->zones_out++;
	}
}

/* ---- the fleet ------------------------------------------------------------ */

void engine_health_apply_shared(engine_t *e, zone_share_t *zs)
{
	for (int g = 0; g < GROUP_COUNT; g++) {
		const dnsbl_t *d = e->dnsbl[g];
		for (size_t i = 0; d != NULL && dnsbl_site_zone(d, i) != NULL; i++) {
			const char *host = NULL, *why = NULL;
			int64_t at = 0;
			if (!zone_share_dead(zs, dnsbl_site_zone(d, i), &host, &why, &at))
				host = NULL;
			dnsbl_site_shared(e->dnsbl[g], i, host, why, at);
		}
	}
	engine_health_recount(e);
}

void engine_health_round(engine_t *e, dnsbl_t *d, size_t site)
{
	const struct zone_health *h = dnsbl_site_health(d, site);

	engine_health_recount(e);
	if (e->share != NULL && h != NULL && !h->dead && h->failures == 0)
		zone_share_publish(e->share, h->zone, false, NULL);
	else if (e->share != NULL && h != NULL && h->dead)
		zone_share_publish(e->share, h->zone, true, h->round_why);
}

void engine_health_setup(engine_t *e, bool publish, zone_share_apply_cb *on_read)
{
	unsigned long long interval = cfg_ms(e->cfg, CFG_DNSBL_PROBE_INTERVAL);
	struct buf host = BUF_INIT;

	if (e->rcache == NULL || interval == 0 || e->n_sources == 0)
		return;
	buf_printf(&host, "%s/%s", cfg_str(e->cfg, CFG_MYHOSTNAME), log_ident());
	struct zone_share_opts o = {
		.prefix = cfg_str(e->cfg, CFG_REDIS_PREFIX),
		.host = buf_cstr(&host),
		.interval_ms = (unsigned)interval,
		.publish = publish,
	};
	e->share = zone_share_new(e->base, e->rcache, &o, on_read, e);
	buf_free(&host);
}
