/*
 * nqueue_int - what nqueue.c (the stream, the counts) and nqueue_notice.c
 * (told, claims, the rate, the sent records) share.  Not for other
 * modules: they use nqueue.h.
 */
#ifndef RELAYGUARD_NQUEUE_INT_H
#define RELAYGUARD_NQUEUE_INT_H

#include <hiredis/hiredis.h>

#include "nqueue.h"

struct nqueue {
	redisContext *c;
	char *prefix;
	char *kp;			/* key prefix of the notifier's keys: "{prefix}{{prefix}reports}:" */
	char *stream;
	char *consumer;
	unsigned long long claim_idle_ms;
	long long window_s;
	char own_cursor[NQUEUE_ID_MAX];
	char claim_cursor[NQUEUE_ID_MAX];
};

/* Run a command given as strings (NULL-terminated list); the reply (caller frees) or NULL. */
redisReply *nqueue_run(nqueue_t *q, const char *first, ...);
/*
 * Pipelining: nqueue_append() queues a command (strings, NULL-terminated)
 * without waiting; nqueue_next_reply() takes the replies in order.
 */
void nqueue_append(nqueue_t *q, const char *first, ...);
redisReply *nqueue_next_reply(nqueue_t *q);
/* -1, with "redis: what: ..." in *error_r (may be NULL); frees r. */
int nqueue_reply_error(nqueue_t *q, redisReply *r, const char *what, char **error_r);

#endif
