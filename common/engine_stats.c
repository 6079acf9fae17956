/*
 * engine_stats - the engine's counters, written every stats_interval as a
 * snapshot file that relayguard-ctl stats reads.
 *
 * One file per engine: {stats_dir}/{program}.{pid}.{n}.stats, replaced
 * atomically (write a temporary file, rename), removed when the engine is
 * freed.  The format is line-oriented key=value (see engine_stats.h), so a
 * shell script can read it too.  A stats_dir that cannot be written costs
 * one warning, never a check.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "dnsbl.h"
#include "engine_int.h"
#include "engine_stats.h"
#include "log.h"
#include "lru.h"
#include "mem.h"
#include "rcache.h"
#include "stats_history.h"
#include "zone_health.h"

struct engine_stats_writer {
	engine_t *engine;
	struct event *timer;
	char *path;		/* the snapshot; NULL when stats_dir is empty */
	stats_history_t *history;	/* NULL when stats_history is off */
	char src[96];		/* this engine's series in the history: program.pid.n */
	time_t history_every;	/* stats_history_interval, seconds */
	time_t history_last;	/* when the last history lines were appended */
	time_t started;
	bool warned;
};

void engine_stats_format(const engine_t *e, time_t started, struct buf *out)
{
	const struct engine_counters *c = &e->counters;
	struct lru *lru = e->lru;
	struct rcache *rc = e->rcache;

	buf_printf(out, "program=%s pid=%ld started=%lld written=%lld\n", log_ident(), (long)getpid(),
		   (long long)started, (long long)time(NULL));
	buf_printf(out, "checks=%llu lookups=%llu skipped=%llu listed=%llu failed=%llu\n",
		   (unsigned long long)c->checks, (unsigned long long)c->lookups,
		   (unsigned long long)c->skipped, (unsigned long long)c->listed,
		   (unsigned long long)c->failed);
	buf_printf(out, "cache=memory entries=%zu hits=%llu misses=%llu\n", lru_count(lru),
		   (unsigned long long)lru_hits(lru), (unsigned long long)lru_misses(lru));
	if (rc != NULL) {
		struct rcache_stats rs;
		rcache_stats(rc, &rs);
		buf_printf(out, "cache=redis up=%d state=%s hits=%llu misses=%llu errors=%llu timeouts=%llu\n",
			   rcache_up(rc) ? 1 : 0, rcache_state(rc), (unsigned long long)rs.hits, (unsigned long long)rs.misses,
			   (unsigned long long)rs.errors, (unsigned long long)rs.timeouts);
	}
	if (e->reporter != NULL) {
		struct report_stats st;
		struct report_queue_info qi;
		report_stats(e->reporter, &st);
		report_queue_info(e->reporter, &qi);
		buf_printf(out,
			   "reports redis=%s backlog=%zu spool_pending_bytes=%llu oldest=%lld "
			   "spooled=%llu replayed=%llu dropped=%llu\n",
			   qi.redis, report_backlog(e->reporter), (unsigned long long)qi.spool_pending_bytes,
			   qi.oldest, (unsigned long long)st.spooled, (unsigned long long)st.replayed,
			   (unsigned long long)st.dropped);
	}
	for (size_t i = 0; i < e->n_sources; i++) {
		const struct engine_source *s = &e->sources[i];
		const struct dnsbl_stats *d = engine_source_dns_stats(e, i);
		const struct zone_health *h = s->health;
		if (d == NULL || h == NULL)
			continue;
		buf_printf(out,
			   "zone=%s kind=%s queries=%llu listed=%llu not_listed=%llu errors=%llu "
			   "timeouts=%llu latency_us_total=%llu latency_us_max=%llu suspended=%d "
			   "state=%s since=%lld reason=%s\n",
			   s->display, engine_kind_name(s->kind), (unsigned long long)d->queries,
			   (unsigned long long)d->listed, (unsigned long long)d->not_listed,
			   (unsigned long long)d->errors, (unsigned long long)d->timeouts,
			   (unsigned long long)d->latency_us_total, (unsigned long long)d->latency_us_max,
			   d->suspended ? 1 : 0, zone_state_name(h->state), (long long)(h->since_ms / 1000),
			   h->why);
	}
}

/* Write the snapshot: a temporary file renamed over the old one. */
static void stats_write(struct engine_stats_writer *w)
{
	struct buf text = BUF_INIT, tmp = BUF_INIT;
	FILE *f;

	if (w->path == NULL)
		return;
	engine_stats_format(w->engine, w->started, &text);
	buf_printf(&tmp, "%s.tmp", w->path);
	f = fopen(buf_cstr(&tmp), "w");
	if (f == NULL || fwrite(text.data, 1, text.len, f) != text.len || fclose(f) != 0 ||
	    rename(buf_cstr(&tmp), w->path) != 0) {
		if (!w->warned)
			log_warning("stats: cannot write %s: %s (relayguard-ctl stats will not see this process)",
				    w->path, strerror(errno));
		w->warned = true;
	}
	buf_free(&text);
	buf_free(&tmp);
}

