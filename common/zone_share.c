/*
 * zone_share - zone health shared through one Redis hash.  Contract in
 * zone_share.h, key and values in doc/redis-schema.md.
 */
#include "config.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "zone_share.h"

/* One dead verdict of another host, from the last read. */
struct dead_entry {
	char zone[SITE_ZONE_MAX + 1];
	char host[ZONE_HOST_MAX];
	char why[ZONE_WHY_MAX];
	int64_t at_ms;
	uint64_t interval_ms;
};

struct done_wait {
	void (*done)(void *ctx);
	void *ctx;
	struct done_wait *next;
};

struct zone_share {
	struct event_base *base;
	rcache_t *rc;
	char *key;			/* {prefix}v1:health */
	char host[ZONE_HOST_MAX];
	unsigned interval_ms;
	bool publish;
	zone_share_apply_cb *apply;
	void *ctx;
	struct event *timer;
	rcache_req_t *read_req;		/* the HGETALL in flight */
	struct done_wait *waits;	/* zone_share_refresh() callers */
	struct dead_entry *dead;
	size_t n_dead;
	bool warned_garbage;
	bool read_once;			/* a read has answered since start */
};

/* ---- the value codec ---------------------------------------------------- */

/* A decimal without leading zeros, at most 18 digits, from *p up to end. */
static int parse_num(const char **p, const char *end, uint64_t *n_r)
{
	const char *s = *p;
	uint64_t n = 0;
	size_t digits = 0;

	while (s < end && *s >= '0' && *s <= '9' && digits < 19) {
		n = n * 10u + (uint64_t)(*s - '0');
		s++;
		digits++;
	}
	if (digits == 0 || digits > 18 || (digits > 1 && **p == '0'))
		return -1;
	*p = s;
	*n_r = n;
	return 0;
}

static bool why_ok(const char *why, size_t len)
{
	if (len == 0 || len >= ZONE_WHY_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)why[i] < 0x20 || (unsigned char)why[i] > 0x7e)
			return false;
	}
	return true;
}

int zone_share_value_parse(const char *v, size_t len, struct zone_share_value *v_r)
{
	const char *p = v + 2, *end = v + len;
	uint64_t at, interval;

	if (len < 5 || (v[0] != 'A' && v[0] != 'D') || v[1] != ' ')
		return -1;
	if (parse_num(&p, end, &at) != 0 || p == end || *p++ != ' ' ||
	    parse_num(&p, end, &interval) != 0 || interval == 0 || interval > ZONE_SHARE_INTERVAL_MAX_MS)
		return -1;
	memset(v_r, 0, sizeof(*v_r));
	v_r->dead = v[0] == 'D';
	v_r->at_ms = (int64_t)at;
	v_r->interval_ms = interval;
	if (!v_r->dead)
		return p == end ? 0 : -1;
	if (p == end || *p++ != ' ' || !why_ok(p, (size_t)(end - p)))
		return -1;
	v_r->why = p;
	v_r->why_len = (size_t)(end - p);
	return 0;
}

int zone_share_value_format(const struct zone_share_value *v, struct buf *out)
{
	if (v->at_ms < 0 || v->at_ms > 999999999999999999LL || v->interval_ms == 0 ||
	    v->interval_ms > ZONE_SHARE_INTERVAL_MAX_MS || (v->dead && !why_ok(v->why, v->why_len)))
		return -1;
	buf_printf(out, "%c %" PRId64 " %" PRIu64, v->dead ? 'D' : 'A', v->at_ms, v->interval_ms);
	if (v->dead) {
		buf_putc(out, ' ');
		buf_append(out, v->why, v->why_len);
	}
	return 0;
}

/* Writes are fire-and-forget; rcache wants a callback all the same. */
static void ignore_reply(int status, const struct rcache_reply *reply, void *ctx)
{
	(void)status;
	(void)reply;
	(void)ctx;
}

/* ---- reading -------------------------------------------------------------- */

