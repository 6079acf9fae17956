/*
 * nqueue_commit - a batch's counts into Redis with the acknowledgement of
 * its events, in chunks of networks (each chunk's events acknowledged in
 * the same script as their counts); the networks' strings read back and
 * compacted (ncounts).  See nqueue.h.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mem.h"
#include "ncounts.h"
#include "nqueue.h"
#include "nqueue_int.h"

/*
 * The commit: XACK the chunk's events, then for each network of the chunk
 * (ARGV from 9 on, five per network: window, netkey, hits, delta, facts):
 *   - ZINCRBY on the window's zset gives the new total;
 *   - APPEND adds the delta (ncounts records) to the network's one string;
 *     a string that was empty is new: its facts follow, it gets its TTL;
 *   - when the string crossed a multiple of ARGV[8] bytes, its header
 *     (ncounts "c CLEN TAG") says how long it was when last compacted: at
 *     twice that or more, the network is returned for compaction.
 * Two calls per network however many addresses, hosts and lists it
 * brings, and no Lua work per field (doc/redis-schema.md, v3).  Returns
 * {due, big}: window, netkey pairs of the networks whose total crossed
 * min_hits in this chunk (those over it before were returned then; the
 * periodic scan, nqueue_due(), finds any whose notice is still owed), and
 * of the networks to compact.  When no id was still pending (another
 * notifier took and committed them), nothing is counted twice.
 */
static const char commit_script[] =
	"local p, stream, group = ARGV[1], ARGV[2], ARGV[3]\n"
	"local ttl, minh, nids = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])\n"
	"local nets_p, step = ARGV[7], tonumber(ARGV[8])\n"
	"local unpack, call, tonumber, floor = unpack, redis.call, tonumber, math.floor\n"
	"local i = 9\n"
	"if nids > 0 then\n"
	"  local acked, last = 0, i + nids - 1\n"
	"  for j = i, last, 4000 do\n"
	"    acked = acked + call('XACK', stream, group, unpack(ARGV, j, math.min(j + 3999, last)))\n"
	"  end\n"
	"  i = i + nids\n"
	"  if acked == 0 then return {{}, {}} end\n"
	"end\n"
	"local due, big, zk = {}, {}, {}\n"
	"while i + 4 <= #ARGV do\n"
	"  local w, nk, hits, delta = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]\n"
	"  local zkey = nets_p .. w\n"
	"  local tot, nhits = tonumber(call('ZINCRBY', zkey, hits, nk)), tonumber(hits)\n"
	"  local k = p .. w .. ':' .. nk\n"
	"  local len = call('APPEND', k, delta)\n"
	"  local before = len - #delta\n"
	"  if before == 0 then\n"
	"    call('APPEND', k, ARGV[i + 4])\n"
	"    call('EXPIRE', k, ttl)\n"
	"    if not zk[w] then zk[w] = true; call('EXPIRE', zkey, ttl) end\n"
	"  elseif floor(len / step) ~= floor(before / step) then\n"
	"    local clen = tonumber(string.match(call('GETRANGE', k, 0, 31), '^c\\t(%d+)\\t')) or 0\n"
	"    if len >= 2 * clen then big[#big + 1] = w; big[#big + 1] = nk end\n"
	"  end\n"
	"  if tot >= minh and tot - nhits < minh then due[#due + 1] = w; due[#due + 1] = nk end\n"
	"  i = i + 5\n"
	"end\n"
	"return {due, big}\n";

/*
 * The compaction of one network's string (KEYS[1]): ARGV[1] is its first
 * line as the notifier read it, ARGV[2] how many bytes it read, ARGV[3]
 * those bytes compacted.  Commits only append, so what came after the
 * read is kept behind the compacted part.  If the first line changed
 * (another notifier compacted it, or it expired), nothing is done: 0.
 */
static const char compact_script[] =
	"local first = ARGV[1] .. '\\n'\n"
	"if redis.call('GETRANGE', KEYS[1], 0, #first - 1) ~= first then return 0 end\n"
	"local tail = redis.call('GETRANGE', KEYS[1], tonumber(ARGV[2]), -1)\n"
	"redis.call('SET', KEYS[1], ARGV[3] .. tail, 'KEEPTTL')\n"
	"return 1\n";

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

/* A batch's ids grouped by network: ids of network k are order[start[k] .. start[k + 1]). */
struct by_net {
	size_t *order, *start;
	size_t n_bad;		/* unreadable entries: order[0 .. n_bad), acknowledged by the first chunk */
};

