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
 * KEYS: notice, rate.  ARGV: claim value, claim TTL, rate.  1: claimed and
 * counted; 0: sent already or claimed by another; 2: the hour is full.
 */
static const char claim_script[] =
	"if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end\n"
	"local n = redis.call('INCR', KEYS[2])\n"
	"redis.call('EXPIRE', KEYS[2], 7200)\n"
	"if n > tonumber(ARGV[3]) then redis.call('DECR', KEYS[2]); redis.call('DEL', KEYS[1]); return 2 end\n"
	"return 1\n";

void nqueue_claim_send_many(nqueue_t *q, char *const *ids, size_t n, unsigned ttl_s, long long rate, int *res_r)
{
	struct buf val = BUF_INIT, rkey = BUF_INIT;
	char ttl[24], max[24];

	buf_printf(&val, "claimed %s", q->consumer);
	rate_key(q, &rkey);
	snprintf(ttl, sizeof(ttl), "%u", ttl_s ? ttl_s : 1);
	snprintf(max, sizeof(max), "%lld", rate);
	for (size_t i = 0; i < n; i++) {
		struct buf key = BUF_INIT;
		report_keys_notice(q->kp, ids[i], &key);
		nqueue_append(q, "EVAL", claim_script, "2", buf_cstr(&key), buf_cstr(&rkey), buf_cstr(&val), ttl, max, NULL);
		buf_free(&key);
	}
	for (size_t i = 0; i < n; i++) {
		long long v;
		res_r[i] = int_reply(q, nqueue_next_reply(q), &v) != 0 ? -1 : (int)v;
	}
	buf_free(&val);
	buf_free(&rkey);
}

int nqueue_claim_send(nqueue_t *q, const char *id, unsigned ttl_s, long long rate)
{
	struct buf key = BUF_INIT, val = BUF_INIT, rkey = BUF_INIT;
	char ttl[24], max[24];
	long long v;

	report_keys_notice(q->kp, id, &key);
	buf_printf(&val, "claimed %s", q->consumer);
	rate_key(q, &rkey);
	snprintf(ttl, sizeof(ttl), "%u", ttl_s ? ttl_s : 1);
	snprintf(max, sizeof(max), "%lld", rate);
	int rc = int_reply(q, nqueue_run(q, "EVAL", claim_script, "2", buf_cstr(&key), buf_cstr(&rkey), buf_cstr(&val),
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

	report_keys_notice(q->kp, id, &key);
	buf_printf(&val, "claimed %s", q->consumer);
	snprintf(ttl, sizeof(ttl), "%u", ttl_s);
	redisReply *r = nqueue_run(q, "SET", buf_cstr(&key), buf_cstr(&val), "NX", "EX", ttl, NULL);
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

	report_keys_notice(q->kp, id, &key);
	redisReply *r = nqueue_run(q, "DEL", buf_cstr(&key), NULL);
	if (r != NULL)
		freeReplyObject(r);
	buf_free(&key);
}

int nqueue_rate_take(nqueue_t *q, long long rate)
{
	struct buf key = BUF_INIT;
	long long n;

	rate_key(q, &key);
	if (int_reply(q, nqueue_run(q, "INCR", buf_cstr(&key), NULL), &n) != 0) {
		buf_free(&key);
		return -1;
	}
	redisReply *r = nqueue_run(q, "EXPIRE", buf_cstr(&key), "7200", NULL);
	if (r != NULL)
		freeReplyObject(r);
	if (n > rate) {
		r = nqueue_run(q, "DECR", buf_cstr(&key), NULL);
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
	redisReply *r = nqueue_run(q, "DECR", buf_cstr(&key), NULL);
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

/* Append the sent script for one notice. */
static void append_sent(nqueue_t *q, const char *id, const char *netkey, long long interval_s, long long keep_s,
			const char *log_json)
{
	struct buf told = BUF_INIT, notice = BUF_INIT, list = BUF_INIT;
	char now[24], ival[24], keep[24], maxi[24];

	report_keys_told(q->kp, netkey, &told);
	report_keys_notice(q->kp, id, &notice);
	report_keys_notices(q->kp, &list);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	snprintf(ival, sizeof(ival), "%lld", interval_s);
	snprintf(keep, sizeof(keep), "%lld", keep_s > 0 ? keep_s : 1);
	snprintf(maxi, sizeof(maxi), "%d", NQUEUE_NOTICES_KEEP - 1);
	nqueue_append(q, "EVAL", sent_script, "3", buf_cstr(&told), buf_cstr(&notice), buf_cstr(&list), now, ival, keep,
	       log_json, maxi, NULL);
	buf_free(&told);
	buf_free(&notice);
	buf_free(&list);
}

size_t nqueue_sent_many(nqueue_t *q, const struct nqueue_sent_rec *recs, size_t n, long long interval_s,
			long long keep_s, char **error_r)
{
	size_t failed = 0;

	for (size_t i = 0; i < n; i++)
		append_sent(q, recs[i].id, recs[i].netkey, interval_s, keep_s, recs[i].log_json);
	for (size_t i = 0; i < n; i++) {
		redisReply *r = nqueue_next_reply(q);
		if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
			if (failed++ == 0)
				nqueue_reply_error(q, r, "recording a notice", error_r);
			else if (r != NULL)
				freeReplyObject(r);
		} else {
			freeReplyObject(r);
		}
	}
	return failed;
}

int nqueue_sent(nqueue_t *q, const char *id, const char *netkey, long long interval_s,
		long long keep_s, const char *log_json, char **error_r)
{
	struct nqueue_sent_rec rec = { id, netkey, log_json };

	return nqueue_sent_many(q, &rec, 1, interval_s, keep_s, error_r) == 0 ? 0 : -1;
}
