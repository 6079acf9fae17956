/*
 * nqueue - the report stream as a consumer group, shared network counts
 * and notice bookkeeping in Redis.  See nqueue.h.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "redis_auth.h"
#include "redis_cluster.h"
#include "redis_sentinel.h"
#include "nqueue.h"
#include "nqueue_int.h"

struct buf *nqueue_args_next(struct args *a)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	buf_init(&a->v[a->n]);
	return &a->v[a->n++];
}

void nqueue_args_add(struct args *a, const char *s)
{
	buf_puts(nqueue_args_next(a), s);
}

void nqueue_args_free(struct args *a)
{
	for (size_t i = 0; i < a->n; i++)
		buf_free(&a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

/* argv and lengths of a for hiredis (caller frees both). */
static void args_vectors(const struct args *a, const char ***argv_r, size_t **lens_r)
{
	const char **argv = xcalloc(a->n, sizeof(*argv));
	size_t *lens = xcalloc(a->n, sizeof(*lens));

	for (size_t i = 0; i < a->n; i++) {
		argv[i] = buf_cstr(&a->v[i]);
		lens[i] = a->v[i].len;
	}
	*argv_r = argv;
	*lens_r = lens;
}

redisReply *nqueue_args_run(nqueue_t *q, const struct args *a)
{
	const char **argv;
	size_t *lens;

	args_vectors(a, &argv, &lens);
	redisReply *r = redisCommandArgv(q->c, (int)a->n, argv, lens);
	free(argv);
	free(lens);
	return r;
}

/* Run a command given as strings (the rest of a NULL-terminated list). */
static redisReply *vrun(nqueue_t *q, const char *first, va_list ap)
{
	struct args a = { 0 };

	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		nqueue_args_add(&a, s);
	redisReply *r = nqueue_args_run(q, &a);
	nqueue_args_free(&a);
	return r;
}

/* Run a command given as strings (NULL-terminated list). */
redisReply *nqueue_run(nqueue_t *q, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	redisReply *r = vrun(q, first, ap);
	va_end(ap);
	return r;
}

/*
 * Pipelining (nqueue_int.h): the *_many functions append n commands and
 * then read n replies: one round trip instead of n.
 */
void nqueue_append(nqueue_t *q, const char *first, ...)
{
	struct args a = { 0 };
	const char **argv;
	size_t *lens;
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		nqueue_args_add(&a, s);
	va_end(ap);
	args_vectors(&a, &argv, &lens);
	(void)redisAppendCommandArgv(q->c, (int)a.n, argv, lens);
	free(argv);
	free(lens);
	nqueue_args_free(&a);
}

redisReply *nqueue_next_reply(nqueue_t *q)
{
	void *r = NULL;

	if (redisGetReply(q->c, &r) != REDIS_OK)
		return NULL;
	return r;
}