static void by_net_make(struct by_net *g, size_t n_nets, const size_t *id_net, size_t n_ids)
{
	size_t *fill = xcalloc(n_nets + 1, sizeof(*fill));

	g->order = xcalloc(n_ids ? n_ids : 1, sizeof(*g->order));
	g->start = xcalloc(n_nets + 1, sizeof(*g->start));
	g->n_bad = 0;
	for (size_t i = 0; i < n_ids; i++) {
		if (id_net[i] < n_nets)
			g->start[id_net[i]]++;
		else
			g->n_bad++;
	}
	/* counts -> starts (after the unreadable ones) */
	for (size_t k = 0, at = g->n_bad; k <= n_nets; k++) {
		size_t c = k < n_nets ? g->start[k] : 0;
		g->start[k] = fill[k] = at;
		at += c;
	}
	for (size_t i = 0, bad = 0; i < n_ids; i++) {
		if (id_net[i] < n_nets)
			g->order[fill[id_net[i]]++] = i;
		else
			g->order[bad++] = i;
	}
	free(fill);
}

static void by_net_free(struct by_net *g)
{
	free(g->order);
	free(g->start);
}

/* The commit script for networks [from, to) of batch and their events (see its text). */
static void chunk_args(nqueue_t *q, const nagg_t *batch, char *const *ids, const struct by_net *g, size_t from,
		       size_t to, long long min_hits, struct resp *a)
{
	struct buf kp = BUF_INIT, np = BUF_INIT, rec = BUF_INIT;
	size_t id_lo = from == 0 ? 0 : g->start[from], id_hi = g->start[to];

	buf_printf(&kp, "%s" REPORT_KEYS_NET, q->kp);
	buf_printf(&np, "%s" REPORT_KEYS_NETS, q->kp);
	resp_str(a, "EVAL");
	resp_str(a, commit_script);
	resp_str(a, "1");
	resp_str(a, q->stream);	/* KEYS[1]: routes the script to the stream's slot */
	resp_bulk(a, kp.data, kp.len);
	resp_str(a, q->stream);
	resp_str(a, NQUEUE_GROUP);
	/* counts live two windows: the notice of the last one can still be sent */
	resp_ll(a, 2 * q->window_s + 3600);
	resp_ll(a, min_hits);
	resp_ll(a, (long long)(id_hi - id_lo));
	resp_bulk(a, np.data, np.len);
	resp_ll(a, NQUEUE_COMPACT_STEP);
	for (size_t i = id_lo; i < id_hi; i++)
		resp_str(a, ids[g->order[i]]);
	for (size_t k = from; k < to; k++) {
		const struct net_agg *net = nagg_at(batch, k);
		resp_ll(a, net->window);
		resp_str(a, net->netkey);
		resp_ll(a, net->hits);
		buf_reset(&rec);
		ncounts_delta(net, &rec);
		resp_bulk(a, rec.data, rec.len);
		buf_reset(&rec);
		ncounts_facts(net, &rec);
		resp_bulk(a, rec.data, rec.len);
	}
	buf_free(&kp);
	buf_free(&np);
	buf_free(&rec);
}

/* Queue one command built in a (not waiting for its reply). */
static int resp_append(nqueue_t *q, struct resp *a)
{
	struct buf cmd = BUF_INIT;

	buf_printf(&cmd, "*%zu\r\n", a->n);
	buf_append(&cmd, a->body.data, a->body.len);
	int rc = redisAppendFormattedCommand(q->c, cmd.data, cmd.len) == REDIS_OK ? 0 : -1;
	buf_free(&cmd);
	return rc;
}

/*
 * Queue the commit of batch as chunks of at most NQUEUE_CHUNK_NETS
 * networks and (unless one network has more) NQUEUE_CHUNK_IDS events: how
 * long one script holds Redis (every other client waits) is bounded by
 * the chunk, not by the batch.  The number of chunks queued, or -1.
 */
static int commit_append(nqueue_t *q, const nagg_t *batch, char *const *ids, const size_t *id_net, size_t n_ids,
			 long long min_hits)
{
	size_t n_nets = nagg_count(batch), from = 0;
	struct by_net g;
	int chunks = 0;

	by_net_make(&g, n_nets, id_net, n_ids);
	do {
		size_t to = from, n = from == 0 ? g.n_bad : 0;
		while (to < n_nets && to - from < NQUEUE_CHUNK_NETS &&
		       (to == from || n + g.start[to + 1] - g.start[to] <= NQUEUE_CHUNK_IDS)) {
			n += g.start[to + 1] - g.start[to];
			to++;
		}
		struct resp a = { BUF_INIT, 0 };
		chunk_args(q, batch, ids, &g, from, to, min_hits, &a);
		int rc = resp_append(q, &a);
		buf_free(&a.body);
		if (rc != 0) {
			chunks = -1;
			break;
		}
		chunks++;
		from = to;
	} while (from < n_nets);
	by_net_free(&g);
	return chunks;
}

