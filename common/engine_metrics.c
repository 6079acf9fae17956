/*
 * engine_metrics - per-engine counters published into a process-wide
 * registry, aggregated and written at scrape time.  See engine_metrics.h.
 *
 * An engine's own counters (engine_counters, dnsbl_stats, the caches',
 * the reporter's) are read on its thread at publish time, so none of them
 * needs to be atomic.  What the engine does not count itself (verdicts by
 * action, answers by layer, the check latency histogram) is counted here
 * from engine_metrics_verdict(), called once per delivered check.
 */
#include "config.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "engine_metrics.h"
#include "mem.h"
#include "metrics.h"

#define N_SKIP (ENGINE_SKIP_SPECIAL + 1)
#define N_ACTION (VERDICT_LOG + 1)
enum { LAYER_FILE, LAYER_MEMORY, LAYER_REDIS, LAYER_LOOKUP, N_LAYER };
static const char *const layer_names[N_LAYER] = { "file", "memory", "redis", "lookup" };

struct em_zone {
	char name[SITE_TEXT_MAX + 1];	/* display name: a feed key stays out */
	const char *kind;		/* static */
	uint64_t queries, listed, not_listed, errors, timeouts;
	struct metrics_codes listed_codes, refusals;
	struct metrics_hist latency;
	unsigned suspended;		/* gauge: engines that have it suspended */
};

/* One engine's counters, or their sum. Gauges are zero in the retired sum. */
struct em_snap {
	uint64_t checks, lookups, failed;
	uint64_t skipped[N_SKIP], verdicts[N_ACTION], answers[N_LAYER];
	struct metrics_hist check_latency;
	uint64_t lru_hits, lru_misses, lru_entries;
	unsigned engines, redis_engines, redis_up;
	struct rcache_stats redis;
	unsigned report_engines;
	struct report_stats report;
	uint64_t report_backlog;
	struct em_zone *zones;
	size_t n_zones, cap_zones;
};

/* What an engine counts itself between publications (engine thread only). */
struct engine_metrics {
	engine_t *engine;
	struct event *timer;
	uint64_t verdicts[N_ACTION], skipped[N_SKIP], answers[N_LAYER];
	struct metrics_hist check_latency;
	struct em_snap pub;			/* the published copy: under reg.lock */
	struct engine_metrics *next;		/* in reg.live */
};

static struct {
	pthread_mutex_t lock;
	struct engine_metrics *live;
	struct em_snap retired;
} reg = { PTHREAD_MUTEX_INITIALIZER, NULL, { 0 } };
static atomic_bool enabled;

void engine_metrics_enable(void)
{
	atomic_store(&enabled, true);
}

/* The zone called name in s, added when missing. */
static struct em_zone *snap_zone(struct em_snap *s, const char *name, const char *kind)
{
	for (size_t i = 0; i < s->n_zones; i++)
		if (strcmp(s->zones[i].name, name) == 0 && strcmp(s->zones[i].kind, kind) == 0)
			return &s->zones[i];
	if (s->n_zones == s->cap_zones) {
		s->cap_zones = s->cap_zones ? 2 * s->cap_zones : 8;
		s->zones = xreallocarray(s->zones, s->cap_zones, sizeof(*s->zones));
	}
	struct em_zone *z = &s->zones[s->n_zones++];
	memset(z, 0, sizeof(*z));
	(void)!str_copy(z->name, name, sizeof(z->name));	/* a longer name is cut */
	z->kind = kind;
	return z;
}

