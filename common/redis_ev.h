/*
 * redis_ev - a hiredis asynchronous context on a libevent loop, writing
 * once per loop turn.
 *
 * hiredis 0.14's own libevent adapter waits for a write event before every
 * write, and re-adds its one-shot read event after every read: per round
 * trip two epoll_wait and four epoll_ctl besides the read and the write.
 * With one connection and 16 requests in flight those are shared by 16
 * replies; with one connection per cluster node each one carries a third of
 * them, so the per-round-trip cost is paid three times as often.  This
 * adapter instead:
 *   - keeps one persistent read event (no epoll_ctl per read);
 *   - sends what the commands of one loop turn queued with one write, from
 *     an event activated by the first command of the turn and run after the
 *     callbacks already due in that turn (the socket is almost always
 *     writable: no epoll round trip and no epoll_ctl);
 *   - waits for a real write event only while connecting and when a write
 *     was partial (the socket buffer full), as hiredis asks.
 *
 * redis_ev_attach() takes over ac->ev; hiredis calls redis_ev's cleanup
 * when it frees the context (from redisAsyncFree, or after a disconnect),
 * and the events go with it.  -1 when ac already has an adapter or an
 * event cannot be created (ac is then unchanged).  One thread: the loop's.
 */
#ifndef RELAYGUARD_REDIS_EV_H
#define RELAYGUARD_REDIS_EV_H

#include <event2/event.h>
#include <hiredis/async.h>

int redis_ev_attach(redisAsyncContext *ac, struct event_base *base)
	__attribute__((warn_unused_result));

#endif
