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
#include "redis_sentinel.h"
#include "nqueue.h"

/* Arguments per network block of the commit script, before its rows. */
#define COMMIT_NET_FIELDS 12

/*
 * The commit: XACK the batch, then merge each network block.  See the
 * argument layout in commit_args().  Returns window, netkey pairs of the
 * networks at or over min_hits and not told.  When no id was still
 * pending (another notifier took and committed them), nothing is counted
 * twice.  An address costs three hash writes and no read: its hits add
 * up, its details ("first TAB evidence TAB helo", d:) are those of its
 * first sighting, its last sighting (l:) is the batch's.
 */
static const char commit_script[] =
	"local p, stream, group = ARGV[1], ARGV[2], ARGV[3]\n"
	"local ttl, minh, nids = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
	"local i = 7\n"
	"if nids > 0 then\n"
	"  local acked = redis.call('XACK', stream, group, unpack(ARGV, i, i + nids - 1))\n"
	"  i = i + nids\n"
	"  if acked == 0 then return {} end\n"
	"end\n"
	"local out, zk = {}, {}\n"
	"while i <= #ARGV do\n"
	"  local w, nk = ARGV[i], ARGV[i + 1]\n"
	"  local k = p .. 'net:' .. w .. ':' .. nk\n"
	"  if redis.call('HSETNX', k, 'network', ARGV[i + 2]) == 1 then\n"
	"    redis.call('HSET', k, 'netkey', nk, 'window', w, 'netname', ARGV[i + 3], 'org', ARGV[i + 4],\n"
	"      'country', ARGV[i + 5], 'abuse', ARGV[i + 6], 'owned', ARGV[i + 7], 'first', ARGV[i + 9])\n"
	"    redis.call('EXPIRE', k, ttl)\n"
	"    if not zk[w] then zk[w] = true; redis.call('ZADD', p .. 'nets:' .. w, 0, nk);\n"
	"      redis.call('EXPIRE', p .. 'nets:' .. w, ttl) end\n"
	"  end\n"
	"  local tot = redis.call('HINCRBY', k, 'hits', ARGV[i + 8])\n"
	"  if tonumber(redis.call('HGET', k, 'last') or '0') < tonumber(ARGV[i + 10]) then\n"
	"    redis.call('HSET', k, 'last', ARGV[i + 10]) end\n"
	"  local na = tonumber(ARGV[i + 11])\n"
	"  i = i + 12\n"
	"  for _ = 1, na do\n"
	"    redis.call('HINCRBY', k, 'a:' .. ARGV[i], ARGV[i + 1])\n"
	"    redis.call('HSETNX', k, 'd:' .. ARGV[i], ARGV[i + 2])\n"
	"    redis.call('HSET', k, 'l:' .. ARGV[i], ARGV[i + 3])\n"
	"    i = i + 4\n"
	"  end\n"
	"  for _, tag in ipairs({'h:', 'L:'}) do\n"
	"    local n = tonumber(ARGV[i])\n"
	"    i = i + 1\n"
	"    for _ = 1, n do redis.call('HINCRBY', k, tag .. ARGV[i], ARGV[i + 1]); i = i + 2 end\n"
	"  end\n"
	"  redis.call('ZADD', p .. 'nets:' .. w, tot, nk)\n"
	"  if tot >= minh and redis.call('EXISTS', p .. 'told:' .. nk) == 0 then\n"
	"    out[#out + 1] = w; out[#out + 1] = nk end\n"
	"end\n"
	"return out\n";

struct nqueue {
	redisContext *c;
	char *prefix;
	char *kp;			/* key prefix of the notifier's keys: "{prefix}{{prefix}reports}:" */
	char *stream;
	char *consumer;
	unsigned long long claim_idle_ms;
	long long window_s;
	char own_cursor[NQUEUE_ID_MAX];
	char claim_cursor[NQUEUE_ID_MAX];
};

/* A growing argument vector; the strings are owned by the bufs. */
struct args {
	struct buf *v;
	size_t n, cap;
};

static void args_add(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void args_add(struct args *a, const char *fmt, ...)
{
	va_list ap;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = xreallocarray(a->v, a->cap, sizeof(*a->v));
	}
	buf_init(&a->v[a->n]);
	va_start(ap, fmt);
	buf_vprintf(&a->v[a->n++], fmt, ap);
	va_end(ap);
}

static void args_free(struct args *a)
{
	for (size_t i = 0; i < a->n; i++)
		buf_free(&a->v[i]);
	free(a->v);
	memset(a, 0, sizeof(*a));
}

