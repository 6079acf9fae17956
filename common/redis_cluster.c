/* redis_cluster - routing to a Redis Cluster; see redis_cluster.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hiredis/hiredis.h>

#include "buf.h"
#include "mem.h"
#include "rcache.h"
#include "redis_cluster.h"

bool redis_target_is_cluster(const char *target)
{
	return target != NULL &&
	       strncmp(target, REDIS_CLUSTER_PREFIX, strlen(REDIS_CLUSTER_PREFIX)) == 0;
}

int redis_cluster_parse(const char *target, struct redis_cluster_seeds *seeds, const char **error_r)
{
	struct redis_sentinel_spec spec;

	if (!redis_target_is_cluster(target)) {
		*error_r = "not a cluster target";
		return -1;
	}
	/* The same "HOST:PORT, ..." syntax as redis_sentinels. */
	if (redis_sentinel_parse_list(target + strlen(REDIS_CLUSTER_PREFIX), &spec, error_r) != 0)
		return -1;
	seeds->n = spec.n;
	memcpy(seeds->node, spec.sentinels, spec.n * sizeof(spec.sentinels[0]));
	return 0;
}

int redis_cluster_check_list(const char *s, const char **error_r)
{
	struct redis_sentinel_spec spec;

	return s[0] == '\0' ? 0 : redis_sentinel_parse_list(s, &spec, error_r);
}

/* ---- the slot map ------------------------------------------------------- */

/* The index of a in map (adding it); -1 when the map is full. */
static int map_node(struct redis_cluster_map *map, const struct redis_sentinel_addr *a)
{
	for (size_t i = 0; i < map->n; i++)
		if (map->node[i].port == a->port && strcmp(map->node[i].host, a->host) == 0)
			return (int)i;
	if (map->n == REDIS_CLUSTER_NODES_MAX)
		return -1;
	map->node[map->n] = *a;
	return (int)map->n++;
}

/* One [start, end, [host, port, ...], replicas...] range.  0 done (or
 * skipped: unknown endpoint), -1 malformed. */
static int map_range(struct redis_cluster_map *map, const struct rcache_reply *r,
		     const char *asked_host, const char **error_r)
{
	struct redis_sentinel_addr a;
	char port[24];

	*error_r = "CLUSTER SLOTS: a range is not [start, end, [host, port, ...], ...]";
	if (r->type != RCACHE_REPLY_ARRAY || r->elements < 3 ||
	    r->element[0].type != RCACHE_REPLY_INTEGER || r->element[1].type != RCACHE_REPLY_INTEGER)
		return -1;
	long long start = r->element[0].integer, end = r->element[1].integer;
	if (start < 0 || end < start || end >= (long long)REDIS_SLOTS) {
		*error_r = "CLUSTER SLOTS: slot numbers out of range";
		return -1;
	}
	const struct rcache_reply *m = &r->element[2];
	if (m->type != RCACHE_REPLY_ARRAY || m->elements < 2 || m->element[0].type != RCACHE_REPLY_STRING ||
	    m->element[1].type != RCACHE_REPLY_INTEGER)
		return -1;
	const char *host = m->element[0].str;
	size_t hlen = m->element[0].len;
	if (hlen == 1 && host[0] == '?')
		return 0;	/* Redis 7: endpoint unknown for now */
	if (hlen == 0) {
		host = asked_host;	/* Redis 7: "the node you asked" */
		hlen = strlen(asked_host);
	}
	snprintf(port, sizeof(port), "%lld", m->element[1].integer);
	if (memchr(host, '\0', hlen) != NULL ||
	    redis_sentinel_addr_set(&a, host, hlen, port, strlen(port)) != 0) {
		*error_r = "CLUSTER SLOTS: a master's address is not a numeric address and a port";
		return -1;
	}
	int i = map_node(map, &a);
	if (i < 0) {
		*error_r = "CLUSTER SLOTS: more than 64 nodes";
		return -1;
	}
	for (long long s = start; s <= end; s++) {
		if (map->slot[s] == 0)
			map->covered++;
		map->slot[s] = (uint8_t)(i + 1);
	}
	/* The replicas: nodes too (a failover promotes one); a replica whose
	 * address cannot be read is skipped, it serves no slot. */
	for (size_t k = 3; k < r->elements; k++) {
		const struct rcache_reply *rep = &r->element[k];
		if (rep->type != RCACHE_REPLY_ARRAY || rep->elements < 2 ||
		    rep->element[0].type != RCACHE_REPLY_STRING || rep->element[1].type != RCACHE_REPLY_INTEGER)
			continue;
		const char *rh = rep->element[0].len > 0 ? rep->element[0].str : asked_host;
		size_t rl = rep->element[0].len > 0 ? rep->element[0].len : strlen(asked_host);
		snprintf(port, sizeof(port), "%lld", rep->element[1].integer);
		if (memchr(rh, '\0', rl) == NULL && redis_sentinel_addr_set(&a, rh, rl, port, strlen(port)) == 0 &&
		    map_node(map, &a) < 0) {
			*error_r = "CLUSTER SLOTS: more than 64 nodes";
			return -1;
		}
	}
	return 0;
}