/* into += s; gauges too when live. */
static void snap_merge(struct em_snap *into, const struct em_snap *s, bool live)
{
	into->checks += s->checks;
	into->lookups += s->lookups;
	into->failed += s->failed;
	for (size_t i = 0; i < N_SKIP; i++)
		into->skipped[i] += s->skipped[i];
	for (size_t i = 0; i < N_ACTION; i++)
		into->verdicts[i] += s->verdicts[i];
	for (size_t i = 0; i < N_LAYER; i++)
		into->answers[i] += s->answers[i];
	metrics_hist_merge(&into->check_latency, &s->check_latency);
	into->lru_hits += s->lru_hits;
	into->lru_misses += s->lru_misses;
	into->redis.hits += s->redis.hits;
	into->redis.misses += s->redis.misses;
	into->redis.errors += s->redis.errors;
	into->redis.timeouts += s->redis.timeouts;
	into->redis.reconnects += s->redis.reconnects;
	into->report.emitted += s->report.emitted;
	into->report.deduped_local += s->report.deduped_local;
	into->report.queued += s->report.queued;
	into->report.deduped_fleet += s->report.deduped_fleet;
	into->report.duplicates += s->report.duplicates;
	into->report.spooled += s->report.spooled;
	into->report.replayed += s->report.replayed;
	into->report.dropped += s->report.dropped;
	into->redis_engines += s->redis_engines;	/* which families to write */
	into->report_engines += s->report_engines;
	if (live) {
		into->lru_entries += s->lru_entries;
		into->engines += s->engines;
		into->redis_up += s->redis_up;
		into->report_backlog += s->report_backlog;
	}
	for (size_t i = 0; i < s->n_zones; i++) {
		const struct em_zone *z = &s->zones[i];
		struct em_zone *t = snap_zone(into, z->name, z->kind);
		t->queries += z->queries;
		t->listed += z->listed;
		t->not_listed += z->not_listed;
		t->errors += z->errors;
		t->timeouts += z->timeouts;
		metrics_codes_merge(&t->listed_codes, &z->listed_codes);
		metrics_codes_merge(&t->refusals, &z->refusals);
		metrics_hist_merge(&t->latency, &z->latency);
		if (live)
			t->suspended += z->suspended;
	}
}

/* Copy the engine's counters into its published snapshot (engine thread). */
static void publish(struct engine_metrics *m)
{
	const engine_t *e = m->engine;
	const struct engine_counters *c = &e->counters;
	struct em_snap *p = &m->pub;

	pthread_mutex_lock(&reg.lock);
	p->checks = c->checks;
	p->lookups = c->lookups;
	p->failed = c->failed;
	memcpy(p->skipped, m->skipped, sizeof(p->skipped));
	memcpy(p->verdicts, m->verdicts, sizeof(p->verdicts));
	memcpy(p->answers, m->answers, sizeof(p->answers));
	p->check_latency = m->check_latency;
	p->engines = 1;
	p->lru_hits = lru_hits(e->lru);
	p->lru_misses = lru_misses(e->lru);
	p->lru_entries = lru_count(e->lru);
	if (e->rcache != NULL) {
		p->redis_engines = 1;
		p->redis_up = rcache_up(e->rcache) ? 1 : 0;
		rcache_stats(e->rcache, &p->redis);
	}
	if (e->reporter != NULL) {
		p->report_engines = 1;
		report_stats(e->reporter, &p->report);
		p->report_backlog = report_backlog(e->reporter);
	}
	p->n_zones = 0;
	for (size_t i = 0; i < e->n_sources; i++) {
		const struct engine_source *s = &e->sources[i];
		const struct dnsbl_stats *d = engine_source_dns_stats(e, i);
		if (d == NULL)
			continue;
		struct em_zone *z = snap_zone(p, s->display, engine_kind_name(s->kind));
		z->queries = d->queries;
		z->listed = d->listed;
		z->not_listed = d->not_listed;
		z->errors = d->errors;
		z->timeouts = d->timeouts;
		z->listed_codes = d->listed_codes;
		z->refusals = d->refusal_codes;
		z->latency = d->latency;
		z->suspended = d->suspended ? 1 : 0;
	}
	pthread_mutex_unlock(&reg.lock);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	publish(arg);
}

int engine_metrics_listen(const cfg_t *cfg, const char *program, metrics_http_t **m_r, char **error_r)
{
	char listen[METRICS_LISTEN_ITEM_MAX];

	metrics_http_listen_for(cfg_str(cfg, CFG_METRICS_LISTEN), program, listen);
	*m_r = NULL;
	if (*listen == '\0')
		return 0;
	if (metrics_http_new(listen, cfg_bool(cfg, CFG_METRICS_ALLOW_REMOTE), engine_metrics_collect, NULL, m_r,
			     error_r) != 0)
		return -1;
	engine_metrics_enable();
	return 0;
}

struct engine_metrics *engine_metrics_new(engine_t *e, struct event_base *base)
{
	struct engine_metrics *m;
	struct timeval tv = { ENGINE_METRICS_PUBLISH_MS / 1000, (ENGINE_METRICS_PUBLISH_MS % 1000) * 1000 };