/* Window, netkey pairs of a flat array reply: to cb, or collected into wins/keys. */
static void pairs(const redisReply *r, nqueue_due_cb *cb, void *ctx)
{
	if (r->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		if (r->element[i]->type == REDIS_REPLY_STRING && r->element[i + 1]->type == REDIS_REPLY_STRING)
			cb(atoll(r->element[i]->str), r->element[i + 1]->str, ctx);
	}
}

/* Networks to compact, collected from the chunks' replies. */
struct bigs {
	long long *wins;
	char **keys;
	size_t n, cap;
};

static void add_big(long long window, const char *netkey, void *ctx)
{
	struct bigs *b = ctx;

	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->wins = xreallocarray(b->wins, b->cap, sizeof(*b->wins));
		b->keys = xreallocarray(b->keys, b->cap, sizeof(*b->keys));
	}
	b->wins[b->n] = window;
	b->keys[b->n++] = xstrdup(netkey);
}

/*
 * Compact the strings of n networks: one pipelined GET each, read and
 * rewritten (ncounts_compact) here, one pipelined compaction script each.
 * A network another notifier compacts at the same time is left to it.
 */
static void compact_many(nqueue_t *q, const long long *wins, char *const *netkeys, size_t n)
{
	struct buf *keys = xcalloc(n ? n : 1, sizeof(*keys));
	struct buf *firsts = xcalloc(n ? n : 1, sizeof(*firsts)), *news = xcalloc(n ? n : 1, sizeof(*news));
	size_t *read_len = xcalloc(n ? n : 1, sizeof(*read_len)), sent = 0;
	nagg_t *scratch = nagg_new();

	for (size_t i = 0; i < n; i++) {
		report_keys_net(q->kp, wins[i], netkeys[i], &keys[i]);
		nqueue_append(q, "GET", buf_cstr(&keys[i]), NULL);
	}
	for (size_t i = 0; i < n; i++) {
		redisReply *r = nqueue_next_reply(q);
		struct net_agg *net = NULL;
		if (r != NULL && r->type == REDIS_REPLY_STRING)
			net = ncounts_load(scratch, wins[i], netkeys[i], r->str, r->len, NULL);
		if (net != NULL) {
			struct buf tag = BUF_INIT;
			buf_printf(&tag, "%s.%ld.%lu.%lld", q->consumer, (long)getpid(), ++q->compactions,
				   (long long)time(NULL));
			buf_append(&firsts[i], r->str, ncounts_first_line(r->str, r->len));
			read_len[i] = r->len;
			ncounts_compact(net, buf_cstr(&tag), &news[i]);
			buf_free(&tag);
		}
		if (r != NULL)
			freeReplyObject(r);
	}
	for (size_t i = 0; i < n; i++) {
		if (news[i].len == 0)
			continue;
		char len[24];
		snprintf(len, sizeof(len), "%zu", read_len[i]);
		nqueue_append(q, "EVAL", compact_script, "1", buf_cstr(&keys[i]), buf_cstr(&firsts[i]), len,
			      buf_cstr(&news[i]), NULL);
		sent++;
	}
	for (size_t i = 0; i < sent; i++) {
		redisReply *r = nqueue_next_reply(q);
		if (r != NULL)
			freeReplyObject(r);
	}
	for (size_t i = 0; i < n; i++) {
		buf_free(&keys[i]);
		buf_free(&firsts[i]);
		buf_free(&news[i]);
	}
	free(keys);
	free(firsts);
	free(news);
	free(read_len);
	nagg_free(&scratch);
}

