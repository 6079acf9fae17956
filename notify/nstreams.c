/*
 * nstreams - the report streams as one queue, and the sums of their
 * partial counts.  See nstreams.h.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "nstreams.h"
#include "report_keys.h"

struct nstreams {
	const cfg_t *cfg;
	char *consumer;
	nqueue_t **q;
	size_t n;
};

int nstreams_open(const cfg_t *cfg, const char *consumer, nstreams_t **s_r, char **error_r)
{
	nstreams_t *s = xcalloc(1, sizeof(*s));

	*s_r = NULL;
	s->cfg = cfg;
	s->consumer = xstrdup(consumer);
	s->n = (size_t)cfg_int(cfg, CFG_REPORT_STREAMS);
	s->q = xcalloc(s->n, sizeof(*s->q));
	for (size_t i = 0; i < s->n; i++) {
		if (nqueue_open_stream(cfg, consumer, (unsigned)i, &s->q[i], error_r) != 0) {
			nstreams_close(&s);
			return -1;
		}
	}
	*s_r = s;
	return 0;
}

void nstreams_close(nstreams_t **sp)
{
	nstreams_t *s = *sp;

	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		nqueue_close(&s->q[i]);
	free(s->q);
	free(s->consumer);
	free(s);
	*sp = NULL;
}

int nstreams_reopen(nstreams_t *s, size_t i, char **error_r)
{
	nqueue_t *q = NULL;

	if (nqueue_open_stream(s->cfg, s->consumer, (unsigned)i, &q, error_r) != 0)
		return -1;
	nqueue_close(&s->q[i]);
	s->q[i] = q;
	return 0;
}

unsigned nstreams_recorded(nstreams_t *s)
{
	struct buf key = BUF_INIT;
	unsigned n = 0;

	report_keys_streams(nqueue_prefix(s->q[0]), &key);
	redisReply *r = nqueue_command(s->q[0], "GET", buf_cstr(&key), NULL);
	if (r != NULL && r->type == REDIS_REPLY_NIL)
		n = 1;
	else if (r != NULL && r->type == REDIS_REPLY_STRING && atoi(r->str) >= 1 && atoi(r->str) <= REPORT_STREAMS_MAX)
		n = (unsigned)atoi(r->str);
	if (r != NULL)
		freeReplyObject(r);
	buf_free(&key);
	return n;
}

/* Is name one of the streams this set reads? */
static bool reads_stream(const nstreams_t *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(nqueue_stream(s->q[i]), name) == 0)
			return true;
	return false;
}

/* 0 when the old layout's stream i (of old) is read by this set or finished, else -1 and *error_r. */
static int old_stream_done(nstreams_t *s, unsigned i, unsigned old, char **error_r)
{
	struct buf name = BUF_INIT, e = BUF_INIT;
	nqueue_t *q = NULL;
	long long left = -1;

	report_keys_stream_at(cfg_str(s->cfg, CFG_REDIS_PREFIX), i, old, &name);
	if (reads_stream(s, buf_cstr(&name))) {
		buf_free(&name);
		return 0;
	}
	char *err = NULL;
	if (nqueue_open_name(s->cfg, buf_cstr(&name), &q, &err) == 0)
		left = nqueue_backlog(q);
	nqueue_close(&q);
	if (left != 0) {
		buf_printf(&e, "report_streams is %zu, but the notifiers last read %u streams and %s ", s->n, old,
			   buf_cstr(&name));
		if (left > 0)
			buf_printf(&e, "still holds events not yet counted (%lld or more)", left);
		else
			buf_printf(&e, "could not be checked (%s)", err != NULL ? err : "Redis did not answer");
		buf_printf(&e, ": run the notifiers with report_streams = %u until `relayguard-ctl queue` shows "
			   "pending 0 and lag 0 on every stream, then change it (doc/redis-schema.md)", old);
		*error_r = buf_detach(&e);
	}
	free(err);
	buf_free(&name);
	buf_free(&e);
	return left == 0 ? 0 : -1;
}

int nstreams_check_layout(nstreams_t *s, char **error_r)
{
	struct buf key = BUF_INIT;
	char num[24];
	int rc = 0;

	report_keys_streams(nqueue_prefix(s->q[0]), &key);
	unsigned old = nstreams_recorded(s);
	if (old == 0) {
		*error_r = xstrdup("redis: cannot read the recorded report_streams");
		rc = -1;
	}
	for (unsigned i = 0; rc == 0 && old != s->n && i < old; i++)
		rc = old_stream_done(s, i, old, error_r);
	if (rc == 0 && old != s->n) {
		/* absent means 1: report_streams = 1 leaves no key behind */
		snprintf(num, sizeof(num), "%zu", s->n);
		redisReply *r = s->n == 1 ? nqueue_command(s->q[0], "DEL", buf_cstr(&key), NULL)
					  : nqueue_command(s->q[0], "SET", buf_cstr(&key), num, NULL);
		if (r != NULL)
			freeReplyObject(r);
		log_notice("report_streams changed from %u to %zu: every stream no longer read is finished", old, s->n);
	}
	buf_free(&key);
	return rc;
}

size_t nstreams_count(const nstreams_t *s)
{
	return s->n;
}

