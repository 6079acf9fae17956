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
#include "redis_cluster.h"
#include "redis_sentinel.h"
#include "nqueue.h"
#include "nqueue_int.h"

/* Arguments per network block of the commit script, before its rows. */
#define COMMIT_NET_FIELDS 11

/*
 * The commit: XACK the batch, then merge each network block.  See the
 * argument layout in commit_args().  Returns window, netkey pairs of the
 * networks whose total crossed min_hits in this batch (those over it
 * before were returned then; the periodic scan, nqueue_due(), finds any
 * whose notice is still owed).  When no id was still pending (another
 * notifier took and committed them), nothing is counted twice.
 *
 * Every redis.call() costs a few microseconds inside Redis, and this runs
 * once per network of the batch: the script makes three per network,
 * however many addresses, hosts and lists it brings.
 *   - ZINCRBY on the window's zset gives the new total; a total equal to
 *     the block's hits means the network is new in this window: nothing
 *     to read, its facts are written and the keys get their TTL.
 *   - Otherwise ONE HMGET reads the counts the block adds to (a: per
 *     address, h: per host, L: per list); an address without a: is seen
 *     for the first time, and its details (d: "first TAB evidence TAB
 *     helo") are written.
 *   - ONE HSET writes the new counts, the last sightings (l:), the
 *     details and the network's total (hits).
 * Lua sums the counts: the script runs alone in Redis, so read, add and
 * write are as atomic as HINCRBY.  HMGET and HSET go out 2,000 arguments
 * at a time (Lua's unpack() has a stack limit).
 * The network's "last" is the latest l: of its addresses (nqueue_load_net).
 */