static redisReply *args_run(nqueue_t *q, const struct args *a)
{
	const char **argv = xcalloc(a->n, sizeof(*argv));
	size_t *lens = xcalloc(a->n, sizeof(*lens));

	for (size_t i = 0; i < a->n; i++) {
		argv[i] = buf_cstr(&a->v[i]);
		lens[i] = a->v[i].len;
	}
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
		args_add(&a, "%s", s);
	redisReply *r = args_run(q, &a);
	args_free(&a);
	return r;
}

/* Run a command given as strings (NULL-terminated list). */
static redisReply *run(nqueue_t *q, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	redisReply *r = vrun(q, first, ap);
	va_end(ap);
	return r;
}

static int reply_error(nqueue_t *q, redisReply *r, const char *what, char **error_r)
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

	int rc = redis_sentinel_resolve_sync(target, cfg_str(cfg, CFG_REDIS_SENTINEL_PASSWORD),
					     (unsigned)ms, &server, error_r);
	free(target);
	if (rc != 0)
		return -1;
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
		return -1;
	}
	free(server);
	redisSetTimeout(q->c, cmd_tv);
	const char *password = cfg_str(cfg, CFG_REDIS_PASSWORD);
	redisReply *r;
	if (*password != '\0') {
		r = run(q, "AUTH", password, NULL);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			return reply_error(q, r, "AUTH", error_r);	/* never echo the password */
		freeReplyObject(r);
	}
	if (cfg_int(cfg, CFG_REDIS_DB) != 0) {
		char db[24];
		snprintf(db, sizeof(db), "%lld", cfg_int(cfg, CFG_REDIS_DB));
		r = run(q, "SELECT", db, NULL);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			return reply_error(q, r, "SELECT", error_r);
		freeReplyObject(r);
	}
	return 0;
}

int nqueue_open(const cfg_t *cfg, const char *consumer, nqueue_t **q_r, char **error_r)
{
	nqueue_t *q = xcalloc(1, sizeof(*q));
	struct buf s = BUF_INIT;

	*q_r = NULL;
	q->prefix = xstrdup(cfg_str(cfg, CFG_REDIS_PREFIX));
	buf_printf(&s, "%sreports", q->prefix);
	/* Tagged with the stream's name: every key of the commit and claim
	 * scripts is in the stream's hash slot (doc/redis-schema.md). */
	{
		struct buf kp = BUF_INIT;
		nqueue_key_prefix(q->prefix, &kp);
		q->kp = buf_detach(&kp);
	}
	q->stream = buf_detach(&s);
	q->consumer = xstrdup(consumer);
	q->claim_idle_ms = cfg_ms(cfg, CFG_NOTIFY_CLAIM_IDLE);
	q->window_s = (long long)(cfg_ms(cfg, CFG_NOTIFY_WINDOW) / 1000);
	nqueue_rewind(q);
	if (connect_server(q, cfg, error_r) != 0) {
		nqueue_close(&q);
		return -1;
	}
	redisReply *r = run(q, "XGROUP", "CREATE", q->stream, NQUEUE_GROUP, "0", "MKSTREAM", NULL);
	if (r == NULL || (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)) {
		reply_error(q, r, "XGROUP CREATE", error_r);
		nqueue_close(&q);
		return -1;
	}
	freeReplyObject(r);
	*q_r = q;
	return 0;
}

void nqueue_close(nqueue_t **qp)
{
	nqueue_t *q = *qp;

	if (q == NULL)
		return;
	if (q->c != NULL)
		redisFree(q->c);
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

static long read_entries(const redisReply *list, nqueue_entry_cb *cb, void *ctx, char *last_id)
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
	if (phase == NQUEUE_CLAIM) {
		snprintf(idle, sizeof(idle), "%llu", q->claim_idle_ms);
		r = run(q, "XAUTOCLAIM", q->stream, NQUEUE_GROUP, q->consumer, idle, q->claim_cursor,
			"COUNT", n, NULL);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
			return reply_error(q, r, "XAUTOCLAIM", error_r);
		got = read_entries(r->element[1], cb, ctx, NULL);
		if (r->element[0]->type == REDIS_REPLY_STRING && r->element[0]->len < NQUEUE_ID_MAX)
			memcpy(q->claim_cursor, r->element[0]->str, r->element[0]->len + 1);
		freeReplyObject(r);
		return got;
	}
	const char *from = phase == NQUEUE_NEW ? ">" : q->own_cursor;
	if (phase == NQUEUE_NEW && block_ms > 0)
		r = run(q, "XREADGROUP", "GROUP", NQUEUE_GROUP, q->consumer, "COUNT", n, "BLOCK", blk,
			"STREAMS", q->stream, from, NULL);
	else
		r = run(q, "XREADGROUP", "GROUP", NQUEUE_GROUP, q->consumer, "COUNT", n, "STREAMS",
			q->stream, from, NULL);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return reply_error(q, r, "XREADGROUP", error_r);
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2)
		got = read_entries(r->element[0]->element[1], cb, ctx,
				   phase == NQUEUE_OWN_PENDING ? q->own_cursor : NULL);
	freeReplyObject(r);
	return got;
}