	if (!atomic_load(&enabled))
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->engine = e;
	m->timer = event_new(base, -1, EV_PERSIST, on_tick, m);
	event_add(m->timer, &tv);
	pthread_mutex_lock(&reg.lock);
	m->next = reg.live;
	reg.live = m;
	pthread_mutex_unlock(&reg.lock);
	publish(m);
	return m;
}

void engine_metrics_free(struct engine_metrics **mp)
{
	struct engine_metrics *m = *mp;

	if (m == NULL)
		return;
	publish(m);
	pthread_mutex_lock(&reg.lock);
	for (struct engine_metrics **pp = &reg.live; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	}
	snap_merge(&reg.retired, &m->pub, false);
	pthread_mutex_unlock(&reg.lock);
	event_free(m->timer);
	free(m->pub.zones);
	free(m);
	*mp = NULL;
}

void engine_metrics_verdict(struct engine_metrics *m, const struct engine_verdict *v)
{
	if (m == NULL)
		return;
	metrics_hist_observe_us(&m->check_latency, v->elapsed_us);
	if ((unsigned)v->action < N_ACTION)
		m->verdicts[v->action]++;
	if (v->skip != ENGINE_SKIP_NONE) {
		if ((unsigned)v->skip < N_SKIP)
			m->skipped[v->skip]++;
		return;
	}
	for (size_t i = 0; i < v->n_sources; i++) {
		const struct engine_source_result *r = &v->sources[i];
		if (r->answer != ENGINE_LISTED && r->answer != ENGINE_NOT_LISTED)
			continue;
		if (r->kind == ENGINE_SOURCE_FILE)
			m->answers[LAYER_FILE]++;
		else if (r->layer == ENGINE_LAYER_LRU)
			m->answers[LAYER_MEMORY]++;
		else if (r->layer == ENGINE_LAYER_REDIS)
			m->answers[LAYER_REDIS]++;
		else if (r->layer == ENGINE_LAYER_LOOKUP)
			m->answers[LAYER_LOOKUP]++;
	}
}

/* ---- writing -------------------------------------------------------- */

static void write_checks(struct buf *out, const struct em_snap *t)
{
	static const char *const skip_names[N_SKIP] = { "none", "authenticated", "allow_networks", "special" };
	struct metrics_label l;

	metrics_family(out, "relayguard_engines", METRICS_GAUGE, "engines running (one per worker thread)");
	metrics_sample_u64(out, "relayguard_engines", NULL, 0, t->engines);
	metrics_family(out, "relayguard_checks_total", METRICS_COUNTER, "checks asked of the engines");
	metrics_sample_u64(out, "relayguard_checks_total", NULL, 0, t->checks);
	metrics_family(out, "relayguard_lookups_total", METRICS_COUNTER,
		       "lookups started (checks minus the ones that joined a lookup in flight or were skipped)");
	metrics_sample_u64(out, "relayguard_lookups_total", NULL, 0, t->lookups);
	metrics_family(out, "relayguard_checks_failed_total", METRICS_COUNTER,
		       "checks where every source failed (lookup_error_action applied)");
	metrics_sample_u64(out, "relayguard_checks_failed_total", NULL, 0, t->failed);
	metrics_family(out, "relayguard_checks_skipped_total", METRICS_COUNTER,
		       "checks not looked up, by reason");
	for (size_t i = 1; i < N_SKIP; i++) {
		l = (struct metrics_label){ "reason", skip_names[i] };
		metrics_sample_u64(out, "relayguard_checks_skipped_total", &l, 1, t->skipped[i]);
	}
	metrics_family(out, "relayguard_verdicts_total", METRICS_COUNTER, "verdicts delivered, by action");
	for (size_t i = 0; i < N_ACTION; i++) {
		l = (struct metrics_label){ "action", verdict_action_name((enum verdict_action)i) };
		metrics_sample_u64(out, "relayguard_verdicts_total", &l, 1, t->verdicts[i]);
	}
	metrics_family(out, "relayguard_answers_total", METRICS_COUNTER,
		       "source answers (listed or not) in delivered checks, by the layer that gave them");
	for (size_t i = 0; i < N_LAYER; i++) {
		l = (struct metrics_label){ "layer", layer_names[i] };
		metrics_sample_u64(out, "relayguard_answers_total", &l, 1, t->answers[i]);
	}
	metrics_family(out, "relayguard_check_duration_seconds", METRICS_HISTOGRAM,
		       "time from a check to its verdict");
	metrics_histogram(out, "relayguard_check_duration_seconds", NULL, 0, &t->check_latency);
}