static const char commit_script[] =
	"local p, stream, group = ARGV[1], ARGV[2], ARGV[3]\n"
	"local ttl, minh, nids = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
	"local unpack, call, tonumber = unpack, redis.call, tonumber\n"
	"local i = 7\n"
	"if nids > 0 then\n"
	"  local acked, last = 0, i + nids - 1\n"
	"  for j = i, last, 4000 do\n"
	"    acked = acked + call('XACK', stream, group, unpack(ARGV, j, math.min(j + 3999, last)))\n"
	"  end\n"
	"  i = i + nids\n"
	"  if acked == 0 then return {} end\n"
	"end\n"
	"local function hmget(k, f)\n"
	"  if #f <= 2000 then return call('HMGET', k, unpack(f)) end\n"
	"  local r = {}\n"
	"  for j = 1, #f, 2000 do\n"
	"    local part = call('HMGET', k, unpack(f, j, math.min(j + 1999, #f)))\n"
	"    for x = 1, #part do r[#r + 1] = part[x] end\n"
	"  end\n"
	"  return r\n"
	"end\n"
	"local function hset(k, f)\n"
	"  for j = 1, #f, 2000 do call('HSET', k, unpack(f, j, math.min(j + 1999, #f))) end\n"
	"end\n"
	"local facts, tags = {'network', 'netname', 'org', 'country', 'abuse', 'owned'}, {'h:', 'L:'}\n"
	"local out, zk = {}, {}\n"
	"while i <= #ARGV do\n"
	"  local w, nk, hits = ARGV[i], ARGV[i + 1], ARGV[i + 8]\n"
	"  local k, zkey = p .. 'net:' .. w .. ':' .. nk, p .. 'nets:' .. w\n"
	"  local tots = call('ZINCRBY', zkey, hits, nk)\n"
	"  local tot, nhits = tonumber(tots), tonumber(hits)\n"
	"  local new = tot == nhits\n"
	"  local set = {'hits', tots}\n"
	"  if new then\n"
	"    for x = 1, 6 do set[#set + 1] = facts[x]; set[#set + 1] = ARGV[i + 1 + x] end\n"
	"    set[#set + 1] = 'netkey'; set[#set + 1] = nk\n"
	"    set[#set + 1] = 'window'; set[#set + 1] = w\n"
	"    set[#set + 1] = 'first'; set[#set + 1] = ARGV[i + 9]\n"
	"  end\n"
	/* f: the fields the block adds to; at: where each one's count is in ARGV */
	"  local na = tonumber(ARGV[i + 10])\n"
	"  local f, at = {}, {}\n"
	"  local j = i + 11\n"
	"  for x = 1, na do f[x] = 'a:' .. ARGV[j]; at[x] = j + 1; j = j + 4 end\n"
	"  for _, tag in ipairs(tags) do\n"
	"    local n = tonumber(ARGV[j])\n"
	"    j = j + 1\n"
	"    for _ = 1, n do f[#f + 1] = tag .. ARGV[j]; at[#f] = j + 1; j = j + 2 end\n"
	"  end\n"
	"  local old = {}\n"
	"  if not new and #f > 0 then old = hmget(k, f) end\n"
	/* a count not there yet is the block's own, passed on as it came */
	"  for x = 1, #f do\n"
	"    local o, by = old[x], ARGV[at[x]]\n"
	"    set[#set + 1] = f[x]; set[#set + 1] = o and tonumber(o) + tonumber(by) or by\n"
	"    if x <= na then\n"
	"      local ad = ARGV[at[x] - 1]\n"
	"      if not o then set[#set + 1] = 'd:' .. ad; set[#set + 1] = ARGV[at[x] + 1] end\n"
	"      set[#set + 1] = 'l:' .. ad; set[#set + 1] = ARGV[at[x] + 2]\n"
	"    end\n"
	"  end\n"
	"  hset(k, set)\n"
	"  if new then\n"
	"    call('EXPIRE', k, ttl)\n"
	"    if not zk[w] then zk[w] = true; call('EXPIRE', zkey, ttl) end\n"
	"  end\n"
	"  i = j\n"
	"  if tot >= minh and tot - nhits < minh then out[#out + 1] = w; out[#out + 1] = nk end\n"
	"end\n"
	"return out\n";


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
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s != NULL; s = va_arg(ap, const char *))
		args_add(&a, "%s", s);
	va_end(ap);
	const char **argv = xcalloc(a.n, sizeof(*argv));
	size_t *lens = xcalloc(a.n, sizeof(*lens));
	for (size_t i = 0; i < a.n; i++) {
		argv[i] = buf_cstr(&a.v[i]);
		lens[i] = a.v[i].len;
	}
	(void)redisAppendCommandArgv(q->c, (int)a.n, argv, lens);
	free(argv);
	free(lens);
	args_free(&a);
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
	int rc = redis_target_resolve_sync(target, q->stream, cfg_str(cfg, CFG_REDIS_SENTINEL_PASSWORD),
					   cfg_str(cfg, CFG_REDIS_PASSWORD), (unsigned)ms, &server, error_r);
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
		r = nqueue_run(q, "AUTH", password, NULL);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			return nqueue_reply_error(q, r, "AUTH", error_r);	/* never echo the password */
		freeReplyObject(r);
	}
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
	redisReply *r = nqueue_run(q, "XGROUP", "CREATE", q->stream, NQUEUE_GROUP, "0", "MKSTREAM", NULL);
	if (r == NULL || (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0)) {
		nqueue_reply_error(q, r, "XGROUP CREATE", error_r);
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
		r = nqueue_run(q, "XAUTOCLAIM", q->stream, NQUEUE_GROUP, q->consumer, idle, q->claim_cursor,
			"COUNT", n, NULL);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2)
			return nqueue_reply_error(q, r, "XAUTOCLAIM", error_r);
		got = read_entries(r->element[1], cb, ctx, NULL);
		if (r->element[0]->type == REDIS_REPLY_STRING && r->element[0]->len < NQUEUE_ID_MAX)
			memcpy(q->claim_cursor, r->element[0]->str, r->element[0]->len + 1);
		freeReplyObject(r);
		return got;
	}
	const char *from = phase == NQUEUE_NEW ? ">" : q->own_cursor;
	if (phase == NQUEUE_NEW && block_ms > 0)
		r = nqueue_run(q, "XREADGROUP", "GROUP", NQUEUE_GROUP, q->consumer, "COUNT", n, "BLOCK", blk,
			"STREAMS", q->stream, from, NULL);
	else
		r = nqueue_run(q, "XREADGROUP", "GROUP", NQUEUE_GROUP, q->consumer, "COUNT", n, "STREAMS",
			q->stream, from, NULL);
	if (r == NULL || r->type == REDIS_REPLY_ERROR)
		return nqueue_reply_error(q, r, "XREADGROUP", error_r);
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2)
		got = read_entries(r->element[0]->element[1], cb, ctx,
				   phase == NQUEUE_OWN_PENDING ? q->own_cursor : NULL);
	freeReplyObject(r);
	return got;
}

/*
 * The commit command, written straight into one buffer in the Redis
 * protocol (RESP): at a thousand networks of twenty arguments each, one
 * allocation per argument cost more than the work.  resp_* append one
 * bulk string and count it; the array header is put in front at the end.
 */
struct resp {
	struct buf body;
	size_t n;
};

/* v in decimal at the end of num[24]: its first digit (printf costs more
 * than the rest of the commit's writing, twenty numbers per network). */
static char *dec(char num[24], long long v)
{
	unsigned long long u = v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	char *p = num + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	return p;
}

static void resp_bulk(struct resp *r, const char *s, size_t len)
{
	char num[24];
	const char *l = dec(num, (long long)len);

	buf_reserve(&r->body, len + 32);
	buf_append(&r->body, "$", 1);
	buf_append(&r->body, l, (size_t)(num + 23 - l));
	buf_append(&r->body, "\r\n", 2);
	buf_append(&r->body, s, len);
	buf_append(&r->body, "\r\n", 2);
	r->n++;
}