/* The ARGV of the commit script: see its text. */
static void commit_args(nqueue_t *q, const nagg_t *batch, char *const *ids, size_t n_ids,
			long long min_hits, struct args *a)
{
	args_add(a, "EVAL");
	args_add(a, "%s", commit_script);
	args_add(a, "1");
	args_add(a, "%s", q->stream);	/* KEYS[1]: routes the script to the stream's slot */
	args_add(a, "%s", q->kp);
	args_add(a, "%s", q->stream);
	args_add(a, NQUEUE_GROUP);
	/* counts live two windows: the notice of the last one can still be sent */
	args_add(a, "%lld", 2 * q->window_s + 3600);
	args_add(a, "%lld", min_hits);
	args_add(a, "%zu", n_ids);
	for (size_t i = 0; i < n_ids; i++)
		args_add(a, "%s", ids[i]);
	for (size_t i = 0; i < nagg_count(batch); i++) {
		const struct net_agg *net = nagg_at(batch, i);
		args_add(a, "%lld", net->window);
		args_add(a, "%s", net->netkey);
		args_add(a, "%s", net->network);
		args_add(a, "%s", net->netname);
		args_add(a, "%s", net->org);
		args_add(a, "%s", net->country);
		args_add(a, "%s", net->abuse);
		args_add(a, "%d", net->owned ? 1 : 0);
		args_add(a, "%lld", net->hits);
		args_add(a, "%lld", net->first);
		args_add(a, "%lld", net->last);
		args_add(a, "%zu", net->n_addrs);
		for (size_t j = 0; j < net->n_addrs; j++) {
			const struct nagg_addr *ad = &net->addrs[j];
			args_add(a, "%s", ad->addr);
			args_add(a, "%lld", ad->hits);
			args_add(a, "%lld\t%s\t%s", ad->first, ad->evidence, ad->helo);
			args_add(a, "%lld", ad->last);
		}
		args_add(a, "%zu", net->n_hosts);
		for (size_t j = 0; j < net->n_hosts; j++) {
			args_add(a, "%s", net->hosts[j].name);
			args_add(a, "%lld", net->hosts[j].n);
		}
		args_add(a, "%zu", net->n_lists);
		for (size_t j = 0; j < net->n_lists; j++) {
			args_add(a, "%s", net->lists[j].name);
			args_add(a, "%lld", net->lists[j].n);
		}
	}
}

/* Hand window, netkey pairs of a flat array reply to cb. */
static void due_pairs(const redisReply *r, nqueue_due_cb *cb, void *ctx)
{
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		if (r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING)
			cb(atoll(r->element[i]->str), r->element[i + 1]->str, ctx);
	}
}

int nqueue_commit(nqueue_t *q, const nagg_t *batch, char *const *ids, size_t n_ids,
		  long long min_hits, nqueue_due_cb *cb, void *ctx, char **error_r)
{
	struct args a = { 0 };

	if (n_ids == 0 && nagg_count(batch) == 0)
		return 0;
	commit_args(q, batch, ids, n_ids, min_hits, &a);
	redisReply *r = args_run(q, &a);
	args_free(&a);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return reply_error(q, r, "commit", error_r);
	due_pairs(r, cb, ctx);
	freeReplyObject(r);
	return 0;
}

