/*
 * nqueue_notice - the notice bookkeeping in Redis: told marks, the claim
 * of a notice, the hourly rate, the record of a sent notice, each also in
 * a pipelined form for a batch.  See nqueue.h.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "nqueue.h"
#include "nqueue_int.h"

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

	report_keys_told(q->kp, netkey, &key);
	int rc = int_reply(q, nqueue_run(q, "EXISTS", buf_cstr(&key), NULL), &v);
	buf_free(&key);
	return rc != 0 ? -1 : v > 0;
}

void nqueue_told_many(nqueue_t *q, char *const *netkeys, size_t n, int *told_r)
{
	for (size_t i = 0; i < n; i++) {
		struct buf key = BUF_INIT;
		report_keys_told(q->kp, netkeys[i], &key);
		nqueue_append(q, "EXISTS", buf_cstr(&key), NULL);
		buf_free(&key);
	}
	for (size_t i = 0; i < n; i++) {
		long long v;
		told_r[i] = int_reply(q, nqueue_next_reply(q), &v) != 0 ? -1 : v > 0;
	}
}

static void rate_key(nqueue_t *q, struct buf *key)
{
	report_keys_rate(q->kp, (long long)time(NULL) / 3600, key);
}

/*
 * One script for a chunk of claims (NOTIFY_PIPE notices): one EVAL instead
 * of one per notice.  KEYS: the notices' keys, then the hour's rate key.
 * ARGV: claim value, claim TTL, rate.  Per notice, in order: 1 claimed and
 * counted; 0 sent already or claimed by another; 2 the hour is full
 * (nothing claimed).
 */
static const char claim_script[] =
	"local rate = KEYS[#KEYS]\n"
	"local n, max, took, out = tonumber(redis.call('GET', rate) or '0'), tonumber(ARGV[3]), 0, {}\n"
	"for i = 1, #KEYS - 1 do\n"
	"  if not redis.call('SET', KEYS[i], ARGV[1], 'NX', 'EX', ARGV[2]) then out[i] = 0\n"
	"  elseif n >= max then redis.call('DEL', KEYS[i]); out[i] = 2\n"
	"  else n = n + 1; took = took + 1; out[i] = 1 end\n"
	"end\n"
	"if took > 0 then redis.call('INCRBY', rate, took); redis.call('EXPIRE', rate, 7200) end\n"
	"return out\n";

void nqueue_claim_send_many(nqueue_t *q, char *const *ids, size_t n, unsigned ttl_s, long long rate, int *res_r)
{
	struct args a = { 0 };
	char nkeys[24];

	for (size_t i = 0; i < n; i++)
		res_r[i] = -1;
	if (n == 0)
		return;
	snprintf(nkeys, sizeof(nkeys), "%zu", n + 1);
	nqueue_args_add(&a, "EVAL");
	nqueue_args_add(&a, claim_script);
	nqueue_args_add(&a, nkeys);
	for (size_t i = 0; i < n; i++)
		report_keys_notice(q->kp, ids[i], nqueue_args_next(&a));
	rate_key(q, nqueue_args_next(&a));
	buf_printf(nqueue_args_next(&a), "claimed %s", q->consumer);
	buf_printf(nqueue_args_next(&a), "%u", ttl_s ? ttl_s : 1);
	buf_printf(nqueue_args_next(&a), "%lld", rate);
	redisReply *r = nqueue_args_run(q, &a);
	nqueue_args_free(&a);
	if (r != NULL && r->type == REDIS_REPLY_ARRAY && r->elements == n)
		for (size_t i = 0; i < n; i++)
			if (r->element[i]->type == REDIS_REPLY_INTEGER)
				res_r[i] = (int)r->element[i]->integer;
	if (r != NULL)
		freeReplyObject(r);
}

void nqueue_unclaim(nqueue_t *q, const char *id)
{
	struct buf key = BUF_INIT;

	report_keys_notice(q->kp, id, &key);
	redisReply *r = nqueue_run(q, "DEL", buf_cstr(&key), NULL);
	if (r != NULL)
		freeReplyObject(r);
	buf_free(&key);
}

void nqueue_rate_give(nqueue_t *q)
{
	struct buf key = BUF_INIT;

	rate_key(q, &key);
	redisReply *r = nqueue_run(q, "DECR", buf_cstr(&key), NULL);
	if (r != NULL)
		freeReplyObject(r);
	buf_free(&key);
}

/*
 * One script for a flush's notices (up to NOTIFY_FLUSH_MAX).  KEYS: told
 * and notice key of each notice, then the log list.  ARGV: now, interval
 * (0 = no told mark), keep, log length - 1, then each notice's log line.
 */
static const char sent_script[] =
	"local log, n = KEYS[#KEYS], (#KEYS - 1) / 2\n"
	"for i = 1, n do\n"
	"  if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[2 * i - 1], ARGV[1], 'EX', ARGV[2]) end\n"
	"  redis.call('SET', KEYS[2 * i], 'sent', 'EX', ARGV[3])\n"
	"  redis.call('LPUSH', log, ARGV[4 + i])\n"
	"end\n"
	"redis.call('LTRIM', log, 0, tonumber(ARGV[4]))\n"
	"return n\n";

size_t nqueue_sent_many(nqueue_t *q, const struct nqueue_sent_rec *recs, size_t n, long long interval_s,
			long long keep_s, char **error_r)
{
	struct args a = { 0 };

	if (n == 0)
		return 0;
	nqueue_args_add(&a, "EVAL");
	nqueue_args_add(&a, sent_script);
	buf_printf(nqueue_args_next(&a), "%zu", 2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		report_keys_told(q->kp, recs[i].netkey, nqueue_args_next(&a));
		report_keys_notice(q->kp, recs[i].id, nqueue_args_next(&a));
	}
	report_keys_notices(q->kp, nqueue_args_next(&a));
	buf_printf(nqueue_args_next(&a), "%lld", (long long)time(NULL));
	buf_printf(nqueue_args_next(&a), "%lld", interval_s);
	buf_printf(nqueue_args_next(&a), "%lld", keep_s > 0 ? keep_s : 1);
	buf_printf(nqueue_args_next(&a), "%d", NQUEUE_NOTICES_KEEP - 1);
	for (size_t i = 0; i < n; i++)
		nqueue_args_add(&a, recs[i].log_json);
	redisReply *r = nqueue_args_run(q, &a);
	nqueue_args_free(&a);
	if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
		nqueue_reply_error(q, r, "recording the notices", error_r);
		return n;	/* the script runs whole or not at all */
	}
	freeReplyObject(r);
	return 0;
}