void engine_stats_history_format(const engine_t *e, const char *src, time_t started, time_t now,
				 struct buf *out)
{
	const struct engine_counters *c = &e->counters;

	buf_printf(out, "t=%lld src=%s started=%lld checks=%llu skipped=%llu listed=%llu failed=%llu\n",
		   (long long)now, src, (long long)started, (unsigned long long)c->checks,
		   (unsigned long long)c->skipped, (unsigned long long)c->listed, (unsigned long long)c->failed);
	for (size_t i = 0; i < e->n_sources; i++) {
		const struct engine_source *s = &e->sources[i];
		const struct dnsbl_stats *d = engine_source_dns_stats(e, i);
		const struct zone_health *h = s->health;
		if (d == NULL || h == NULL)
			continue;
		buf_printf(out,
			   "t=%lld src=%s zone=%s kind=%s queries=%llu listed=%llu not_listed=%llu errors=%llu "
			   "timeouts=%llu state=%s\n",
			   (long long)now, src, s->display, engine_kind_name(s->kind), (unsigned long long)d->queries,
			   (unsigned long long)d->listed, (unsigned long long)d->not_listed,
			   (unsigned long long)d->errors, (unsigned long long)d->timeouts, zone_state_name(h->state));
	}
}

/* Append this interval's lines to the history. */
static void history_write(struct engine_stats_writer *w)
{
	struct buf lines = BUF_INIT;
	time_t now = time(NULL);

	if (w->history == NULL)
		return;
	w->history_last = now;
	engine_stats_history_format(w->engine, w->src, w->started, now, &lines);
	stats_history_append(w->history, &lines, now);
	buf_free(&lines);
}

static void stats_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct engine_stats_writer *w = arg;

	stats_write(w);
	if (time(NULL) - w->history_last >= w->history_every)
		history_write(w);
}

/* {program}.{pid}.{n}: the daemons' ident has a slash ("relayguard/milter"), not wanted in names */
static void series_name(unsigned n, struct buf *out)
{
	for (const char *p = log_ident(); *p != '\0'; p++)
		buf_putc(out, *p == '/' ? '-' : *p);
	buf_printf(out, ".%ld.%u", (long)getpid(), n);
}

/* Set by the daemons (engine_keep_history()). */
static atomic_bool keep_history;

void engine_keep_history(void)
{
	atomic_store(&keep_history, true);
}

struct engine_stats_writer *engine_stats_writer_new(engine_t *e, struct event_base *base)
{
	static atomic_uint seq;
	const cfg_t *cfg = e->cfg;
	const char *dir = cfg_str(cfg, CFG_STATS_DIR);
	unsigned long long ms = cfg_ms(cfg, CFG_STATS_INTERVAL);
	stats_history_t *history = atomic_load(&keep_history) ? stats_history_new(cfg) : NULL;
	struct engine_stats_writer *w;
	struct buf path = BUF_INIT, src = BUF_INIT;

	if (*dir == '\0' && history == NULL)
		return NULL;
	series_name(atomic_fetch_add(&seq, 1), &src);
	w = xcalloc(1, sizeof(*w));
	if (*dir != '\0') {
		/* Best effort: the folder may exist already, or be made by the package. */
		(void)!daemon_mkdirs(dir, 0755);
		buf_printf(&path, "%s/%s.stats", dir, buf_cstr(&src));
		w->path = buf_detach(&path);
	}
	snprintf(w->src, sizeof(w->src), "%s", buf_cstr(&src));
	buf_free(&src);
	w->engine = e;
	w->history = history;
	w->started = time(NULL);
	w->history_last = w->started;
	w->history_every = (time_t)(cfg_ms(cfg, CFG_STATS_HISTORY_INTERVAL) / 1000);
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	w->timer = event_new(base, -1, EV_PERSIST, stats_tick, w);
	event_add(w->timer, &tv);
	return w;
}

void engine_stats_writer_free(struct engine_stats_writer **wp)
{
	struct engine_stats_writer *w = *wp;

	if (w == NULL)
		return;
	event_free(w->timer);
	/* the counters since the last tick: a short run leaves its history too */
	history_write(w);
	stats_history_free(&w->history);
	if (w->path != NULL)
		(void)unlink(w->path);
	free(w->path);
	free(w);
	*wp = NULL;
}
