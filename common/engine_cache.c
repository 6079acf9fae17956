/*
 * engine_cache - a lookup's answers into and out of the two caches: the
 * in-process LRU (every source but file lists) and the Redis cache (DNS
 * lists; Redis range lists live in Redis already).  See engine_int.h for
 * the contract of each function (engine_cache_get() is inline there).
 *
 * What is cached: "listed" for the zone's TTL clamped to dnsbl_min_ttl ..
 * dnsbl_max_ttl, "not listed" for dnsbl_negative_ttl; never an error or a
 * skip, and never what does not count now (a zone out of service, see
 * engine_health.c), so a dead list's answers never reach the caches.  An
 * answer that came while its zone waited for its first probe round is
 * handed back (ENGINE_CACHE_LATER) for the lookup to remember at delivery.
 * An answer Redis gave is kept in the LRU for dnsbl_min_ttl only: Redis
 * keeps the authoritative TTL.
 *
 * Engine thread only; calls no other engine file but engine_keys.c.
 */
#include "config.h"

#include <stdlib.h>

#include "clock.h"
#include "engine_int.h"
#include "lru.h"
#include "mem.h"
#include "rcache.h"
#include "zone_health.h"

void engine_cached_answer_free(void *p)
{
	struct engine_cached *c = p;
	free(c->txt);
	free(c);
}

/* cache_size = 0: the LRU keeps nothing, so a put would only build and free a value. */
static bool lru_off(const engine_t *e)
{
	return cfg_int(e->cfg, CFG_CACHE_SIZE) <= 0;
}

static unsigned clamp_ttl(const engine_t *e, unsigned ttl)
{
	if (ttl < e->min_ttl_s)
		return e->min_ttl_s;
	if (ttl > e->max_ttl_s)
		return e->max_ttl_s;
	return ttl;
}

void engine_cache_keep(engine_t *e, const struct engine_source *s, const char *subject,
		       enum engine_answer answer, uint32_t code, const char *txt,
		       struct engine_key *key, uint64_t *now_ms)
{
	if (lru_off(e))
		return;
	if (*now_ms == 0)
		*now_ms = clock_now_ms();
	struct engine_cached *c = xcalloc(1, sizeof(*c));
	c->answer = answer;
	c->code = code;
	c->txt = txt ? xstrdup(txt) : NULL;
	const char *kd = engine_cache_key(s, subject, key);
	lru_put(e->lru, kd, key->len, c, *now_ms + (uint64_t)e->min_ttl_s * 1000u);
}

enum engine_cache_put engine_cache_remember(engine_t *e, const struct engine_source *s,
					    const char *subject, const struct engine_source_result *r,
					    unsigned dns_ttl)
{
	const struct zone_health *h = s->health;
	unsigned ttl;

	if (r->answer == ENGINE_LISTED)
		ttl = clamp_ttl(e, dns_ttl);
	else if (r->answer == ENGINE_NOT_LISTED)
		ttl = e->negative_ttl_s;
	else
		return ENGINE_CACHE_DONE;
	if (ttl == 0)
		return ENGINE_CACHE_DONE;
	if (h != NULL && !zone_health_counts(h))
		/* Never cache what does not count; a zone waiting for its first round may count yet. */
		return h->state == ZONE_UNPROBED ? ENGINE_CACHE_LATER : ENGINE_CACHE_DONE;
	if (!lru_off(e)) {
		/* written out, not lru_keep(): one call less on every DNS answer */
		struct engine_cached *c = xcalloc(1, sizeof(*c));
		struct engine_key key;
		c->answer = r->answer;
		c->code = r->code;
		c->txt = r->txt ? xstrdup(r->txt) : NULL;
		engine_key_init(&key);
		const char *kd = engine_cache_key(s, subject, &key);
		lru_put(e->lru, kd, key.len, c, clock_now_ms() + (uint64_t)ttl * 1000u);
		engine_key_done(&key);
	}
	if (e->rcache != NULL && s->kind != ENGINE_SOURCE_REDIS_LIST) {	/* Redis has the list */
		struct rcache_entry re = {
			.state = r->answer == ENGINE_LISTED ? RCACHE_LISTED : RCACHE_NOT_LISTED,
			.code = r->code,
			.txt = r->txt,
		};
		rcache_put(e->rcache, subject, s->name, &re, ttl);
	}
	return ENGINE_CACHE_DONE;
}