int nqueue_reply_error(nqueue_t *q, redisReply *r, const char *what, char **error_r)
{
	struct buf e = BUF_INIT;

	if (r == NULL)
		buf_printf(&e, "redis: %s: %s", what, q->c->errstr[0] ? q->c->errstr : "no reply");
	else
		buf_printf(&e, "redis: %s: %.200s", what, r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	if (error_r != NULL)
		*error_r = buf_detach(&e);
	buf_free(&e);
	if (r != NULL)
		freeReplyObject(r);
	return -1;
}

static int connect_server(nqueue_t *q, const cfg_t *cfg, char **error_r)
{
	char *target = redis_target_from_cfg(cfg);	/* redis_server or the Sentinels */
	char *server = NULL;
	unsigned long long ms = cfg_ms(cfg, CFG_REDIS_TIMEOUT);
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };
	/* a batch commit does real work: give commands more than a cache read */
	struct timeval cmd_tv = { tv.tv_sec + 10, tv.tv_usec };

	/* On a cluster: the master of the stream's slot, which every key of
	 * the notifier shares (doc/redis-schema.md). */
	struct redis_auth sentinel_auth, auth;
	redis_auth_from_cfg(&sentinel_auth, cfg, REDIS_AUTH_SENTINEL);
	redis_auth_from_cfg(&auth, cfg, REDIS_AUTH_SERVER);
	int rc = redis_target_resolve_sync(target, q->stream, &sentinel_auth, &auth, (unsigned)ms, &server,
					   error_r);
	redis_auth_clear(&sentinel_auth);
	free(target);
	if (rc != 0) {
		redis_auth_clear(&auth);
		return -1;
	}
	if (strncmp(server, "unix:", 5) == 0) {
		q->c = redisConnectUnixWithTimeout(server + 5, tv);
	} else {
		const char *colon = strrchr(server, ':');
		char *host = colon ? xstrndup(server, (size_t)(colon - server)) : xstrdup(server);
		if (host[0] == '[') {
			char *h = xstrndup(host + 1, strlen(host) > 2 ? strlen(host) - 2 : 0);
			free(host);
			host = h;
		}
		q->c = redisConnectWithTimeout(host, colon ? atoi(colon + 1) : 6379, tv);
		free(host);
	}
	if (q->c == NULL || q->c->err) {
		struct buf e = BUF_INIT;
		buf_printf(&e, "redis %s: %s", server, q->c ? q->c->errstr : "cannot connect");
		*error_r = buf_detach(&e);
		free(server);
		redis_auth_clear(&auth);
		return -1;
	}
	free(server);
	redisSetTimeout(q->c, cmd_tv);
	redisReply *r;
	const char *av[3];
	size_t lens[3];
	int ac = redis_auth_argv(&auth, av, lens);
	if (ac > 0) {
		r = redisCommandArgv(q->c, ac, av, lens);
		if (r == NULL || r->type == REDIS_REPLY_ERROR) {
			redis_auth_clear(&auth);
			return nqueue_reply_error(q, r, "AUTH", error_r);	/* never echo the password */
		}
		freeReplyObject(r);
	}
	redis_auth_clear(&auth);
	if (cfg_int(cfg, CFG_REDIS_DB) != 0) {
		char db[24];
		snprintf(db, sizeof(db), "%lld", cfg_int(cfg, CFG_REDIS_DB));
		r = nqueue_run(q, "SELECT", db, NULL);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			return nqueue_reply_error(q, r, "SELECT", error_r);
		freeReplyObject(r);
	}
	return 0;
}

int nqueue_open(const cfg_t *cfg, const char *consumer, nqueue_t **q_r, char **error_r)
{
	return nqueue_open_stream(cfg, consumer, 0, q_r, error_r);
}

/* Connect for the stream named stream; the group is created only with create_group. */
static int open_named(const cfg_t *cfg, const char *consumer, const char *stream, bool create_group, nqueue_t **q_r,
		      char **error_r)
{
	nqueue_t *q = xcalloc(1, sizeof(*q));
	struct buf kp = BUF_INIT;

	*q_r = NULL;
	q->prefix = xstrdup(cfg_str(cfg, CFG_REDIS_PREFIX));
	/* Tagged with the stream's name: every key of the commit and claim
	 * scripts is in the stream's hash slot (doc/redis-schema.md). */
	report_keys_tagged_for(q->prefix, stream, &kp);
	q->kp = buf_detach(&kp);
	q->stream = xstrdup(stream);
	q->consumer = xstrdup(consumer);
	q->claim_idle_ms = cfg_ms(cfg, CFG_NOTIFY_CLAIM_IDLE);
	q->window_s = (long long)(cfg_ms(cfg, CFG_NOTIFY_WINDOW) / 1000);
	/* Several streams: a stream's share of a round ends after one batch,
	 * so a read sent ahead would meet the next round's claim read. */
	q->speculate = cfg_int(cfg, CFG_REPORT_STREAMS) <= 1;
	nqueue_rewind(q);
	/* the first connection reads the stream (nqueue_reader.c), the second does the rest */
	if (connect_server(q, cfg, error_r) != 0) {
		nqueue_close(&q);
		return -1;
	}
	q->rc = q->c;
	q->c = NULL;
	nqueue_reader_setup(q);
	if (connect_server(q, cfg, error_r) != 0) {
		nqueue_close(&q);
		return -1;
	}
	redisReply *r = create_group ? nqueue_run(q, "XGROUP", "CREATE", q->stream, NQUEUE_GROUP, "0", "MKSTREAM", NULL)
				     : NULL;
	if (create_group && (r == NULL || (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0))) {
		nqueue_reply_error(q, r, "XGROUP CREATE", error_r);
		nqueue_close(&q);
		return -1;
	}
	if (r != NULL)
		freeReplyObject(r);
	*q_r = q;
	return 0;
}

