/*
 * probe_store_redis - results in Redis; see probe_store_redis.h.
 */
#include "config.h"

#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe_store.h"
#include "probe_store_redis.h"

static void key_of(const struct rlists_conn_opts *o, const addr_t *a, char *out, size_t size)
{
	char text[ADDR_STRLEN];

	/* one hash tag for every result: on a Redis Cluster one node holds them
	 * all, the one probe_results connects to (PROBE_STORE_REDIS_TAG) */
	snprintf(out, size, "%s" PROBE_STORE_REDIS_TAG ":%s", o->prefix != NULL ? o->prefix : "", addr_format(a, text));
}

static redisContext *open_or_why(const struct rlists_conn_opts *o, char *why, size_t why_size)
{
	char *err = NULL;
	redisContext *c = rlists_conn_open(o, &err);

	if (c == NULL)
		snprintf(why, why_size, "%s", err != NULL ? err : "redis: cannot connect");
	free(err);
	return c;
}

int probe_store_redis_save(const struct rlists_conn_opts *o, const struct probe_result *r, long long ttl_s,
			   char *why, size_t why_size)
{
	char key[512], ttl[32];
	struct buf text = BUF_INIT;
	redisContext *c = open_or_why(o, why, why_size);
	int rc = -1;

	if (c == NULL)
		return -1;
	key_of(o, &r->addr, key, sizeof(key));
	snprintf(ttl, sizeof(ttl), "%lld", ttl_s > 0 ? ttl_s : 1);
	probe_store_format(r, &text);
	const char *argv[] = { "SET", key, text.data != NULL ? text.data : "", "EX", ttl };
	size_t lens[] = { 3, strlen(key), text.len, 2, strlen(ttl) };
	redisReply *reply = redisCommandArgv(c, 5, argv, lens);
	if (reply != NULL && reply->type == REDIS_REPLY_STATUS)
		rc = 0;
	else
		snprintf(why, why_size, "redis SET %s: %s", key,
			 reply == NULL ? c->errstr : reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
	freeReplyObject(reply);
	redisFree(c);
	buf_free(&text);
	return rc;
}

int probe_store_redis_load(const struct rlists_conn_opts *o, const addr_t *a, struct probe_result *r, char *why,
			   size_t why_size)
{
	char key[512];
	redisContext *c = open_or_why(o, why, why_size);
	int rc = -1;

	if (c == NULL)
		return -1;
	key_of(o, a, key, sizeof(key));
	const char *argv[] = { "GET", key };
	size_t lens[] = { 3, strlen(key) };
	redisReply *reply = redisCommandArgv(c, 2, argv, lens);
	if (reply != NULL && reply->type == REDIS_REPLY_NIL) {
		rc = 0;
	} else if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
		rc = probe_store_parse(reply->str, reply->len, r) == 0 && addr_cmp(a, &r->addr) == 0 ? 1 : -1;
		if (rc < 0)
			snprintf(why, why_size, "redis key %s: not a relayguard-probe result", key);
	} else {
		snprintf(why, why_size, "redis GET %s: %s", key,
			 reply == NULL ? c->errstr : reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
	}
	freeReplyObject(reply);
	redisFree(c);
	return rc;
}
