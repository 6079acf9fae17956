/*
 * nqueue_int - what nqueue.c (the stream), nqueue_commit.c (the counts)
 * and nqueue_notice.c (told, claims, the rate, the sent records) share.  Not for other
 * modules: they use nqueue.h.
 */
#ifndef RELAYGUARD_NQUEUE_INT_H
#define RELAYGUARD_NQUEUE_INT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

#include "buf.h"
#include "nqueue.h"

struct nqueue_arena;

struct nqueue {
	redisContext *c;		/* commits, counts, notices: hiredis's reply objects */
	redisContext *rc;		/* the stream reads: replies in arena (nqueue_reader.c) */
	struct nqueue_arena *arena;
	char *prefix;
	char *kp;			/* key prefix of the notifier's keys: "{prefix}{{prefix}reports}:" */
	char *stream;
	char *consumer;
	unsigned long long claim_idle_ms;
	long long window_s;
	char own_cursor[NQUEUE_ID_MAX];
	char claim_cursor[NQUEUE_ID_MAX];
	unsigned long compactions;	/* made by this process: part of each one's tag */
	/* An XREADGROUP of new entries is on its way on rc, its reply not yet
	 * taken: sent before the last full reply was counted, so that Redis
	 * builds the next reply while this process counts (nqueue_read_ahead). */
	bool read_ahead;
	/* Send the next read before counting a full reply (one stream only:
	 * with several, a stream's share of a round is one batch). */
	bool speculate;
};

/* A command's arguments, built one by one; the strings are owned by the bufs. */
struct args {
	struct buf *v;
	size_t n, cap;
};
/* A new empty argument to fill (valid until the next one is added). */
struct buf *nqueue_args_next(struct args *a);
void nqueue_args_add(struct args *a, const char *s);
/* Run the command on the commands' connection: the reply (caller frees) or NULL. */
redisReply *nqueue_args_run(nqueue_t *q, const struct args *a);
void nqueue_args_free(struct args *a);
/* Run a command given as strings (NULL-terminated list); the reply (caller frees) or NULL. */
redisReply *nqueue_run(nqueue_t *q, const char *first, ...);
/*
 * Pipelining: nqueue_append() queues a command (strings, NULL-terminated)
 * without waiting; nqueue_next_reply() takes the replies in order.
 */
void nqueue_append(nqueue_t *q, const char *first, ...);
redisReply *nqueue_next_reply(nqueue_t *q);
/*
 * The stream connection (nqueue_reader.c): commands of strings queued with
 * nqueue_stream_append(), replies taken in order with nqueue_stream_reply();
 * a reply (NULL when the connection failed) lives until nqueue_stream_done(),
 * never freeReplyObject().  nqueue_stream_error() is nqueue_reply_error()
 * for them (and ends the reply).
 */
void nqueue_reader_setup(nqueue_t *q);
void nqueue_reader_free(nqueue_t *q);
void nqueue_stream_append(nqueue_t *q, const char *first, ...);
redisReply *nqueue_stream_reply(nqueue_t *q);
void nqueue_stream_done(nqueue_t *q);
int nqueue_stream_error(nqueue_t *q, const redisReply *r, const char *what, char **error_r);
/*
 * Read-ahead of new entries: nqueue_read_ahead() sends "XREADGROUP ... COUNT
 * count STREAMS stream >" on rc without waiting (q->read_ahead); the next
 * reader of new entries takes its reply instead of asking again.
 * nqueue_ahead_drop() takes and forgets it (its entries stay pending for
 * this consumer: read again as its own pending entries) before rc is used
 * for anything else.
 */
void nqueue_read_ahead(nqueue_t *q, size_t count);
void nqueue_ahead_drop(nqueue_t *q);
/* The entries array of an XREADGROUP reply, or NULL when it has none. */
const redisReply *nqueue_group_entries(const redisReply *r);
/* The entries of one stream reply to cb (last_id: where the last one's id goes, or NULL). */
long nqueue_read_entries(const redisReply *list, nqueue_entry_cb *cb, void *ctx, char *last_id);
/* -1, with "redis: what: ..." in *error_r (may be NULL); frees r. */
int nqueue_reply_error(nqueue_t *q, redisReply *r, const char *what, char **error_r);

#endif