int nqueue_open_stream(const cfg_t *cfg, const char *consumer, unsigned index, nqueue_t **q_r, char **error_r)
{
	struct buf s = BUF_INIT;

	report_keys_stream_at(cfg_str(cfg, CFG_REDIS_PREFIX), index, (unsigned)cfg_int(cfg, CFG_REPORT_STREAMS), &s);
	int rc = open_named(cfg, consumer, buf_cstr(&s), true, q_r, error_r);
	buf_free(&s);
	return rc;
}

int nqueue_open_name(const cfg_t *cfg, const char *stream, nqueue_t **q_r, char **error_r)
{
	return open_named(cfg, "relayguard-check", stream, false, q_r, error_r);
}

/* The value of field name in a flat [name, value, ...] reply, or NULL. */
static const redisReply *field_of(const redisReply *r, const char *name)
{
	for (size_t i = 0; r != NULL && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0)
			return r->element[i + 1];
	return NULL;
}

long long nqueue_backlog(nqueue_t *q)
{
	redisReply *g = nqueue_run(q, "XINFO", "GROUPS", q->stream, NULL);
	redisReply *st = nqueue_run(q, "XINFO", "STREAM", q->stream, NULL);
	long long left = -1;

	if (g != NULL && g->type == REDIS_REPLY_ERROR && st != NULL && st->type == REDIS_REPLY_ERROR)
		left = 0;	/* no such stream: nothing left in it */
	for (size_t i = 0; g != NULL && g->type == REDIS_REPLY_ARRAY && i < g->elements; i++) {
		const redisReply *name = field_of(g->element[i], "name"), *pend = field_of(g->element[i], "pending");
		const redisReply *last = field_of(g->element[i], "last-delivered-id");
		const redisReply *gen = field_of(st, "last-generated-id");
		if (name == NULL || name->type != REDIS_REPLY_STRING || strcmp(name->str, NQUEUE_GROUP) != 0 ||
		    pend == NULL || pend->type != REDIS_REPLY_INTEGER || last == NULL || gen == NULL ||
		    last->type != REDIS_REPLY_STRING || gen->type != REDIS_REPLY_STRING)
			continue;
		/* pending, plus "something never delivered" when the group's
		 * last id is not the stream's (lag is not always known) */
		left = pend->integer + (strcmp(last->str, gen->str) != 0 ? 1 : 0);
	}
	if (left < 0 && st != NULL && st->type == REDIS_REPLY_ARRAY) {
		const redisReply *len = field_of(st, "length");	/* no group: never read */
		left = len != NULL && len->type == REDIS_REPLY_INTEGER ? len->integer : -1;
	}
	if (g != NULL)
		freeReplyObject(g);
	if (st != NULL)
		freeReplyObject(st);
	return left;
}

