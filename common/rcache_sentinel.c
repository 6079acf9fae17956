/* rcache_sentinel - ask Sentinels and watch +switch-master, async; see rcache_sentinel.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <hiredis/adapters/libevent.h>

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "redis_auth.h"
#include "rcache_sentinel.h"

#define RSENT_RESUBSCRIBE_MS 1000u

/*
 * Lifetimes as in rcache.c: a context is compared with rs->ask_ac or
 * rs->sub_ac in every callback, so callbacks of a context we gave up (and
 * NULL replies while hiredis frees it) are ignored.  We call redisAsyncFree
 * only from our own events; inside hiredis callbacks we only
 * redisAsyncDisconnect.
 */
struct rsent {
	struct event_base *base;
	struct redis_sentinel_spec spec;
	struct redis_auth auth;
	unsigned timeout_ms;
	rsent_cb *on_switch, *cb;
	void *switch_ctx, *ctx;
	redisAsyncContext *ask_ac, *sub_ac;
	size_t ask_i, sub_i;
	bool asking, freeing;
	struct buf why;			/* what the Sentinels said in this ask */
	struct event *ask_timeout_ev, *resub_ev;
};

static redisAsyncContext *open_ctx(rsent_t *rs, size_t i, void (*on_conn)(const redisAsyncContext *, int),
				   void (*on_disc)(const redisAsyncContext *, int))
{
	const struct redis_sentinel_addr *s = &rs->spec.sentinels[i];
	redisAsyncContext *ac = redisAsyncConnect(s->host, s->port);

	if (ac == NULL || ac->err || redisLibeventAttach(ac, rs->base) != REDIS_OK) {
		if (ac != NULL)
			redisAsyncFree(ac);
		return NULL;
	}
	ac->data = rs;
	redisAsyncSetConnectCallback(ac, on_conn);
	redisAsyncSetDisconnectCallback(ac, on_disc);
	const char *argv[3];
	size_t lens[3];
	int argc = redis_auth_argv(&rs->auth, argv, lens);
	if (argc > 0)
		redisAsyncCommandArgv(ac, NULL, NULL, argc, argv, lens); /* a refusal shows in the next reply */
	return ac;
}

/* ---- asking --------------------------------------------------------------- */

static void ask_next(rsent_t *rs);

static void ask_deliver(rsent_t *rs, const struct redis_sentinel_addr *m)
{
	rsent_cb *cb = rs->cb;

	rs->asking = false;
	event_del(rs->ask_timeout_ev);
	cb(m, buf_cstr(&rs->why), rs->ctx);
}

static void ask_failed(rsent_t *rs, const char *why)
{
	char text[64];

	redis_sentinel_addr_format(&rs->spec.sentinels[rs->ask_i], text, sizeof(text));
	buf_printf(&rs->why, "%s%s: %s", rs->why.len > 0 ? "; " : "", text, why);
	rs->ask_i++;
	ask_next(rs);
}

static void ask_reply_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	rsent_t *rs = privdata;
	redisReply *reply = r;
	struct redis_sentinel_addr m;

	if (rs->freeing || ac != rs->ask_ac || reply == NULL)
		return;
	rs->ask_ac = NULL;
	redisAsyncDisconnect(ac);
	if (reply->type == REDIS_REPLY_ERROR)
		ask_failed(rs, strncmp(reply->str, "NOAUTH", 6) == 0 || strncmp(reply->str, "WRONGPASS", 9) == 0
				       ? "AUTH refused" : "error reply");
	else if (reply->type == REDIS_REPLY_NIL)
		ask_failed(rs, "does not know the master");
	else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
		 reply->element[0]->type != REDIS_REPLY_STRING ||
		 reply->element[1]->type != REDIS_REPLY_STRING ||
		 redis_sentinel_addr_set(&m, reply->element[0]->str, reply->element[0]->len,
					 reply->element[1]->str, reply->element[1]->len) != 0)
		ask_failed(rs, "unexpected reply");
	else
		ask_deliver(rs, &m);
}

static void ask_lost(const redisAsyncContext *ac, const char *why)
{
	rsent_t *rs = ac->data;

	if (rs->freeing || ac != rs->ask_ac)
		return;
	rs->ask_ac = NULL;	/* hiredis frees it */
	ask_failed(rs, why);
}

static void ask_on_connect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK)
		ask_lost(ac, ac->errstr[0] != '\0' ? ac->errstr : "cannot connect");
}

static void ask_on_disconnect(const redisAsyncContext *ac, int status)
{
	ask_lost(ac, "connection closed");
}

