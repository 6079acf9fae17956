/*
 * rcache_conn - the one connection of an rcache: connect, the handshake
 * (AUTH, SELECT, ROLE for a Sentinel master, PING), loss, backoff and the
 * log lines of an outage; the Sentinel asks.  See rcache.h for the failure
 * model and rcache_int.h for the lifetimes.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "log.h"
#include "mem.h"
#include "rcache_int.h"
#include "redis_ev.h"

/* ---- connection state ------------------------------------------------- */

static void rc_schedule_reconnect(rcache_t *rc)
{
	struct timeval tv = { rc->backoff_ms / 1000, (rc->backoff_ms % 1000) * 1000 };

	if (rc->freeing)
		return;
	evtimer_add(rc->reconnect_ev, &tv);
	rc->backoff_ms = rc->backoff_ms * 2 > RCACHE_BACKOFF_MAX_MS ? RCACHE_BACKOFF_MAX_MS
								    : rc->backoff_ms * 2;
}

/* The connection is gone or unusable: one warning per outage. */
static void rc_note_down(rcache_t *rc, const char *why)
{
	rc->link = RC_IDLE;
	rc->master_known = false;	/* ask the Sentinels again before reconnecting */
	event_del(rc->handshake_ev);
	if (rc->announced_down) {
		log_debug("redis %s: still unreachable: %s", rc->server, why);
		return;
	}
	rc->announced_down = true;
	log_warning("redis %s: %s: %s, checks continue without the Redis cache", rc->server,
		    rc->ever_up ? "connection lost" : "cannot connect", why);
}

/*
 * Redis or the Sentinels answer but refuse us (a new password, a lost
 * database): no outage that heals alone, so an error, also when a
 * reconnect after a loss meets it; once until it works again.  The caller
 * drops the connection, which is retried with the usual backoff.
 */
static void rc_note_refused(rcache_t *rc, const char *why)
{
	if (rc->announced_refused)
		return;
	rc->announced_refused = true;
	rc->announced_down = true;
	if (rc->parent == NULL) {
		log_error("redis %s: %s; retrying with backoff: checks continue without Redis and "
			  "report events wait in the spool", rc->server, why);
		return;
	}
	/* The nodes of a cluster share one password: the cluster says it once
	 * (until a node is up again), not once per node. */
	if (rc->parent->announced_refused) {
		log_debug("redis %s: node %s: %s", rc->parent->server, rc->server, why);
		return;
	}
	rc->parent->announced_refused = true;
	log_error("redis %s: node %s: %s; retrying with backoff (other nodes refusing the same are "
		  "not named): checks continue without Redis and report events wait in the spool",
		  rc->parent->server, rc->server, why);
}

static void rc_set_up(rcache_t *rc)
{
	rc->link = RC_UP;
	event_del(rc->handshake_ev);
	rc->backoff_ms = RCACHE_BACKOFF_MIN_MS;
	rc->announced_refused = false;
	if (rc->parent != NULL)
		rc->parent->announced_refused = false;
	if (rc->announced_down) {
		rc->announced_down = false;
		if (rc->ever_up)
			rc->stats.reconnects++;
		log_notice("redis %s: connection is back, checks use the Redis cache again",
			   rc->server);
	} else {
		log_info("redis %s: connected", rc->server);
	}
	rc->ever_up = true;
}

/* Give up the current connection from anywhere, hiredis callbacks included:
 * the context is freed later by rcache_conn_drop_cb, outside hiredis. */
void rcache_conn_drop(rcache_t *rc, const char *why)
{
	if (rc->ac == NULL)
		return;
	rc_note_down(rc, why);
	rc->dropping = rc->ac;
	rc->ac = NULL;
	event_active(rc->drop_ev, EV_TIMEOUT, 1);
}