static void schedule(zone_share_t *zs, unsigned ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	evtimer_add(zs->timer, &tv);
}

/* Keep one field of the hash if it is another host's dead verdict; HDEL it if ancient. */
static void take_field(zone_share_t *zs, const struct rcache_reply *f, const struct rcache_reply *val,
		       int64_t now_ms)
{
	struct zone_share_value v;
	const char *bar = f->str != NULL ? memchr(f->str, '|', f->len) : NULL;

	if (bar == NULL || val->str == NULL || f->type != RCACHE_REPLY_STRING ||
	    zone_share_value_parse(val->str, val->len, &v) != 0) {
		if (!zs->warned_garbage)
			log_warning("zone health: unreadable field in Redis key %s ignored", zs->key);
		zs->warned_garbage = true;
		return;
	}
	size_t zlen = (size_t)(bar - f->str), hlen = f->len - zlen - 1;
	if (zlen == 0 || zlen > SITE_ZONE_MAX || hlen == 0 || hlen >= ZONE_HOST_MAX)
		return;
	if (now_ms - v.at_ms > (int64_t)ZONE_SHARE_KEEP_S * 1000 && zs->publish) {
		const char *argv[] = { "HDEL", zs->key, f->str };
		size_t lens[] = { 4, strlen(zs->key), f->len };
		(void)rcache_command_argv(zs->rc, 3, argv, lens, ignore_reply, NULL);
		return;
	}
	if (!v.dead || (hlen == strlen(zs->host) && memcmp(bar + 1, zs->host, hlen) == 0) ||
	    zs->n_dead >= ZONE_SHARE_DEAD_MAX)
		return;
	zs->dead = xreallocarray(zs->dead, zs->n_dead + 1, sizeof(*zs->dead));
	struct dead_entry *d = &zs->dead[zs->n_dead++];
	memcpy(d->zone, f->str, zlen);
	d->zone[zlen] = '\0';
	memcpy(d->host, bar + 1, hlen);
	d->host[hlen] = '\0';
	memcpy(d->why, v.why, v.why_len);
	d->why[v.why_len] = '\0';
	d->at_ms = v.at_ms;
	d->interval_ms = v.interval_ms;
}

static void read_done(int status, const struct rcache_reply *reply, void *ctx)
{
	zone_share_t *zs = ctx;
	bool ok = status == 0 && reply->type == RCACHE_REPLY_ARRAY && reply->elements % 2 == 0;

	zs->read_req = NULL;
	if (ok) {
		int64_t now = clock_wall_ms();
		zs->n_dead = 0;
		for (size_t i = 0; i + 1 < reply->elements; i += 2)
			take_field(zs, &reply->element[i], &reply->element[i + 1], now);
	}
	zs->read_once = zs->read_once || ok;
	/* Until the first read answers, try again soon: at start the connection
	 * is usually a few milliseconds from ready, and not connected costs no I/O. */
	unsigned retry = zs->read_once ? ZONE_SHARE_RETRY_MS : ZONE_SHARE_FIRST_RETRY_MS;
	schedule(zs, ok || zs->interval_ms < retry ? zs->interval_ms : retry);
	zs->apply(zs, zs->ctx);
	while (zs->waits != NULL) {
		struct done_wait *w = zs->waits;
		zs->waits = w->next;
		w->done(w->ctx);
		free(w);
	}
}

static void read_start(zone_share_t *zs)
{
	const char *argv[] = { "HGETALL", zs->key };
	size_t lens[] = { 7, strlen(zs->key) };

	if (zs->read_req != NULL)
		return;
	zs->read_req = rcache_command_argv(zs->rc, 2, argv, lens, read_done, zs);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	read_start(arg);
}

/* ---- the rest of the API -------------------------------------------------- */