nqueue_t *nstreams_at(const nstreams_t *s, size_t i)
{
	return s->q[i];
}

nqueue_t *nstreams_home(const nstreams_t *s)
{
	return s->q[0];
}

/* Partial hits of one window, gathered from every stream. */
struct partial {
	char *netkey;
	long long hits;
};

struct partials {
	struct partial *v;
	size_t n, cap;
};

static void add_partial(long long window, const char *netkey, long long hits, void *ctx)
{
	struct partials *p = ctx;

	(void)window;
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
	}
	p->v[p->n].netkey = xstrdup(netkey);
	p->v[p->n++].hits = hits;
}

static int cmp_partial(const void *a, const void *b)
{
	return strcmp(((const struct partial *)a)->netkey, ((const struct partial *)b)->netkey);
}

/* Sort the partials by netkey and sum each network's into one (in place). */
static void sum_partials(struct partials *p)
{
	size_t o = 0;

	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), cmp_partial);
	for (size_t i = 0; i < p->n; i++) {
		if (o > 0 && strcmp(p->v[o - 1].netkey, p->v[i].netkey) == 0) {
			p->v[o - 1].hits += p->v[i].hits;
			free(p->v[i].netkey);
		} else {
			p->v[o++] = p->v[i];
		}
	}
	p->n = o;
}

static void free_partials(struct partials *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i].netkey);
	free(p->v);
}

static int cmp_hits_desc(const void *a, const void *b)
{
	const struct partial *x = a, *y = b;

	if (x->hits != y->hits)
		return x->hits < y->hits ? 1 : -1;
	return strcmp(y->netkey, x->netkey);	/* ZREVRANGE's order among equals */
}

int nstreams_top(nstreams_t *s, long long window, long top, nqueue_hits_cb *cb, void *ctx, char **error_r)
{
	struct partials p = { 0 };
	int rc = 0;

	/* with one stream: min 1 and no limit would change nothing but the
	 * command; keep ZREVRANGE's exact order by reading everything too */
	for (size_t i = 0; i < s->n && rc == 0; i++)
		rc = nqueue_due_hits(s->q[i], window, 1, add_partial, &p, error_r);
	sum_partials(&p);
	if (p.n > 1)
		qsort(p.v, p.n, sizeof(*p.v), cmp_hits_desc);
	for (size_t i = 0; rc == 0 && i < p.n && (top < 0 || (long)i < top); i++)
		cb(window, p.v[i].netkey, p.v[i].hits, ctx);
	free_partials(&p);
	return rc;
}

int nstreams_due(nstreams_t *s, long long window, long long min_hits, nqueue_due_cb *cb, void *ctx, char **error_r)
{
	struct partials p = { 0 };
	int rc = 0;

	if (s->n == 1)
		return nqueue_due(s->q[0], window, min_hits, cb, ctx, error_r);
	/* a network under min_hits in every stream may still reach it summed:
	 * every partial of the window is read */
	for (size_t i = 0; i < s->n && rc == 0; i++)
		rc = nqueue_due_hits(s->q[i], window, 1, add_partial, &p, error_r);
	sum_partials(&p);
	for (size_t i = 0; rc == 0 && i < p.n; i++)
		if (p.v[i].hits >= min_hits)
			cb(window, p.v[i].netkey, ctx);
	free_partials(&p);
	return rc;
}

void nstreams_due_batch(nstreams_t *s, const nagg_t *batch, long long min_hits, nqueue_due_cb *cb, void *ctx)
{
	size_t n = nagg_count(batch);

	if (s->n == 1 || n == 0)
		return;
	long long *wins = xcalloc(n, sizeof(*wins)), *sums = xcalloc(n, sizeof(*sums));
	char **keys = xcalloc(n, sizeof(*keys));
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		const struct net_agg *net = nagg_at(batch, i);
		wins[i] = net->window;
		keys[i] = net->netkey;
	}
	for (size_t k = 0; k < s->n && rc == 0; k++)
		rc = nqueue_scores(s->q[k], wins, keys, n, sums);
	/* on a failed read nothing is due here; the periodic scan finds it */
	for (size_t i = 0; i < n && rc == 0; i++)
		if (sums[i] >= min_hits)
			cb(wins[i], keys[i], ctx);
	free(wins);
	free(sums);
	free(keys);
}

void nstreams_load_nets(nstreams_t *s, nagg_t *into, const long long *windows, char *const *netkeys, size_t n,
			struct net_agg **nets_r)
{
	struct net_agg **more = xcalloc(n ? n : 1, sizeof(*more));

	nqueue_load_nets(s->q[0], into, windows, netkeys, n, nets_r);
	for (size_t k = 1; k < s->n; k++) {
		/* ncounts_load() adds into the network already in `into` */
		nqueue_load_nets(s->q[k], into, windows, netkeys, n, more);
		for (size_t i = 0; i < n; i++)
			if (nets_r[i] == NULL)
				nets_r[i] = more[i];
	}
	free(more);
}

struct net_agg *nstreams_load_net(nstreams_t *s, nagg_t *into, long long window, const char *netkey)
{
	char *key = (char *)netkey;
	struct net_agg *net = NULL;

	nstreams_load_nets(s, into, &window, &key, 1, &net);
	return net;
}