void rcache_conn_drop_cb(evutil_socket_t fd, short what, void *arg)
{
	rcache_t *rc = arg;
	redisAsyncContext *ac = rc->dropping;

	rc->dropping = NULL;
	if (ac != NULL)
		redisAsyncFree(ac);	/* pending requests fail through the loop */
	rc_schedule_reconnect(rc);
}

/* hiredis is about to free ac (connect failed, or the connection died). */
static void rc_lost(const redisAsyncContext *ac, const char *why)
{
	rcache_t *rc = ac->data;

	if (rc->freeing)
		return;
	if (ac == rc->dropping) {
		rc->dropping = NULL;	/* rcache_conn_drop_cb must not free it again */
		return;
	}
	if (ac != rc->ac)
		return;
	rc->ac = NULL;
	rc_note_down(rc, why);
	rc_schedule_reconnect(rc);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
	if (status != REDIS_OK)
		rc_lost(ac, ac->errstr[0] != '\0' ? ac->errstr : "connect failed");
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	rc_lost(ac, status == REDIS_OK ? "closed" : ac->errstr[0] != '\0' ? ac->errstr : "error");
}

/* One reply of the handshake (AUTH, SELECT, PING). */
static void handshake_reply(redisAsyncContext *ac, void *r, void *privdata, const char *what)
{
	rcache_t *rc = privdata;
	redisReply *reply = r;
	struct buf why = BUF_INIT;

	if (rc->freeing || ac != rc->ac || reply == NULL)
		return;		/* stale, or the disconnect path reports it */
	if (reply->type == REDIS_REPLY_ERROR) {
		buf_printf(&why, "%s refused", what);
		/* Redis does not echo the password, but be sure before quoting. */
		if (reply->str != NULL && !redis_auth_in(&rc->auth, reply->str))
			buf_printf(&why, " (%.*s)", RCACHE_REPLY_QUOTE_MAX, reply->str);
		rc_note_refused(rc, buf_cstr(&why));
		rcache_conn_drop(rc, buf_cstr(&why));
		buf_free(&why);
		return;
	}
	if (--rc->handshake_left == 0)
		rc_set_up(rc);
}

static void auth_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	handshake_reply(ac, r, privdata, "AUTH");
}

static void select_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	handshake_reply(ac, r, privdata, "SELECT");
}

static void ping_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	handshake_reply(ac, r, privdata, "PING");
}

/* Sentinel mode: the server the Sentinels named must say it is the master
 * (their view can lag a failover by a moment). */
static void role_cb(redisAsyncContext *ac, void *r, void *privdata)
{
	rcache_t *rc = privdata;
	redisReply *reply = r;

	if (rc->freeing || ac != rc->ac || reply == NULL)
		return;
	if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
	    reply->element[0]->type == REDIS_REPLY_STRING && strcmp(reply->element[0]->str, "master") == 0) {
		handshake_reply(ac, r, privdata, "ROLE");
		return;
	}
	rcache_conn_drop(rc, "the server the Sentinels named is not the master (ROLE), asking them again");
}

void rcache_conn_handshake_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	rcache_t *rc = arg;
	struct buf why = BUF_INIT;

	buf_printf(&why, "no answer to the handshake within %u ms",
		   rc->timeout_ms > RCACHE_CONNECT_TIMEOUT_MIN_MS ? rc->timeout_ms
								  : RCACHE_CONNECT_TIMEOUT_MIN_MS);
	rcache_conn_drop(rc, buf_cstr(&why));
	buf_free(&why);
}

