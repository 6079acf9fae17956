/* redis_ev - hiredis on libevent, one write per loop turn; see redis_ev.h. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include <event2/event.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "mem.h"
#include "redis_ev.h"

struct redis_ev {
	redisAsyncContext *ac;
	struct event *rev;	/* EV_READ|EV_PERSIST */
	struct event *wev;	/* EV_WRITE, one-shot: connecting, or a partial write */
	struct event *flush;	/* no fd: activated to write at the end of this turn */
	bool writing;		/* inside redisAsyncHandleWrite: hiredis asking for
				   more means the socket is full, wait for it */
	bool *gone;		/* set by cleanup while a callback of ours runs */
};

/* Let hiredis write; true when it freed the context (and us) meanwhile. */
static bool ev_write(struct redis_ev *e)
{
	bool gone = false;

	e->gone = &gone;
	e->writing = true;
	redisAsyncHandleWrite(e->ac);
	if (gone)
		return true;
	e->writing = false;
	e->gone = NULL;
	return false;
}

static void ev_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_ev *e = arg;

	(void)fd;
	(void)what;
	redisAsyncHandleRead(e->ac);
}

static void ev_write_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)ev_write(arg);
}

static void ev_add_read(void *privdata)
{
	struct redis_ev *e = privdata;

	event_add(e->rev, NULL);	/* already pending: no system call */
}

static void ev_del_read(void *privdata)
{
	struct redis_ev *e = privdata;

	event_del(e->rev);
}

/* hiredis has bytes to send.  Before the connection is up (its first
 * write event completes the connect) and after a partial write, wait for
 * the socket; otherwise write once at the end of this loop turn. */
static void ev_add_write(void *privdata)
{
	struct redis_ev *e = privdata;

	if (e->writing || !(e->ac->c.flags & REDIS_CONNECTED))
		event_add(e->wev, NULL);
	else
		event_active(e->flush, EV_TIMEOUT, 1);	/* once: already active is a no-op */
}

static void ev_del_write(void *privdata)
{
	struct redis_ev *e = privdata;

	event_del(e->wev);
}

static void ev_cleanup(void *privdata)
{
	struct redis_ev *e = privdata;

	if (e->gone != NULL)
		*e->gone = true;
	event_free(e->rev);
	event_free(e->wev);
	event_free(e->flush);
	free(e);
}

int redis_ev_attach(redisAsyncContext *ac, struct event_base *base)
{
	if (ac->ev.data != NULL)
		return -1;
	struct redis_ev *e = xcalloc(1, sizeof(*e));
	e->ac = ac;
	e->rev = event_new(base, ac->c.fd, EV_READ | EV_PERSIST, ev_read_cb, e);
	e->wev = event_new(base, ac->c.fd, EV_WRITE, ev_write_cb, e);
	e->flush = event_new(base, -1, 0, ev_write_cb, e);
	if (e->rev == NULL || e->wev == NULL || e->flush == NULL) {
		if (e->rev != NULL)
			event_free(e->rev);
		if (e->wev != NULL)
			event_free(e->wev);
		if (e->flush != NULL)
			event_free(e->flush);
		free(e);
		return -1;
	}
	ac->ev.data = e;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	/* hiredis 0.14 learns that a non-blocking connect finished from the
	 * first write event, and reads only once asked to. */
	event_add(e->rev, NULL);
	event_add(e->wev, NULL);
	return 0;
}