void nqueue_close(nqueue_t **qp)
{
	nqueue_t *q = *qp;

	if (q == NULL)
		return;
	if (q->c != NULL)
		redisFree(q->c);
	if (q->rc != NULL)
		redisFree(q->rc);
	nqueue_reader_free(q);
	free(q->prefix);
	free(q->kp);
	free(q->stream);
	free(q->consumer);
	free(q);
	*qp = NULL;
}

void nqueue_rewind(nqueue_t *q)
{
	snprintf(q->own_cursor, sizeof(q->own_cursor), "0");
	snprintf(q->claim_cursor, sizeof(q->claim_cursor), "0-0");
}

/* One [id, [field, value, ...]] entry; cb with the event or NULL. */
static void read_entry(const redisReply *e, nqueue_entry_cb *cb, void *ctx, char *last_id)
{
	struct report_event ev;
	const char *why;
	bool good = true;

	if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[0]->type != REDIS_REPLY_STRING ||
	    e->element[0]->len >= NQUEUE_ID_MAX)
		return;
	const char *id = e->element[0]->str;
	const redisReply *f = e->element[1];
	memset(&ev, 0, sizeof(ev));
	if (f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0) {
		good = false;	/* deleted (nil) or damaged */
	} else {
		for (size_t i = 0; i + 1 < f->elements && good; i += 2) {
			const redisReply *k = f->element[i], *v = f->element[i + 1];
			good = k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING &&
			       report_event_set(&ev, k->str, k->len, v->str, v->len) == 0;
		}
		good = good && report_event_check(&ev, &why) == 0;
	}
	if (last_id != NULL)
		memcpy(last_id, id, e->element[0]->len + 1);
	cb(id, good ? &ev : NULL, ctx);
}

long nqueue_read_entries(const redisReply *list, nqueue_entry_cb *cb, void *ctx, char *last_id)
{
	if (list->type != REDIS_REPLY_ARRAY)
		return 0;
	for (size_t i = 0; i < list->elements; i++)
		read_entry(list->element[i], cb, ctx, last_id);
	return (long)list->elements;
}

long nqueue_read(nqueue_t *q, enum nqueue_phase phase, size_t count, int block_ms,
		 nqueue_entry_cb *cb, void *ctx, char **error_r)
{
	char n[24], blk[24], idle[24];
	redisReply *r;
	long got = 0;

	snprintf(n, sizeof(n), "%zu", count);
	snprintf(blk, sizeof(blk), "%d", block_ms);
	if (phase != NQUEUE_NEW)
		nqueue_ahead_drop(q);
	if (phase == NQUEUE_CLAIM) {
		snprintf(idle, sizeof(idle), "%llu", q->claim_idle_ms);
		nqueue_stream_append(q, "XAUTOCLAIM", q->stream, NQUEUE_GROUP, q->consumer, idle, q->claim_cursor,
				     "COUNT", n, NULL);
		r = nqueue_stream_reply(q);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
			return nqueue_stream_error(q, r, "XAUTOCLAIM", error_r);
		got = nqueue_read_entries(r->element[1], cb, ctx, NULL);
		if (r->element[0]->type == REDIS_REPLY_STRING && r->element[0]->len < NQUEUE_ID_MAX)
			memcpy(q->claim_cursor, r->element[0]->str, r->element[0]->len + 1);
		nqueue_stream_done(q);
		return got;
	}
	const char *from = phase == NQUEUE_NEW ? ">" : q->own_cursor;
	if (phase == NQUEUE_NEW && q->read_ahead)
		q->read_ahead = false;	/* asked already: its reply is next */
	else if (phase == NQUEUE_NEW && block_ms > 0)
		nqueue_stream_append(q, "XREADGROUP", "GROUP", NQUEUE_GROUP, q->consumer, "COUNT", n, "BLOCK", blk,
				     "STREAMS", q->stream, from, NULL);
	else
		nqueue_stream_append(q, "XREADGROUP", "GROUP", NQUEUE_GROUP, q->consumer, "COUNT", n, "STREAMS",
				     q->stream, from, NULL);
	r = nqueue_stream_reply(q);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return nqueue_stream_error(q, r, "XREADGROUP", error_r);
	const redisReply *entries = nqueue_group_entries(r);
	if (entries != NULL) {
		/* a full read: the stream likely has more, ask before counting */
		if (phase == NQUEUE_NEW && entries->elements == count && q->speculate)
			nqueue_read_ahead(q, count);
		got = nqueue_read_entries(entries, cb, ctx, phase == NQUEUE_OWN_PENDING ? q->own_cursor : NULL);
	}
	nqueue_stream_done(q);
	return got;
}