static void resp_str(struct resp *r, const char *s)
{
	resp_bulk(r, s, strlen(s));
}

static void resp_ll(struct resp *r, long long v)
{
	char num[24];
	const char *d = dec(num, v);

	resp_bulk(r, d, (size_t)(num + 23 - d));
}

/* The ARGV of the commit script: see its text. */
static void commit_args(nqueue_t *q, const nagg_t *batch, char *const *ids, size_t n_ids,
			long long min_hits, struct resp *a)
{
	struct buf details_buf = BUF_INIT, *details = &details_buf;

	resp_str(a, "EVAL");
	resp_str(a, commit_script);
	resp_str(a, "1");
	resp_str(a, q->stream);	/* KEYS[1]: routes the script to the stream's slot */
	resp_str(a, q->kp);
	resp_str(a, q->stream);
	resp_str(a, NQUEUE_GROUP);
	/* counts live two windows: the notice of the last one can still be sent */
	resp_ll(a, 2 * q->window_s + 3600);
	resp_ll(a, min_hits);
	resp_ll(a, (long long)n_ids);
	for (size_t i = 0; i < n_ids; i++)
		resp_str(a, ids[i]);
	for (size_t i = 0; i < nagg_count(batch); i++) {
		const struct net_agg *net = nagg_at(batch, i);
		resp_ll(a, net->window);
		resp_str(a, net->netkey);
		resp_str(a, net->network);
		resp_str(a, net->netname);
		resp_str(a, net->org);
		resp_str(a, net->country);
		resp_str(a, net->abuse);
		resp_str(a, net->owned ? "1" : "0");
		resp_ll(a, net->hits);
		resp_ll(a, net->first);
		resp_ll(a, (long long)net->n_addrs);
		for (size_t j = 0; j < net->n_addrs; j++) {
			const struct nagg_addr *ad = &net->addrs[j];
			char num[24];
			resp_str(a, ad->addr);
			resp_ll(a, ad->hits);
			buf_reset(details);
			buf_puts(details, dec(num, ad->first));
			buf_putc(details, '\t');
			buf_puts(details, ad->evidence);
			buf_putc(details, '\t');
			buf_puts(details, ad->helo);
			resp_bulk(a, details->data, details->len);
			resp_ll(a, ad->last);
		}
		resp_ll(a, (long long)net->n_hosts);
		for (size_t j = 0; j < net->n_hosts; j++) {
			resp_str(a, net->hosts[j].name);
			resp_ll(a, net->hosts[j].n);
		}
		resp_ll(a, (long long)net->n_lists);
		for (size_t j = 0; j < net->n_lists; j++) {
			resp_str(a, net->lists[j].name);
			resp_ll(a, net->lists[j].n);
		}
	}
	buf_free(details);
}

/* Hand window, netkey pairs of a flat array reply to cb. */
static void due_pairs(const redisReply *r, nqueue_due_cb *cb, void *ctx)
{
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		if (r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING)
			cb(atoll(r->element[i]->str), r->element[i + 1]->str, ctx);
	}
}

/* Queue the commit command (not waiting for its reply). */
static int commit_append(nqueue_t *q, const nagg_t *batch, char *const *ids, size_t n_ids, long long min_hits)
{
	struct resp a = { BUF_INIT, 0 };
	struct buf cmd = BUF_INIT;

	commit_args(q, batch, ids, n_ids, min_hits, &a);
	buf_printf(&cmd, "*%zu\r\n", a.n);
	buf_append(&cmd, a.body.data, a.body.len);
	buf_free(&a.body);
	int rc = redisAppendFormattedCommand(q->c, cmd.data, cmd.len) == REDIS_OK ? 0 : -1;
	buf_free(&cmd);
	return rc;
}

/* The commit's reply: due pairs to cb. */
static int commit_reply(nqueue_t *q, nqueue_due_cb *cb, void *ctx, char **error_r)
{
	redisReply *r = nqueue_next_reply(q);

	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return nqueue_reply_error(q, r, "commit", error_r);
	due_pairs(r, cb, ctx);
	freeReplyObject(r);
	return 0;
}

int nqueue_commit(nqueue_t *q, const nagg_t *batch, char *const *ids, size_t n_ids,
		  long long min_hits, nqueue_due_cb *cb, void *ctx, char **error_r)
{
	if (n_ids == 0 && nagg_count(batch) == 0)
		return 0;
	if (commit_append(q, batch, ids, n_ids, min_hits) != 0)
		return nqueue_reply_error(q, NULL, "commit", error_r);
	return commit_reply(q, cb, ctx, error_r);
}