zone_share_t *zone_share_new(struct event_base *base, rcache_t *rc, const struct zone_share_opts *o,
			     zone_share_apply_cb *apply, void *ctx)
{
	zone_share_t *zs = xcalloc(1, sizeof(*zs));
	struct buf key = BUF_INIT;

	zs->base = base;
	zs->rc = rc;
	buf_printf(&key, "%sv1:health", o->prefix != NULL ? o->prefix : "");
	zs->key = buf_detach(&key);
	snprintf(zs->host, sizeof(zs->host), "%s", o->host);
	zs->interval_ms = o->interval_ms ? o->interval_ms : 1;
	zs->publish = o->publish;
	zs->apply = apply;
	zs->ctx = ctx;
	zs->timer = evtimer_new(base, on_timer, zs);
	if (zs->timer == NULL)
		abort();
	schedule(zs, 0);
	return zs;
}

void zone_share_free(zone_share_t **zsp)
{
	zone_share_t *zs = zsp ? *zsp : NULL;

	if (zs == NULL)
		return;
	if (zs->read_req != NULL)
		rcache_cancel(zs->read_req);
	while (zs->waits != NULL) {
		struct done_wait *w = zs->waits;
		zs->waits = w->next;
		free(w);
	}
	event_free(zs->timer);
	free(zs->dead);
	free(zs->key);
	free(zs);
	*zsp = NULL;
}

void zone_share_publish(zone_share_t *zs, const char *zone, bool dead, const char *why)
{
	struct zone_share_value v = { .dead = dead, .at_ms = clock_wall_ms(), .interval_ms = zs->interval_ms };
	struct buf field = BUF_INIT, value = BUF_INIT, keep = BUF_INIT;
	char cut[ZONE_WHY_MAX];
	size_t n = 0;

	if (!zs->publish || !rcache_up(zs->rc))
		return;
	/* Reasons come from our own probes, but keep the codec's grammar anyway. */
	for (const char *p = why != NULL ? why : ""; *p != '\0' && n < ZONE_WHY_MAX - 1; p++)
		cut[n++] = (unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e ? '?' : *p;
	if (n == 0)
		cut[n++] = '?';
	v.why = cut;
	v.why_len = n;
	buf_printf(&field, "%s|%s", zone, zs->host);
	buf_printf(&keep, "%u", ZONE_SHARE_KEEP_S);
	if (zone_share_value_format(&v, &value) == 0) {
		const char *hset[] = { "HSET", zs->key, field.data, value.data };
		size_t hset_len[] = { 4, strlen(zs->key), field.len, value.len };
		const char *expire[] = { "EXPIRE", zs->key, keep.data };
		size_t expire_len[] = { 6, strlen(zs->key), keep.len };
		(void)rcache_command_argv(zs->rc, 4, hset, hset_len, ignore_reply, NULL);
		(void)rcache_command_argv(zs->rc, 3, expire, expire_len, ignore_reply, NULL);
	}
	buf_free(&field);
	buf_free(&value);
	buf_free(&keep);
}

bool zone_share_dead(const zone_share_t *zs, const char *zone, const char **host_r,
		     const char **why_r, int64_t *at_ms_r)
{
	const struct dead_entry *best = NULL;
	int64_t now = clock_wall_ms();

	for (size_t i = 0; i < zs->n_dead; i++) {
		const struct dead_entry *d = &zs->dead[i];
		if (strcmp(d->zone, zone) != 0 ||
		    now - d->at_ms > (int64_t)(d->interval_ms * ZONE_SHARE_FRESH_ROUNDS))
			continue;
		if (best == NULL || d->at_ms > best->at_ms)
			best = d;
	}
	if (best == NULL)
		return false;
	*host_r = best->host;
	*why_r = best->why;
	*at_ms_r = best->at_ms;
	return true;
}

void zone_share_refresh(zone_share_t *zs, void (*done)(void *ctx), void *ctx)
{
	struct done_wait *w = xcalloc(1, sizeof(*w));

	w->done = done;
	w->ctx = ctx;
	w->next = zs->waits;
	zs->waits = w;
	evtimer_del(zs->timer);
	read_start(zs);
}