/* nqueue_due() through nqueue_due_hits(): the hits dropped. */
struct due_only {
	nqueue_due_cb *cb;
	void *ctx;
};

static void due_only_cb(long long window, const char *netkey, long long hits, void *ctx)
{
	const struct due_only *d = ctx;

	(void)hits;
	d->cb(window, netkey, d->ctx);
}

int nqueue_due(nqueue_t *q, long long window, long long min_hits, nqueue_due_cb *cb, void *ctx,
	       char **error_r)
{
	struct due_only d = { cb, ctx };

	return nqueue_due_hits(q, window, min_hits, due_only_cb, &d, error_r);
}

int nqueue_due_hits(nqueue_t *q, long long window, long long min_hits, nqueue_hits_cb *cb, void *ctx,
		    char **error_r)
{
	struct buf key = BUF_INIT;
	char min[24];

	report_keys_nets(q->kp, window, &key);
	snprintf(min, sizeof(min), "%lld", min_hits);
	redisReply *r = nqueue_run(q, "ZRANGEBYSCORE", buf_cstr(&key), min, "+inf", "WITHSCORES", NULL);
	buf_free(&key);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return nqueue_reply_error(q, r, "ZRANGEBYSCORE", error_r);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING)
			cb(window, r->element[i]->str, atoll(r->element[i + 1]->str), ctx);
	freeReplyObject(r);
	return 0;
}

int nqueue_scores(nqueue_t *q, const long long *windows, char *const *netkeys, size_t n, long long *add_to)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct buf key = BUF_INIT;
		report_keys_nets(q->kp, windows[i], &key);
		nqueue_append(q, "ZSCORE", buf_cstr(&key), netkeys[i], NULL);
		buf_free(&key);
	}
	for (size_t i = 0; i < n; i++) {
		redisReply *r = nqueue_next_reply(q);
		if (r == NULL || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL))
			rc = -1;
		else if (r->type == REDIS_REPLY_STRING)
			add_to[i] += atoll(r->str);
		if (r != NULL)
			freeReplyObject(r);
		if (r == NULL)
			break;	/* the connection is gone: no more replies */
	}
	return rc;
}

void *nqueue_command(nqueue_t *q, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	redisReply *r = vrun(q, first, ap);
	va_end(ap);
	return r;
}

const char *nqueue_prefix(const nqueue_t *q)
{
	return q->kp;
}

const char *nqueue_stream(const nqueue_t *q)
{
	return q->stream;
}

long nqueue_scan(nqueue_t *q, char cursor[NQUEUE_ID_MAX], size_t count, nqueue_entry_cb *cb,
		 void *ctx, char **error_r)
{
	char n[24];
	struct buf from = BUF_INIT;

	snprintf(n, sizeof(n), "%zu", count);
	nqueue_ahead_drop(q);
	buf_printf(&from, "%s%s", cursor[0] ? "(" : "", cursor[0] ? cursor : "-");
	nqueue_stream_append(q, "XRANGE", q->stream, buf_cstr(&from), "+", "COUNT", n, NULL);
	buf_free(&from);
	redisReply *r = nqueue_stream_reply(q);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return nqueue_stream_error(q, r, "XRANGE", error_r);
	long got = nqueue_read_entries(r, cb, ctx, cursor);
	nqueue_stream_done(q);
	return got;
}