/* How many nodes serve slots. */
static size_t map_masters(const struct redis_cluster_map *map)
{
	bool seen[REDIS_CLUSTER_NODES_MAX] = { false };
	size_t n = 0;

	for (size_t s = 0; s < REDIS_SLOTS; s++)
		if (map->slot[s] != 0 && !seen[map->slot[s] - 1]) {
			seen[map->slot[s] - 1] = true;
			n++;
		}
	return n;
}

int redis_cluster_map_parse(const struct rcache_reply *reply, const char *asked_host,
			    struct redis_cluster_map *map_r, const char **error_r)
{
	memset(map_r, 0, sizeof(*map_r));
	if (reply->type == RCACHE_REPLY_ERROR) {
		*error_r = "CLUSTER SLOTS refused (not a cluster node?)";
		return -1;
	}
	if (reply->type != RCACHE_REPLY_ARRAY) {
		*error_r = "CLUSTER SLOTS: the reply is not an array";
		return -1;
	}
	for (size_t i = 0; i < reply->elements; i++)
		if (map_range(map_r, &reply->element[i], asked_host, error_r) != 0) {
			memset(map_r, 0, sizeof(*map_r));
			return -1;
		}
	map_r->masters = map_masters(map_r);
	return 0;
}

const struct redis_sentinel_addr *redis_cluster_map_node(const struct redis_cluster_map *map,
							 unsigned slot)
{
	if (slot >= REDIS_SLOTS || map->slot[slot] == 0)
		return NULL;
	return &map->node[map->slot[slot] - 1];
}

/* ---- redirections and keys ---------------------------------------------- */

int redis_cluster_parse_redirect(const char *msg, size_t len, struct redis_cluster_redirect *r_r)
{
	size_t i, word;
	unsigned long slot = 0;

	if (len > 4 && memcmp(msg, "ASK ", 4) == 0) {
		r_r->kind = REDIS_CLUSTER_ASK;
		i = 4;
	} else if (len > 6 && memcmp(msg, "MOVED ", 6) == 0) {
		r_r->kind = REDIS_CLUSTER_MOVED;
		i = 6;
	} else {
		return 0;
	}
	for (word = i; i < len && msg[i] >= '0' && msg[i] <= '9' && i - word < 5; i++)
		slot = slot * 10 + (unsigned long)(msg[i] - '0');
	if (i == word || i >= len || msg[i] != ' ' || slot >= REDIS_SLOTS)
		return -1;
	r_r->slot = (unsigned)slot;
	i++;
	/* HOST:PORT to the end; the host may be empty (":PORT") or "[V6]". */
	const char *addr = msg + i, *colon = NULL;
	size_t alen = len - i;
	for (size_t k = alen; k > 0; k--)
		if (addr[k - 1] == ':') {
			colon = addr + k - 1;
			break;
		}
	if (colon == NULL || memchr(addr, '\0', alen) != NULL || memchr(addr, ' ', alen) != NULL)
		return -1;
	size_t hlen = (size_t)(colon - addr);
	const char *port = colon + 1;
	size_t plen = alen - hlen - 1;
	if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
		addr++;
		hlen -= 2;
	}
	if (hlen == 0) {
		/* Port only: the caller puts in the host of the node that answered. */
		if (redis_sentinel_addr_set(&r_r->to, "127.0.0.1", 9, port, plen) != 0)
			return -1;
		r_r->to.host[0] = '\0';
		return 1;
	}
	return redis_sentinel_addr_set(&r_r->to, addr, hlen, port, plen) == 0 ? 1 : -1;
}

static bool arg_is(const char *arg, size_t len, const char *word)
{
	return len == strlen(word) && strncasecmp(arg, word, len) == 0;
}

