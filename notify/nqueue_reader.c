/*
 * nqueue_reader - the stream's own connection: XREADGROUP, XAUTOCLAIM and
 * XRANGE replies built in an arena instead of one malloc per field.
 *
 * Why: a read of 1,000 events is about 19,000 reply objects (an entry is
 * an array of its id and an array of 16 field strings); built by hiredis's
 * default functions that was a third of the notifier's CPU on 1M events
 * (malloc, free and glibc's consolidation of them).  Here every object
 * of a reply comes from one growing arena, and the whole reply is dropped
 * at once by nqueue_stream_done().  The objects have redisReply's layout,
 * so the code that reads them is the same; they must never be given to
 * freeReplyObject().  A reply lives until the next nqueue_stream_done().
 *
 * The other commands (commits, notices) keep the first connection and
 * hiredis's own objects.  Not thread-safe, as nqueue.
 */
#include "config.h"

#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "nqueue.h"
#include "nqueue_int.h"

#define ARENA_CHUNK (256u * 1024u)
#define STREAM_ARGS_MAX 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct nqueue_arena {
	struct arena_chunk *head;
};

static void *arena_alloc(struct nqueue_arena *a, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (a->head == NULL || a->head->cap - a->head->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		struct arena_chunk *c = xmalloc(sizeof(*c) + cap);
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
	}
	void *p = (char *)a->head->data + a->head->used;
	a->head->used += n;
	return p;
}

/* Drop every object; the newest chunk is kept for the next reply. */
static void arena_reset(struct nqueue_arena *a)
{
	if (a->head == NULL)
		return;
	for (struct arena_chunk *c = a->head->next, *next; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	a->head->next = NULL;
	a->head->used = 0;
}

/* A reply object of type for task, put in its parent array (as hiredis does). */
static redisReply *new_obj(const redisReadTask *task, int type, size_t extra)
{
	redisReply *r = arena_alloc(task->privdata, sizeof(*r) + extra);

	memset(r, 0, sizeof(*r));
	r->type = type;
	if (task->parent != NULL) {
		redisReply *parent = task->parent->obj;
		parent->element[task->idx] = r;
	}
	return r;
}

static void *create_string(const redisReadTask *task, char *str, size_t len)
{
	redisReply *r = new_obj(task, task->type, len + 1);

	r->str = (char *)(r + 1);
	memcpy(r->str, str, len);
	r->str[len] = '\0';
	r->len = len;
	return r;
}

static void *create_array(const redisReadTask *task, int elements)
{
	redisReply *r = new_obj(task, REDIS_REPLY_ARRAY, 0);

	r->elements = elements > 0 ? (size_t)elements : 0;
	if (elements > 0)
		r->element = arena_alloc(task->privdata, (size_t)elements * sizeof(*r->element));
	return r;
}

static void *create_integer(const redisReadTask *task, long long value)
{
	redisReply *r = new_obj(task, REDIS_REPLY_INTEGER, 0);

	r->integer = value;
	return r;
}

static void *create_nil(const redisReadTask *task)
{
	return new_obj(task, REDIS_REPLY_NIL, 0);
}

static void free_object(void *obj)
{
	(void)obj;	/* the arena owns it: dropped by nqueue_stream_done() */
}

static redisReplyObjectFunctions arena_functions = {
	create_string, create_array, create_integer, create_nil, free_object,
};

void nqueue_reader_setup(nqueue_t *q)
{
	q->arena = xcalloc(1, sizeof(*q->arena));
	q->rc->reader->fn = &arena_functions;
	q->rc->reader->privdata = q->arena;
	q->rc->reader->maxbuf = 0;	/* replies of 100s of KB: keep the buffer */
}

void nqueue_reader_free(nqueue_t *q)
{
	if (q->arena != NULL) {
		arena_reset(q->arena);
		free(q->arena->head);
		free(q->arena);
		q->arena = NULL;
	}
}

/* Queue a command of strings (NULL-terminated) on the stream connection. */
void nqueue_stream_append(nqueue_t *q, const char *first, ...)
{
	const char *argv[STREAM_ARGS_MAX];
	size_t lens[STREAM_ARGS_MAX];
	int n = 0;
	va_list ap;

	va_start(ap, first);
	for (const char *s = first; s != NULL && n < STREAM_ARGS_MAX; s = va_arg(ap, const char *)) {
		argv[n] = s;
		lens[n++] = strlen(s);
	}
	va_end(ap);
	(void)redisAppendCommandArgv(q->rc, n, argv, lens);
}

redisReply *nqueue_stream_reply(nqueue_t *q)
{
	void *r = NULL;

	if (redisGetReply(q->rc, &r) != REDIS_OK)
		return NULL;
	return r;
}

void nqueue_stream_done(nqueue_t *q)
{
	if (q->arena != NULL)
		arena_reset(q->arena);
}

int nqueue_stream_error(nqueue_t *q, const redisReply *r, const char *what, char **error_r)
{
	struct buf e = BUF_INIT;

	if (r == NULL)
		buf_printf(&e, "redis: %s: %s", what, q->rc->errstr[0] ? q->rc->errstr : "no reply");
	else
		buf_printf(&e, "redis: %s: %.200s", what, r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
	if (error_r != NULL)
		*error_r = buf_detach(&e);
	buf_free(&e);
	nqueue_stream_done(q);
	return -1;
}

void nqueue_read_ahead(nqueue_t *q, size_t count)
{
	char n[24];
	int done = 0;

	snprintf(n, sizeof(n), "%zu", count);
	nqueue_stream_append(q, "XREADGROUP", "GROUP", NQUEUE_GROUP, q->consumer, "COUNT", n, "STREAMS", q->stream,
			     ">", NULL);
	/* on the wire now: Redis works on it while the caller counts */
	while (!done && redisBufferWrite(q->rc, &done) == REDIS_OK)
		;
	q->read_ahead = true;
}

void nqueue_ahead_drop(nqueue_t *q)
{
	if (!q->read_ahead)
		return;
	q->read_ahead = false;
	(void)nqueue_stream_reply(q);
	nqueue_stream_done(q);
}

const redisReply *nqueue_group_entries(const redisReply *r)
{
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements == 0 || r->element[0]->type != REDIS_REPLY_ARRAY ||
	    r->element[0]->elements != 2)
		return NULL;
	return r->element[0]->element[1];
}
