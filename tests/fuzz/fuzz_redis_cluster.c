/* fuzz_redis_cluster - the parsers of common/redis_cluster on untrusted
 * bytes: a CLUSTER SLOTS reply (RESP read by hiredis' reader, copied by
 * rcache_reply_copy, read by redis_cluster_map_parse), a MOVED/ASK error
 * and a cluster target.  What parses must be consistent (slots in range,
 * addresses usable); nothing may read outside the input. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "rcache.h"
#include "redis_cluster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_map(const struct redis_cluster_map *m)
{
	size_t covered = 0;

	if (m->n > REDIS_CLUSTER_NODES_MAX)
		abort();
	for (unsigned s = 0; s < REDIS_SLOTS; s++) {
		if (m->slot[s] > m->n)
			abort();
		if (m->slot[s] != 0) {
			covered++;
			const struct redis_sentinel_addr *a = redis_cluster_map_node(m, s);
			if (a == NULL || a->port < 1 || a->port > 65535 || a->host[0] == '\0')
				abort();
		}
	}
	if (covered != m->covered)
		abort();
}

static void one_reply(redisReply *r)
{
	static struct redis_cluster_map map;
	struct rcache_reply copy;
	struct redis_cluster_redirect rd;
	const char *why;

	memset(&copy, 0, sizeof(copy));
	if (rcache_reply_copy(r, &copy) == 0 && redis_cluster_map_parse(&copy, "127.0.0.1", &map, &why) == 0)
		check_map(&map);
	rcache_reply_release(&copy);
	if (r->type == REDIS_REPLY_ERROR &&
	    redis_cluster_parse_redirect(r->str, r->len, &rd) == 1 &&
	    (rd.slot >= REDIS_SLOTS || rd.to.port < 1 || rd.to.port > 65535))
		abort();
}

/* hiredis 0.14's reader has no limit on an array's length: "*666666662\r\n"
 * makes it calloc 5 GB for the element pointers before one element has
 * arrived (later hiredis has maxelements).  That is hiredis', not ours, and
 * a reply the cluster sends us is not hostile input, so inputs that declare
 * more elements than they have bytes are not fed to the reader. */
static int resp_counts_plausible(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (data[i] != '*' || (i > 0 && data[i - 1] != '\n'))
			continue;
		unsigned long long n = 0;
		for (size_t j = i + 1; j < size && data[j] >= '0' && data[j] <= '9' && n <= size; j++)
			n = n * 10 + (unsigned)(data[j] - '0');
		if (n > size)
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	redisReader *rd = redisReaderCreate();
	struct redis_cluster_redirect r;
	struct redis_cluster_seeds seeds;
	const char *why;
	void *reply = NULL;
	char *s = malloc(size + 9);

	if (rd == NULL || s == NULL) {
		free(s);
		if (rd != NULL)
			redisReaderFree(rd);
		return 0;
	}
	if (resp_counts_plausible(data, size))
		redisReaderFeed(rd, (const char *)data, size);
	for (int i = 0; i < 8 && redisReaderGetReply(rd, &reply) == REDIS_OK && reply != NULL; i++) {
		one_reply(reply);
		freeReplyObject(reply);
		reply = NULL;
	}
	redisReaderFree(rd);
	/* the raw bytes as an error message and as a target */
	if (redis_cluster_parse_redirect((const char *)data, size, &r) == 1 && r.slot >= REDIS_SLOTS)
		abort();
	memcpy(s, "cluster:", 8);
	memcpy(s + 8, data, size);
	s[size + 8] = '\0';
	if (redis_cluster_parse(s, &seeds, &why) == 0 && (seeds.n < 1 || seeds.n > REDIS_CLUSTER_SEEDS_MAX))
		abort();
	free(s);
	return 0;
}