static void ask_next(rsent_t *rs)
{
	struct timeval tv = { rs->timeout_ms / 1000, (rs->timeout_ms % 1000) * 1000 };

	for (; rs->ask_i < rs->spec.n; rs->ask_i++) {
		redisAsyncContext *ac = open_ctx(rs, rs->ask_i, ask_on_connect, ask_on_disconnect);
		if (ac == NULL) {
			buf_printf(&rs->why, "%scannot open a connection", rs->why.len > 0 ? "; " : "");
			continue;
		}
		const char *argv[] = { "SENTINEL", "get-master-addr-by-name", rs->spec.master };
		size_t lens[] = { 8, 23, strlen(rs->spec.master) };
		redisAsyncCommandArgv(ac, ask_reply_cb, rs, 3, argv, lens);
		rs->ask_ac = ac;
		evtimer_add(rs->ask_timeout_ev, &tv);
		return;
	}
	ask_deliver(rs, NULL);
}

static void ask_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	rsent_t *rs = arg;
	redisAsyncContext *ac = rs->ask_ac;

	rs->ask_ac = NULL;
	if (ac != NULL)
		redisAsyncFree(ac);	/* our own event: safe */
	ask_failed(rs, "no answer in time");
}

void rsent_ask(rsent_t *rs, rsent_cb *cb, void *ctx)
{
	rs->cb = cb;
	rs->ctx = ctx;
	if (rs->asking)
		return;
	rs->asking = true;
	rs->ask_i = 0;
	buf_reset(&rs->why);
	ask_next(rs);
}

/* ---- watching +switch-master --------------------------------------------- */

static void sub_lost(const redisAsyncContext *ac)
{
	rsent_t *rs = ac->data;
	struct timeval tv = { RSENT_RESUBSCRIBE_MS / 1000, 0 };

	if (rs->freeing || ac != rs->sub_ac)
		return;
	rs->sub_ac = NULL;
	rs->sub_i = (rs->sub_i + 1) % rs->spec.n;
	evtimer_add(rs->resub_ev, &tv);
}

static void sub_on_connect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK)
		sub_lost(ac);
}

static void sub_on_disconnect(const redisAsyncContext *ac, int status)
{
	sub_lost(ac);
}

static void sub_msg_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	rsent_t *rs = privdata;
	redisReply *reply = r;
	struct redis_sentinel_addr m;

	if (rs->freeing || ac != rs->sub_ac || reply == NULL)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warning("redis sentinel: SUBSCRIBE +switch-master refused: %.100s", reply->str);
		redisAsyncDisconnect(ac);	/* sub_lost() follows from on_disconnect */
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING || strcmp(reply->element[0]->str, "message") != 0 ||
	    reply->element[2]->type != REDIS_REPLY_STRING)
		return;		/* the subscribe confirmation */
	int rc = redis_sentinel_parse_switch(reply->element[2]->str, reply->element[2]->len,
					     rs->spec.master, &m);
	if (rc == 1)
		rs->on_switch(&m, "+switch-master", rs->switch_ctx);
	else if (rc < 0)
		log_debug("redis sentinel: unreadable +switch-master message");
}

static void resub_cb(evutil_socket_t fd, short what, void *arg)
{
	rsent_t *rs = arg;
	struct timeval tv = { RSENT_RESUBSCRIBE_MS / 1000, 0 };
	redisAsyncContext *ac = open_ctx(rs, rs->sub_i, sub_on_connect, sub_on_disconnect);

	if (ac == NULL) {
		rs->sub_i = (rs->sub_i + 1) % rs->spec.n;
		evtimer_add(rs->resub_ev, &tv);
		return;
	}
	redisAsyncCommand(ac, sub_msg_cb, rs, "SUBSCRIBE +switch-master");
	rs->sub_ac = ac;
}

/* ---- life ------------------------------------------------------------------ */

rsent_t *rsent_new(struct event_base *base, const struct redis_sentinel_spec *spec,
		   const char *user, const char *password, unsigned timeout_ms, rsent_cb *on_switch,
		   void *ctx)
{
	rsent_t *rs = xcalloc(1, sizeof(*rs));

	rs->base = base;
	rs->spec = *spec;
	redis_auth_set(&rs->auth, user, password);
	rs->timeout_ms = timeout_ms;
	rs->on_switch = on_switch;
	rs->switch_ctx = ctx;
	rs->ask_timeout_ev = evtimer_new(base, ask_timeout_cb, rs);
	rs->resub_ev = evtimer_new(base, resub_cb, rs);
	event_active(rs->resub_ev, EV_TIMEOUT, 1);	/* subscribe from the loop */
	return rs;
}

void rsent_free(rsent_t **rsp)
{
	rsent_t *rs = *rsp;

	if (rs == NULL)
		return;
	rs->freeing = true;
	if (rs->ask_ac != NULL)
		redisAsyncFree(rs->ask_ac);
	if (rs->sub_ac != NULL)
		redisAsyncFree(rs->sub_ac);
	event_free(rs->ask_timeout_ev);
	event_free(rs->resub_ev);
	redis_auth_clear(&rs->auth);
	buf_free(&rs->why);
	free(rs);
	*rsp = NULL;
}