/* Queue AUTH, SELECT and PING; the connection is ready when all answered. */
static void rc_handshake(rcache_t *rc, redisAsyncContext *ac)
{
	unsigned ms = rc->timeout_ms > RCACHE_CONNECT_TIMEOUT_MIN_MS ? rc->timeout_ms
								     : RCACHE_CONNECT_TIMEOUT_MIN_MS;
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	char dbtext[16];

	const char *auth_argv[3];
	size_t auth_lens[3];
	int auth_argc = redis_auth_argv(&rc->auth, auth_argv, auth_lens);

	rc->handshake_left = 0;
	if (auth_argc > 0 && redisAsyncCommandArgv(ac, auth_cb, rc, auth_argc, auth_argv, auth_lens) == REDIS_OK)
		rc->handshake_left++;
	if (rc->db != 0) {
		snprintf(dbtext, sizeof(dbtext), "%d", rc->db);
		const char *argv[] = { "SELECT", dbtext };
		size_t lens[] = { 6, strlen(dbtext) };
		if (redisAsyncCommandArgv(ac, select_cb, rc, 2, argv, lens) == REDIS_OK)
			rc->handshake_left++;
	}
	if (rc->sentinel != NULL && redisAsyncCommand(ac, role_cb, rc, "ROLE") == REDIS_OK)
		rc->handshake_left++;
	if (redisAsyncCommand(ac, ping_cb, rc, "PING") == REDIS_OK)
		rc->handshake_left++;
	evtimer_add(rc->handshake_ev, &tv);
}

/* The Sentinels answered an ask (master NULL: none did). */
static void master_cb(const struct redis_sentinel_addr *master, const char *why, void *ctx)
{
	rcache_t *rc = ctx;
	char text[64];

	if (master == NULL) {
		rc->link = RC_IDLE;
		/* a Sentinel that refuses our AUTH is a setting to fix, like the server's */
		if (strstr(why, "AUTH refused") != NULL)
			rc_note_refused(rc, why);
		rc_note_down(rc, why);
		rc_schedule_reconnect(rc);
		return;
	}
	redis_sentinel_addr_format(master, text, sizeof(text));
	log_debug("redis %s: the Sentinels name %s as the master", rc->server, text);
	free(rc->host);
	rc->host = xstrdup(master->host);
	rc->port = master->port;
	rc->master_known = true;
	rcache_conn_start(rc);
}

/* +switch-master of our master: go there now, not at the next error. */
void rcache_conn_switch_cb(const struct redis_sentinel_addr *master, const char *why, void *ctx)
{
	rcache_t *rc = ctx;
	char text[80];

	redis_sentinel_addr_format(master, text, sizeof(text));
	log_notice("redis %s: Sentinel %s: the master is now %s", rc->server, why, text);
	if (rc->ac != NULL) {
		rcache_conn_drop(rc, "the master moved");	/* reconnects through a fresh ask */
	} else if (rc->link == RC_IDLE && evtimer_pending(rc->reconnect_ev, NULL)) {
		/* Waiting out a backoff after the old master died: go now. */
		event_del(rc->reconnect_ev);
		rc->backoff_ms = RCACHE_BACKOFF_MIN_MS;
		rcache_conn_start(rc);
	}
}

void rcache_conn_start(rcache_t *rc)
{
	redisAsyncContext *ac;

	if (rc->sentinel != NULL && !rc->master_known) {
		rc->link = RC_CONNECTING;
		rsent_ask(rc->sentinel, master_cb, rc);
		return;
	}

	ac = rc->unix_path != NULL ? redisAsyncConnectUnix(rc->unix_path)
				   : redisAsyncConnect(rc->host, rc->port);
	if (ac == NULL || ac->err) {
		rc_note_down(rc, ac != NULL ? ac->errstr : "out of memory");
		if (ac != NULL)
			redisAsyncFree(ac);	/* never attached: no callbacks */
		rc_schedule_reconnect(rc);
		return;
	}
	ac->data = rc;
	if (redis_ev_attach(ac, rc->base) != 0) {
		rc_note_down(rc, "cannot attach to the event loop");
		redisAsyncFree(ac);
		rc_schedule_reconnect(rc);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	rc->ac = ac;
	rc->link = RC_CONNECTING;
	rc_handshake(rc, ac);
}

void rcache_conn_reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	rcache_conn_start(arg);
}