int redis_cluster_command_key(int argc, const char *const *argv, const size_t *lens)
{
	static const char *const keyless[] = {
		"PING", "WAIT", "SCRIPT", "INFO", "CLUSTER", "ASKING", "AUTH", "SELECT", "ROLE",
		"ECHO", "TIME", "DBSIZE", "COMMAND", "CONFIG", "MULTI", "EXEC", "DISCARD", "HELLO",
		"FUNCTION", "MEMORY", "CLIENT",
	};

	if (argc < 1)
		return -1;
	for (size_t i = 0; i < sizeof(keyless) / sizeof(keyless[0]); i++)
		if (arg_is(argv[0], lens[0], keyless[i]))
			return -1;
	if (arg_is(argv[0], lens[0], "EVAL") || arg_is(argv[0], lens[0], "EVALSHA") ||
	    arg_is(argv[0], lens[0], "EVAL_RO") || arg_is(argv[0], lens[0], "EVALSHA_RO") ||
	    arg_is(argv[0], lens[0], "FCALL")) {
		/* EVAL script numkeys key...: no key when numkeys is 0. */
		if (argc < 4 || lens[2] == 0 || (lens[2] == 1 && argv[2][0] == '0'))
			return -1;
		return 3;
	}
	return argc >= 2 ? 1 : -1;
}

/* ---- blocking resolution ------------------------------------------------ */

/* Ask one seed for the map; 0 with *map_r, -1 with a reason in why. */
static int ask_seed(const struct redis_sentinel_addr *s, const struct redis_auth *auth, struct timeval tv,
		    struct redis_cluster_map *map_r, struct buf *why)
{
	redisContext *c = redis_connect_sync(s, auth, tv, why);
	struct rcache_reply copy;
	const char *err;
	int rc = -1;

	if (c == NULL)
		return -1;
	memset(&copy, 0, sizeof(copy));
	redisReply *r = redisCommand(c, "CLUSTER SLOTS");
	if (r == NULL) {
		buf_printf(why, "%s", c->errstr);
	} else if (rcache_reply_copy(r, &copy) != 0) {
		buf_puts(why, "CLUSTER SLOTS: reply too large");
	} else if (redis_cluster_map_parse(&copy, s->host, map_r, &err) != 0) {
		buf_puts(why, err);
	} else {
		rc = 0;
	}
	rcache_reply_release(&copy);
	if (r != NULL)
		freeReplyObject(r);
	redisFree(c);
	return rc;
}

int redis_cluster_resolve_sync(const char *target, const char *key, size_t keylen,
			       const struct redis_auth *auth, unsigned timeout_ms, char **server_r, char **error_r)
{
	struct redis_cluster_seeds seeds;
	struct redis_cluster_map *map = xcalloc(1, sizeof(*map));
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	struct buf why = BUF_INIT;
	unsigned slot = redis_slot(key, keylen);
	const char *err;
	char text[64];

	if (redis_cluster_parse(target, &seeds, &err) != 0) {
		buf_printf(&why, "redis cluster target: %s", err);
		goto fail;
	}
	buf_printf(&why, "no seed node of the Redis Cluster named a master for slot %u:", slot);
	for (size_t i = 0; i < seeds.n; i++) {
		redis_sentinel_addr_format(&seeds.node[i], text, sizeof(text));
		buf_printf(&why, "%s %s: ", i > 0 ? ";" : "", text);
		if (ask_seed(&seeds.node[i], auth, tv, map, &why) != 0)
			continue;
		const struct redis_sentinel_addr *m = redis_cluster_map_node(map, slot);
		if (m == NULL) {
			buf_puts(&why, "no master serves that slot");
			continue;
		}
		redis_sentinel_addr_format(m, text, sizeof(text));
		free(map);
		buf_free(&why);
		*server_r = xstrdup(text);
		return 0;
	}
	buf_putc(&why, '.');
fail:
	free(map);
	*error_r = buf_detach(&why);
	return -1;
}

int redis_target_resolve_sync(const char *target, const char *key, const struct redis_auth *sentinel_auth,
			      const struct redis_auth *auth, unsigned timeout_ms, char **server_r, char **error_r)
{
	if (redis_target_is_cluster(target))
		return redis_cluster_resolve_sync(target, key, strlen(key), auth, timeout_ms, server_r, error_r);
	return redis_sentinel_resolve_sync(target, sentinel_auth, auth, timeout_ms, server_r, error_r);
}
