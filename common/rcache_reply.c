/* rcache_reply - hiredis replies copied into plain trees; see rcache.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "mem.h"
#include "rcache.h"

/* Copy a hiredis reply into out; -1 when over the depth or element budget. */
static int reply_copy_at(const redisReply *r, struct rcache_reply *out, unsigned depth,
		      size_t *budget)
{
	memset(out, 0, sizeof(*out));
	switch (r->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
	case REDIS_REPLY_ERROR:
		out->type = r->type == REDIS_REPLY_STRING   ? RCACHE_REPLY_STRING
			    : r->type == REDIS_REPLY_STATUS ? RCACHE_REPLY_STATUS
							    : RCACHE_REPLY_ERROR;
		/* Not xstrndup: a Redis string may hold NUL bytes, len counts them all. */
		char *copy = xmalloc((size_t)r->len + 1);
		if (r->len > 0)
			memcpy(copy, r->str, (size_t)r->len);
		copy[r->len] = '\0';
		out->str = copy;
		out->len = (size_t)r->len;
		return 0;
	case REDIS_REPLY_INTEGER:
		out->type = RCACHE_REPLY_INTEGER;
		out->integer = r->integer;
		return 0;
	case REDIS_REPLY_NIL:
		out->type = RCACHE_REPLY_NIL;
		return 0;
	case REDIS_REPLY_ARRAY:
		break;
	default:
		return -1;
	}
	out->type = RCACHE_REPLY_ARRAY;
	if (depth >= RCACHE_REPLY_DEPTH_MAX || r->elements > *budget)
		return -1;
	*budget -= r->elements;
	struct rcache_reply *el = xcalloc(r->elements ? r->elements : 1, sizeof(*el));
	out->element = el;
	for (size_t i = 0; i < r->elements; i++) {
		out->elements = i + 1;	/* what reply_release must free so far */
		if (reply_copy_at(r->element[i], &el[i], depth + 1, budget) != 0)
			return -1;
	}
	out->elements = r->elements;
	return 0;
}

void rcache_reply_release(struct rcache_reply *r)
{
	if (r->type == RCACHE_REPLY_ARRAY) {
		for (size_t i = 0; i < r->elements; i++)
			rcache_reply_release((struct rcache_reply *)&r->element[i]);
		free((void *)r->element);
	}
	free((void *)r->str);
}

int rcache_reply_copy(const struct redisReply *r, struct rcache_reply *out)
{
	size_t budget = RCACHE_REPLY_ELEMENTS_MAX;

	return reply_copy_at(r, out, 0, &budget);
}