/*
 * The next batch is read (its reply kept, not parsed), then the commit is
 * written out without waiting, then the read entries are handed to
 * entry_cb while Redis runs the commit.  (Both commands in one write would
 * not do: Redis sends the replies of one read of its socket together.)
 */
int nqueue_commit_ahead(nqueue_t *q, const nagg_t *batch, char *const *ids, size_t n_ids, long long min_hits,
			nqueue_due_cb *cb, void *ctx, size_t count, nqueue_entry_cb *entry_cb, void *entry_ctx,
			long *got_r, char **error_r)
{
	char n[24];
	int done = 0;

	*got_r = 0;
	snprintf(n, sizeof(n), "%zu", count);
	redisReply *next = nqueue_run(q, "XREADGROUP", "GROUP", NQUEUE_GROUP, q->consumer, "COUNT", n, "STREAMS",
				      q->stream, ">", NULL);
	if (commit_append(q, batch, ids, n_ids, min_hits) != 0) {
		if (next != NULL)
			freeReplyObject(next);
		return nqueue_reply_error(q, NULL, "commit", error_r);
	}
	while (!done && redisBufferWrite(q->c, &done) == REDIS_OK)
		;
	if (next == NULL || next->type == REDIS_REPLY_ERROR)
		*got_r = -1;	/* nothing read ahead: the caller reads again */
	else if (next->type == REDIS_REPLY_ARRAY && next->elements > 0 && next->element[0]->type == REDIS_REPLY_ARRAY &&
		 next->element[0]->elements == 2)
		*got_r = read_entries(next->element[0]->element[1], entry_cb, entry_ctx, NULL);
	if (next != NULL)
		freeReplyObject(next);
	return commit_reply(q, cb, ctx, error_r);
}

int nqueue_due(nqueue_t *q, long long window, long long min_hits, nqueue_due_cb *cb, void *ctx,
	       char **error_r)
{
	struct buf key = BUF_INIT;
	char min[24];

	buf_printf(&key, "%snets:%lld", q->kp, window);
	snprintf(min, sizeof(min), "%lld", min_hits);
	redisReply *r = nqueue_run(q, "ZRANGEBYSCORE", buf_cstr(&key), min, "+inf", NULL);
	buf_free(&key);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return nqueue_reply_error(q, r, "ZRANGEBYSCORE", error_r);
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
	nagg_addr_set_helo(a, t2 + 1);
}

/* One field of a network hash into net (fields of one address may come in any order). */
static void load_field(struct net_agg *net, const char *k, const char *v)
{
	if (k[0] != '\0' && k[1] == ':') {
		if (k[0] == 'h' || k[0] == 'L') {
			if (k[0] == 'h')
				nagg_count_add(&net->hosts, &net->n_hosts, k + 2, atoll(v));
			else
				nagg_count_add(&net->lists, &net->n_lists, k + 2, atoll(v));
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

/* The network in an HGETALL reply (r is freed). */
static struct net_agg *load_reply(nqueue_t *q, redisReply *r, nagg_t *into, long long window, const char *netkey,
				  char **error_r)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		nqueue_reply_error(q, r, "HGETALL", error_r);
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
	/* the commit keeps no network-wide "last": it is its latest address */
	for (size_t i = 0; i < net->n_addrs; i++)
		if (net->addrs[i].last > net->last)
			net->last = net->addrs[i].last;
	return net;
}

struct net_agg *nqueue_load_net(nqueue_t *q, nagg_t *into, long long window, const char *netkey,
				char **error_r)
{
	struct buf key = BUF_INIT;

	buf_printf(&key, "%snet:%lld:%s", q->kp, window, netkey);
	redisReply *r = nqueue_run(q, "HGETALL", buf_cstr(&key), NULL);
	buf_free(&key);
	return load_reply(q, r, into, window, netkey, error_r);
}

void nqueue_load_nets(nqueue_t *q, nagg_t *into, const long long *windows, char *const *netkeys, size_t n,
		      struct net_agg **nets_r)
{
	for (size_t i = 0; i < n; i++) {
		struct buf key = BUF_INIT;
		buf_printf(&key, "%snet:%lld:%s", q->kp, windows[i], netkeys[i]);
		nqueue_append(q, "HGETALL", buf_cstr(&key), NULL);
		buf_free(&key);
	}
	for (size_t i = 0; i < n; i++)
		nets_r[i] = load_reply(q, nqueue_next_reply(q), into, windows[i], netkeys[i], NULL);
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
	redisReply *r = nqueue_run(q, "XRANGE", q->stream, buf_cstr(&from), "+", "COUNT", n, NULL);
	buf_free(&from);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY)
		return nqueue_reply_error(q, r, "XRANGE", error_r);
	long got = read_entries(r, cb, ctx, cursor);
	freeReplyObject(r);
	return got;
}