int nqueue_due(nqueue_t *q, long long window, long long min_hits, nqueue_due_cb *cb, void *ctx,
	       char **error_r)
{
	struct buf key = BUF_INIT;
	char min[24];

	buf_printf(&key, "%snets:%lld", q->kp, window);
	snprintf(min, sizeof(min), "%lld", min_hits);
	redisReply *r = run(q, "ZRANGEBYSCORE", buf_cstr(&key), min, "+inf", NULL);
	buf_free(&key);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return reply_error(q, r, "ZRANGEBYSCORE", error_r);
	for (size_t i = 0; i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			cb(window, r->element[i]->str, ctx);
	freeReplyObject(r);
	return 0;
}

/* "first TAB evidence TAB helo" of an address. */
static void load_details(struct nagg_addr *a, const char *v)
{
	const char *t1 = strchr(v, '\t');
	const char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;

	a->first = atoll(v);
	if (t1 == NULL || t2 == NULL)
		return;
	char *ev = xstrndup(t1 + 1, (size_t)(t2 - t1 - 1));
	nagg_evidence_merge(a, ev);
	free(ev);
	if (str_copy(a->helo, t2 + 1, sizeof(a->helo)) != 0)
		a->helo[0] = '\0';
}

/* One field of a network hash into net (fields of one address may come in any order). */
static void load_field(struct net_agg *net, const char *k, const char *v)
{
	if (k[0] != '\0' && k[1] == ':') {
		if (k[0] == 'h' || k[0] == 'L') {
			if (k[0] == 'h')
				nagg_count_add(net->hosts, &net->n_hosts, k + 2, atoll(v));
			else
				nagg_count_add(net->lists, &net->n_lists, k + 2, atoll(v));
			return;
		}
		struct nagg_addr *a = nagg_addr_get(net, k + 2);
		switch (k[0]) {
		case 'a': a->hits = atoll(v); break;
		case 'l': a->last = atoll(v); break;
		case 'd': load_details(a, v); break;
		default: break;
		}
		return;
	}
	if (strcmp(k, "hits") == 0)
		net->hits = atoll(v);
	else if (strcmp(k, "first") == 0)
		net->first = atoll(v);
	else if (strcmp(k, "last") == 0)
		net->last = atoll(v);
}

static const char *hash_get(const redisReply *r, const char *name)
{
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0 &&
		    r->element[i + 1]->type == REDIS_REPLY_STRING)
			return r->element[i + 1]->str;
	return "";
}

struct net_agg *nqueue_load_net(nqueue_t *q, nagg_t *into, long long window, const char *netkey,
				char **error_r)
{
	struct buf key = BUF_INIT;

	buf_printf(&key, "%snet:%lld:%s", q->kp, window, netkey);
	redisReply *r = run(q, "HGETALL", buf_cstr(&key), NULL);
	buf_free(&key);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		reply_error(q, r, "HGETALL", error_r);
		return NULL;
	}
	if (r->elements == 0) {
		freeReplyObject(r);
		return NULL;
	}
	struct nagg_owner o = { netkey, hash_get(r, "network"), hash_get(r, "netname"), hash_get(r, "org"),
				hash_get(r, "country"), hash_get(r, "abuse"),
				strcmp(hash_get(r, "owned"), "1") == 0 };
	struct net_agg *net = nagg_get(into, window, &o);
	for (size_t i = 0; i + 1 < r->elements; i += 2)
		if (r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING)
			load_field(net, r->element[i]->str, r->element[i + 1]->str);
	freeReplyObject(r);
	return net;
}

static int int_reply(nqueue_t *q, redisReply *r, long long *v_r)
{
	(void)q;
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		if (r != NULL)
			freeReplyObject(r);
		return -1;
	}
	*v_r = r->integer;
	freeReplyObject(r);
	return 0;
}

int nqueue_told(nqueue_t *q, const char *netkey)
{
	struct buf key = BUF_INIT;
	long long v;

	buf_printf(&key, "%stold:%s", q->kp, netkey);
	int rc = int_reply(q, run(q, "EXISTS", buf_cstr(&key), NULL), &v);
	buf_free(&key);
	return rc != 0 ? -1 : v > 0;
}

static void rate_key(nqueue_t *q, struct buf *key)
{
	buf_printf(key, "%srate:%lld", q->kp, (long long)time(NULL) / 3600);
}

/*
 * KEYS: notice, rate.  ARGV: claim value, claim TTL, rate.  1: claimed and
 * counted; 0: sent already or claimed by another; 2: the hour is full.
 */
static const char claim_script[] =
	"if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end\n"
	"local n = redis.call('INCR', KEYS[2])\n"
	"redis.call('EXPIRE', KEYS[2], 7200)\n"
	"if n > tonumber(ARGV[3]) then redis.call('DECR', KEYS[2]); redis.call('DEL', KEYS[1]); return 2 end\n"
	"return 1\n";

int nqueue_claim_send(nqueue_t *q, const char *id, unsigned ttl_s, long long rate)
{
	struct buf key = BUF_INIT, val = BUF_INIT, rkey = BUF_INIT;
	char ttl[24], max[24];
	long long v;

	buf_printf(&key, "%snotice:%s", q->kp, id);
	buf_printf(&val, "claimed %s", q->consumer);
	rate_key(q, &rkey);
	snprintf(ttl, sizeof(ttl), "%u", ttl_s ? ttl_s : 1);
	snprintf(max, sizeof(max), "%lld", rate);
	int rc = int_reply(q, run(q, "EVAL", claim_script, "2", buf_cstr(&key), buf_cstr(&rkey), buf_cstr(&val),
				  ttl, max, NULL), &v);
	buf_free(&key);
	buf_free(&val);
	buf_free(&rkey);
	return rc != 0 ? -1 : (int)v;
}