/* The replies of chunks commit scripts: due pairs to cb, then the compactions they asked for. */
static int commit_replies(nqueue_t *q, int chunks, nqueue_due_cb *cb, void *ctx, char **error_r)
{
	struct bigs b = { 0 };
	int rc = 0;

	for (int i = 0; i < chunks; i++) {
		redisReply *r = nqueue_next_reply(q);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			if (rc == 0)
				rc = nqueue_reply_error(q, r, "commit", error_r);
			else if (r != NULL)
				freeReplyObject(r);
			if (r == NULL)
				break;	/* the connection is gone: no more replies */
			continue;
		}
		pairs(r->element[0], cb, ctx);
		pairs(r->element[1], add_big, &b);
		freeReplyObject(r);
	}
	if (rc == 0 && b.n > 0)
		compact_many(q, b.wins, b.keys, b.n);
	for (size_t i = 0; i < b.n; i++)
		free(b.keys[i]);
	free(b.keys);
	free(b.wins);
	return rc;
}

int nqueue_commit(nqueue_t *q, const nagg_t *batch, char *const *ids, const size_t *id_net, size_t n_ids,
		  long long min_hits, nqueue_due_cb *cb, void *ctx, char **error_r)
{
	if (n_ids == 0 && nagg_count(batch) == 0)
		return 0;
	int chunks = commit_append(q, batch, ids, id_net, n_ids, min_hits);
	if (chunks < 0)
		return nqueue_reply_error(q, NULL, "commit", error_r);
	return commit_replies(q, chunks, cb, ctx, error_r);
}

/*
 * The next batch is read (its reply kept, not parsed), then the commit is
 * written out without waiting, then the read entries are handed to
 * entry_cb while Redis runs the commit.  (Both commands in one write would
 * not do: Redis sends the replies of one read of its socket together.)
 */
int nqueue_commit_ahead(nqueue_t *q, const nagg_t *batch, char *const *ids, const size_t *id_net, size_t n_ids,
			long long min_hits, nqueue_due_cb *cb, void *ctx, size_t count, nqueue_entry_cb *entry_cb,
			void *entry_ctx, long *got_r, char **error_r)
{
	int done = 0;

	*got_r = 0;
	/* the read goes out first (or went out already), on the stream's
	 * connection; the commit follows on the other; Redis runs them one
	 * after the other while the read's entries are counted here */
	if (!q->read_ahead)
		nqueue_read_ahead(q, count);
	q->read_ahead = false;
	int chunks = commit_append(q, batch, ids, id_net, n_ids, min_hits);
	while (chunks >= 0 && !done && redisBufferWrite(q->c, &done) == REDIS_OK)
		;
	redisReply *next = nqueue_stream_reply(q);
	if (chunks < 0) {
		nqueue_stream_done(q);
		return nqueue_reply_error(q, NULL, "commit", error_r);
	}
	const redisReply *entries = nqueue_group_entries(next);
	if (next == NULL || next->type == REDIS_REPLY_ERROR) {
		*got_r = -1;	/* nothing read ahead: the caller reads again */
	} else if (entries != NULL) {
		if (entries->elements == count && q->speculate)
			nqueue_read_ahead(q, count);
		*got_r = nqueue_read_entries(entries, entry_cb, entry_ctx, NULL);
	}
	nqueue_stream_done(q);
	return commit_replies(q, chunks, cb, ctx, error_r);
}

/* The network in a GET reply (r is freed): NULL when gone or on error. */
static struct net_agg *load_reply(nqueue_t *q, redisReply *r, nagg_t *into, long long window, const char *netkey,
				  char **error_r)
{
	struct net_agg *net = NULL;

	if (r == NULL || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
		nqueue_reply_error(q, r, "GET", error_r);
		return NULL;
	}
	if (r->type == REDIS_REPLY_STRING)
		net = ncounts_load(into, window, netkey, r->str, r->len, NULL);
	freeReplyObject(r);
	return net;
}

struct net_agg *nqueue_load_net(nqueue_t *q, nagg_t *into, long long window, const char *netkey,
				char **error_r)
{
	struct buf key = BUF_INIT;

	report_keys_net(q->kp, window, netkey, &key);
	redisReply *r = nqueue_run(q, "GET", buf_cstr(&key), NULL);
	buf_free(&key);
	return load_reply(q, r, into, window, netkey, error_r);
}

void nqueue_load_nets(nqueue_t *q, nagg_t *into, const long long *windows, char *const *netkeys, size_t n,
		      struct net_agg **nets_r)
{
	for (size_t i = 0; i < n; i++) {
		struct buf key = BUF_INIT;
		report_keys_net(q->kp, windows[i], netkeys[i], &key);
		nqueue_append(q, "GET", buf_cstr(&key), NULL);
		buf_free(&key);
	}
	for (size_t i = 0; i < n; i++)
		nets_r[i] = load_reply(q, nqueue_next_reply(q), into, windows[i], netkeys[i], NULL);
}
