/*
 * rcache_sentinel - the asynchronous side of redis_sentinel, for rcache.
 *
 * rsent_ask() asks the Sentinels (in the configured order, each with AUTH
 * when a Sentinel password is set; user and password are copied) for the
 * master's address, without blocking: the answer comes exactly once to the
 * callback, from the loop or from inside a hiredis callback (the caller may
 * open connections there, but must not free the rsent_t).  A Sentinel that refuses, does not know the
 * master or does not answer within timeout_ms is skipped; when none
 * answers, the callback gets NULL and a reason.  One ask at a time: a new
 * rsent_ask() while one is pending replaces its callback.
 *
 * Meanwhile one connection to a Sentinel stays SUBSCRIBEd to
 * +switch-master; a switch of our master calls on_switch with the new
 * address (re-subscribing to the next Sentinel, after 1 s, when the link
 * breaks).  Passwords are never logged.
 *
 * Not thread-safe: used from the thread of its event loop.
 */
#ifndef RELAYGUARD_RCACHE_SENTINEL_H
#define RELAYGUARD_RCACHE_SENTINEL_H

#include "redis_sentinel.h"

struct event_base;
typedef struct rsent rsent_t;

/* master is NULL when no Sentinel answered; why says what they said. */
typedef void rsent_cb(const struct redis_sentinel_addr *master, const char *why, void *ctx);

rsent_t *rsent_new(struct event_base *base, const struct redis_sentinel_spec *spec,
		   const char *user, const char *password, unsigned timeout_ms, rsent_cb *on_switch,
		   void *ctx);
void rsent_ask(rsent_t *rs, rsent_cb *cb, void *ctx);
/* Free everything; a pending ask is dropped without its callback.  NULL is a no-op. */
void rsent_free(rsent_t **rs);

#endif