static void write_caches(struct buf *out, const struct em_snap *t)
{
	struct metrics_label l = { "cache", "memory" };

	metrics_family(out, "relayguard_cache_entries", METRICS_GAUGE, "entries in the in-process caches");
	metrics_sample_u64(out, "relayguard_cache_entries", &l, 1, t->lru_entries);
	metrics_family(out, "relayguard_cache_hits_total", METRICS_COUNTER, "cache hits, by cache");
	metrics_sample_u64(out, "relayguard_cache_hits_total", &l, 1, t->lru_hits);
	if (t->redis_engines > 0)
		metrics_sample_u64(out, "relayguard_cache_hits_total", &(struct metrics_label){ "cache", "redis" }, 1,
				   t->redis.hits);
	metrics_family(out, "relayguard_cache_misses_total", METRICS_COUNTER, "cache misses, by cache");
	metrics_sample_u64(out, "relayguard_cache_misses_total", &l, 1, t->lru_misses);
	if (t->redis_engines == 0)
		return;
	metrics_sample_u64(out, "relayguard_cache_misses_total", &(struct metrics_label){ "cache", "redis" }, 1,
			   t->redis.misses);
	metrics_family(out, "relayguard_redis_up", METRICS_GAUGE,
		       "1 when every engine is connected to Redis, else 0");
	metrics_sample_u64(out, "relayguard_redis_up", NULL, 0, t->redis_up >= t->engines && t->engines > 0);
	metrics_family(out, "relayguard_redis_errors_total", METRICS_COUNTER,
		       "Redis cache reads that failed (timeouts included)");
	metrics_sample_u64(out, "relayguard_redis_errors_total", NULL, 0, t->redis.errors);
	metrics_family(out, "relayguard_redis_timeouts_total", METRICS_COUNTER,
		       "Redis cache reads that hit redis_timeout");
	metrics_sample_u64(out, "relayguard_redis_timeouts_total", NULL, 0, t->redis.timeouts);
	metrics_family(out, "relayguard_redis_reconnects_total", METRICS_COUNTER,
		       "connections to Redis made ready again after a loss");
	metrics_sample_u64(out, "relayguard_redis_reconnects_total", NULL, 0, t->redis.reconnects);
}

static void write_reports(struct buf *out, const struct em_snap *t)
{
	static const char *const fam = "relayguard_report_events_total";
	static const char *const dd = "relayguard_report_deduplicated_total";

	if (t->report_engines == 0)
		return;
	metrics_family(out, fam, METRICS_COUNTER,
		       "report events: emitted by checks, queued to the Redis Stream, written to the spool "
		       "journal, replayed from it, dropped");
	metrics_sample_u64(out, fam, &(struct metrics_label){ "outcome", "emitted" }, 1, t->report.emitted);
	metrics_sample_u64(out, fam, &(struct metrics_label){ "outcome", "queued" }, 1, t->report.queued);
	metrics_sample_u64(out, fam, &(struct metrics_label){ "outcome", "spooled" }, 1, t->report.spooled);
	metrics_sample_u64(out, fam, &(struct metrics_label){ "outcome", "replayed" }, 1, t->report.replayed);
	metrics_sample_u64(out, fam, &(struct metrics_label){ "outcome", "dropped" }, 1, t->report.dropped);
	metrics_family(out, dd, METRICS_COUNTER,
		       "report events not written again: by this process's memory (local), by the "
		       "fleet-wide key (fleet), replays Redis already had (replay)");
	metrics_sample_u64(out, dd, &(struct metrics_label){ "scope", "local" }, 1, t->report.deduped_local);
	metrics_sample_u64(out, dd, &(struct metrics_label){ "scope", "fleet" }, 1, t->report.deduped_fleet);
	metrics_sample_u64(out, dd, &(struct metrics_label){ "scope", "replay" }, 1, t->report.duplicates);
	metrics_family(out, "relayguard_report_backlog", METRICS_GAUGE,
		       "report events waiting: sent to Redis and not yet answered, or in the spool journal "
		       "and not yet replayed");
	metrics_sample_u64(out, "relayguard_report_backlog", NULL, 0, t->report_backlog);
}