int nqueue_claim(nqueue_t *q, const char *id, unsigned ttl_s)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	char ttl[24];

	buf_printf(&key, "%snotice:%s", q->kp, id);
	buf_printf(&val, "claimed %s", q->consumer);
	snprintf(ttl, sizeof(ttl), "%u", ttl_s);
	redisReply *r = run(q, "SET", buf_cstr(&key), buf_cstr(&val), "NX", "EX", ttl, NULL);
	buf_free(&key);
	buf_free(&val);
	if (r == NULL || r->type == REDIS_REPLY_ERROR) {
		if (r != NULL)
			freeReplyObject(r);
		return -1;
	}
	int got = r->type == REDIS_REPLY_STATUS;
	freeReplyObject(r);
	return got;
}

void nqueue_unclaim(nqueue_t *q, const char *id)
{
	struct buf key = BUF_INIT;

	buf_printf(&key, "%snotice:%s", q->kp, id);
	redisReply *r = run(q, "DEL", buf_cstr(&key), NULL);
	if (r != NULL)
		freeReplyObject(r);
	buf_free(&key);
}

int nqueue_rate_take(nqueue_t *q, long long rate)
{
	struct buf key = BUF_INIT;
	long long n;

	rate_key(q, &key);
	if (int_reply(q, run(q, "INCR", buf_cstr(&key), NULL), &n) != 0) {
		buf_free(&key);
		return -1;
	}
	redisReply *r = run(q, "EXPIRE", buf_cstr(&key), "7200", NULL);
	if (r != NULL)
		freeReplyObject(r);
	if (n > rate) {
		r = run(q, "DECR", buf_cstr(&key), NULL);
		if (r != NULL)
			freeReplyObject(r);
	}
	buf_free(&key);
	return n <= rate;
}

void nqueue_rate_give(nqueue_t *q)
{
	struct buf key = BUF_INIT;

	rate_key(q, &key);
	redisReply *r = run(q, "DECR", buf_cstr(&key), NULL);
	if (r != NULL)
		freeReplyObject(r);
	buf_free(&key);
}

/* KEYS: told, notice, log.  ARGV: now, interval (0 = none), keep, log line, log length - 1. */
static const char sent_script[] =
	"if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) end\n"
	"redis.call('SET', KEYS[2], 'sent', 'EX', ARGV[3])\n"
	"redis.call('LPUSH', KEYS[3], ARGV[4])\n"
	"redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]))\n"
	"return 1\n";

int nqueue_sent(nqueue_t *q, const char *id, const char *netkey, long long interval_s,
		long long keep_s, const char *log_json, char **error_r)
{
	struct buf told = BUF_INIT, notice = BUF_INIT, list = BUF_INIT;
	char now[24], ival[24], keep[24], maxi[24];
	int rc = 0;

	buf_printf(&told, "%stold:%s", q->kp, netkey);
	buf_printf(&notice, "%snotice:%s", q->kp, id);
	buf_printf(&list, "%snotices", q->kp);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(ival, sizeof(ival), "%lld", interval_s);
	snprintf(keep, sizeof(keep), "%lld", keep_s > 0 ? keep_s : 1);
	snprintf(maxi, sizeof(maxi), "%d", NQUEUE_NOTICES_KEEP - 1);
	redisReply *r = run(q, "EVAL", sent_script, "3", buf_cstr(&told), buf_cstr(&notice), buf_cstr(&list), now,
			    ival, keep, log_json, maxi, NULL);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER)
		rc = reply_error(q, r, "recording a notice", error_r);
	else
		freeReplyObject(r);
	buf_free(&told);
	buf_free(&notice);
	buf_free(&list);
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

void nqueue_key_prefix(const char *prefix, struct buf *kp)
{
	buf_printf(kp, "%s{%sreports}:", prefix, prefix);
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
	buf_printf(&from, "%s%s", cursor[0] ? "(" : "", cursor[0] ? cursor : "-");
	redisReply *r = run(q, "XRANGE", q->stream, buf_cstr(&from), "+", "COUNT", n, NULL);
	buf_free(&from);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return reply_error(q, r, "XRANGE", error_r);
	long got = read_entries(r, cb, ctx, cursor);
	freeReplyObject(r);
	return got;
}