/* One counter family per zone field. */
static void write_zone_counter(struct buf *out, const struct em_snap *t, const char *name, const char *help,
			       size_t offset)
{
	metrics_family(out, name, METRICS_COUNTER, help);
	for (size_t i = 0; i < t->n_zones; i++) {
		const struct em_zone *z = &t->zones[i];
		struct metrics_label l[2] = { { "zone", z->name }, { "kind", z->kind } };
		uint64_t v;
		memcpy(&v, (const char *)z + offset, sizeof(v));
		metrics_sample_u64(out, name, l, 2, v);
	}
}

/* A family by zone and answer code. */
static void write_zone_codes(struct buf *out, const struct em_snap *t, const char *name, const char *help,
			     bool refusals)
{
	metrics_family(out, name, METRICS_COUNTER, help);
	for (size_t i = 0; i < t->n_zones; i++) {
		const struct em_zone *z = &t->zones[i];
		const struct metrics_codes *c = refusals ? &z->refusals : &z->listed_codes;
		char code[16];
		struct metrics_label l[3] = { { "zone", z->name }, { "kind", z->kind }, { "code", code } };
		for (size_t k = 0; k < METRICS_CODES_MAX && c->code[k] != 0; k++) {
			metrics_code_text(c->code[k], code);
			metrics_sample_u64(out, name, l, 3, c->n[k]);
		}
		if (c->other > 0) {
			l[2].value = "other";
			metrics_sample_u64(out, name, l, 3, c->other);
		}
	}
}

static void write_zones(struct buf *out, const struct em_snap *t)
{
	write_zone_counter(out, t, "relayguard_zone_queries_total", "DNS queries sent to the zone",
			   offsetof(struct em_zone, queries));
	write_zone_codes(out, t, "relayguard_zone_listed_total", "DNS answers that listed, by answer code",
			 false);
	write_zone_counter(out, t, "relayguard_zone_not_listed_total", "DNS answers that did not list",
			   offsetof(struct em_zone, not_listed));
	write_zone_counter(out, t, "relayguard_zone_errors_total",
			   "DNS queries that failed (timeouts and refusal codes included)",
			   offsetof(struct em_zone, errors));
	write_zone_counter(out, t, "relayguard_zone_timeouts_total", "DNS queries that timed out",
			   offsetof(struct em_zone, timeouts));
	write_zone_codes(out, t, "relayguard_zone_refusals_total",
			 "answers that were error codes (dnsbl_error_codes: the list refused), by code", true);
	metrics_family(out, "relayguard_zone_suspended", METRICS_GAUGE,
		       "1 while the health probes keep the zone out of service (in any engine), else 0");
	for (size_t i = 0; i < t->n_zones; i++) {
		struct metrics_label l[2] = { { "zone", t->zones[i].name }, { "kind", t->zones[i].kind } };
		metrics_sample_u64(out, "relayguard_zone_suspended", l, 2, t->zones[i].suspended > 0);
	}
	metrics_family(out, "relayguard_zone_query_duration_seconds", METRICS_HISTOGRAM,
		       "time from a DNS query to its A answer");
	for (size_t i = 0; i < t->n_zones; i++) {
		struct metrics_label l[2] = { { "zone", t->zones[i].name }, { "kind", t->zones[i].kind } };
		metrics_histogram(out, "relayguard_zone_query_duration_seconds", l, 2, &t->zones[i].latency);
	}
}

void engine_metrics_collect(struct buf *out, void *ctx)
{
	struct em_snap t = { 0 };

	(void)ctx;
	/* Sum under the lock, write after it: the engines wait for a copy at most. */
	pthread_mutex_lock(&reg.lock);
	snap_merge(&t, &reg.retired, false);
	for (struct engine_metrics *m = reg.live; m != NULL; m = m->next)
		snap_merge(&t, &m->pub, true);
	pthread_mutex_unlock(&reg.lock);
	write_checks(out, &t);
	write_caches(out, &t);
	write_reports(out, &t);
	write_zones(out, &t);
	free(t.zones);
}
