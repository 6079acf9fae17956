/*
 * rcache - DNSBL answers cached in Redis, shared by a fleet of servers.
 *
 * One entry per (subject, source): the subject is a client address in its
 * canonical text (addr_format) or a lower-cased domain for RHSBL sources;
 * the source is a DNSBL zone or list name.  All sources of one subject are
 * read in ONE round trip (one MGET).  The key schema and value encoding are
 * in doc/redis-schema.md; rcache_value_parse()/rcache_value_format() are the
 * codec, exposed for tests and tools.
 *
 * Asynchronous on the caller's libevent loop through hiredis' libevent
 * adapter; nothing here blocks (no DNS: the server is a numeric address or
 * "localhost"; the connect itself is non-blocking).
 *
 * Failure model: the cache is an optimisation, never a dependency.  While
 * Redis is unreachable, slow or restarting, rcache_get() answers status -1
 * through the loop at once (not connected) or after timeout_ms (no reply),
 * and rcache_put() drops its write.  A request that times out also drops
 * the connection: Redis answers in order, so one late reply means every
 * later one is late too.  The module reconnects by itself with backoff
 * (RCACHE_BACKOFF_MIN_MS doubling to RCACHE_BACKOFF_MAX_MS) and logs one
 * warning when the connection goes away and one notice when it is back.  A
 * request made before the first connection is ready also fails fast.
 * The password is sent with AUTH and never logged.
 *
 * A "cluster:HOST:PORT,..." server (redis_cluster.h) is a Redis Cluster
 * known by those seed nodes: rcache_cluster.c keeps the slot map (CLUSTER
 * SLOTS, refreshed on MOVED, on a node's failure and every
 * RCACHE_CLUSTER_REFRESH_MS), one connection per master (each one a
 * standalone rcache with the failure model above), and follows MOVED and
 * ASK (ASKING first) up to RCACHE_CLUSTER_REDIRECTS_MAX times per request.
 * A request for a slot whose master is down fails fast like any other; the
 * cluster is "up" while its map is known and one master is connected.
 *
 * A "sentinel:NAME@HOST:PORT,..." server (redis_sentinel.h) is the master
 * NAME of those Sentinels: asked asynchronously before every (re)connection,
 * checked with ROLE in the handshake, and left (dropped and asked again) on
 * a connection error, a READONLY reply or a +switch-master message.
 *
 * Not thread-safe: one rcache_t per event loop thread, used from that thread.
 */
#ifndef RELAYGUARD_RCACHE_H
#define RELAYGUARD_RCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct event_base;

/* Named limits. */
#define RCACHE_SOURCES_MAX 64		/* sources in one rcache_get() */
#define RCACHE_SUBJECT_MAX 255		/* bytes in a subject (a domain is <= 253) */
#define RCACHE_SOURCE_MAX 253		/* bytes in a source name (SITE_ZONE_MAX) */
#define RCACHE_PREFIX_MAX 64		/* bytes in the key prefix */
#define RCACHE_TXT_MAX 512		/* bytes of TXT kept with a listed entry */
#define RCACHE_VALUE_MAX (1 + 15 + 1 + RCACHE_TXT_MAX) /* "L" quad " " txt */
#define RCACHE_TTL_MAX_S (7u * 86400u)	/* longer TTLs are cut to this */
#define RCACHE_TIMEOUT_DEFAULT_MS 200u	/* timeout_ms 0 means this */
#define RCACHE_TIMEOUT_MAX_MS 60000u
#define RCACHE_CONNECT_TIMEOUT_MIN_MS 1000u /* connect+AUTH+SELECT+PING budget floor */
#define RCACHE_BACKOFF_MIN_MS 100u
#define RCACHE_BACKOFF_MAX_MS 5000u
#define RCACHE_CLUSTER_REDIRECTS_MAX 5	/* MOVED/ASK followed per request */
#define RCACHE_CLUSTER_REFRESH_MS 5000u	/* slot map refreshed at least this often */
#define RCACHE_CLUSTER_REFRESH_MIN_MS 100u /* and at most this often */

typedef struct rcache rcache_t;
typedef struct rcache_req rcache_req_t;

struct rcache_opts {
	const char *server;	/* "HOST:PORT" (numeric IPv4, "localhost"), "[IPV6]:PORT",
				   or "unix:/path"; copied */
	int db;			/* 0..; SELECT is sent when not 0 */
	const char *password;	/* NULL or "" for none; copied, sent with AUTH, NEVER logged */
	const char *prefix;	/* key prefix, e.g. "rg:"; NULL = ""; copied */
	unsigned timeout_ms;	/* per request; 0 = RCACHE_TIMEOUT_DEFAULT_MS */
	const char *sentinel_password; /* sentinel targets: AUTH of the Sentinels; NULL/"" none */
	const char *username;	/* ACL user (redis_auth.h); NULL or "" for the default user */
	const char *sentinel_username; /* the Sentinels' ACL user; NULL or "" for the default */
};

enum rcache_state {
	RCACHE_MISS,		/* nothing cached (or an unreadable value) */
	RCACHE_NOT_LISTED,
	RCACHE_LISTED,
	RCACHE_ERROR_ENTRY,	/* a remembered lookup error, stored with a short TTL */
};

struct rcache_entry {
	enum rcache_state state;
	uint32_t code;		/* the answer 127.x.y.z, host order, when LISTED; else 0 */
	const char *txt;	/* NULL if none; valid during the callback only */
};

/* Counters since rcache_new().  hits and misses count entries (one per
 * source asked), errors count failed rcache_get() requests. */
struct rcache_stats {
	uint64_t hits;		/* entries found (any state but MISS) */
	uint64_t misses;	/* entries absent or unreadable */
	uint64_t errors;	/* gets answered with status -1 */
	uint64_t garbage;	/* unreadable values (also counted as misses) */
	uint64_t timeouts;	/* gets that hit timeout_ms (also counted as errors) */
	uint64_t puts;		/* writes sent */
	uint64_t puts_dropped;	/* writes dropped: not connected or not storable */
	uint64_t reconnects;	/* connections made ready after a loss */
};

/*
 * Create the cache and start connecting (asynchronously) on base.  Sends
 * AUTH when a password is set and SELECT when db is not 0.  Never blocks.
 * Returns 0 and *rc_r (caller frees with rcache_free), or -1 with *error_r a
 * message for a bad option (caller frees with free()); the message never
 * contains the password.  A server that is down is not an error here.
 * base must outlive the cache.
 */
int rcache_new(struct event_base *base, const struct rcache_opts *opts, rcache_t **rc_r,
	       char **error_r) __attribute__((warn_unused_result));

/*
 * Close the connection and free everything; *rc becomes NULL (NULL is a
 * no-op).  Pending requests are cancelled: their callbacks never run and
 * their handles become invalid.  Safe to call from inside an rcache_get
 * callback.
 */
void rcache_free(rcache_t **rc);

/* Is the connection ready (connected, authenticated, db selected)? */
bool rcache_up(const rcache_t *rc);
/* "up", "refused" (Redis answers but refuses AUTH/SELECT: a setting to fix) or "down". */
const char *rcache_state(const rcache_t *rc);

/* A copy of the counters. */
void rcache_stats(const rcache_t *rc, struct rcache_stats *stats_r);

/*
 * The answer to rcache_get().  status 0: entries[i] answers sources[i] for
 * i < n (an unreadable value reads as RCACHE_MISS).  status -1: Redis is
 * down, slow (timeout_ms passed) or answered an error; entries is NULL.
 * entries and their txt live only during the callback.  The callback may
 * call any rcache function, rcache_free() included.
 */
typedef void rcache_get_cb(int status, const struct rcache_entry *entries, size_t n, void *ctx);

/*
 * Read the cached answers of every source for subject in one MGET.
 * subject and sources are copied; n <= RCACHE_SOURCES_MAX.  The callback is
 * never called inside rcache_get(); it comes exactly once through the loop
 * unless rcache_cancel() or rcache_free() comes first.  A subject or source
 * the schema cannot store (empty, too long, control bytes or space, ':' in
 * a source) and too many sources give status -1.  Returns the request
 * handle, valid until the callback has started or the request is cancelled.
 * Never returns NULL.
 */
rcache_req_t *rcache_get(rcache_t *rc, const char *subject, const char *const *sources, size_t n,
			 rcache_get_cb *cb, void *ctx);

/* Cancel a pending request: its callback will not run; req is invalid after. */
void rcache_cancel(rcache_req_t *req);

/*
 * Fire-and-forget SET key value EX ttl_s for one (subject, source).  e is
 * copied (a txt longer than RCACHE_TXT_MAX is cut, control bytes become
 * '?').  Dropped silently (counted in puts_dropped) when not connected, when
 * ttl_s is 0, for RCACHE_MISS, or when the names are not storable.  ttl_s
 * above RCACHE_TTL_MAX_S is cut to it.
 */
void rcache_put(rcache_t *rc, const char *subject, const char *source,
		const struct rcache_entry *e, unsigned ttl_s);

/*
 * Raw commands on the cache's connection, for modules that keep their own
 * keys on the same server (common/rlists).  A reply is copied out of hiredis
 * into this plain tree; strings are also NUL-terminated.  Untrusted: the copy
 * stops at RCACHE_REPLY_DEPTH_MAX levels and RCACHE_REPLY_ELEMENTS_MAX
 * elements in all (a deeper or larger reply gives status -1).
 */
#define RCACHE_REPLY_DEPTH_MAX 4
#define RCACHE_REPLY_ELEMENTS_MAX 4096

enum rcache_reply_type {
	RCACHE_REPLY_STRING,
	RCACHE_REPLY_STATUS,
	RCACHE_REPLY_ERROR,	/* str holds Redis' message, e.g. "NOSCRIPT ..." */
	RCACHE_REPLY_INTEGER,
	RCACHE_REPLY_NIL,
	RCACHE_REPLY_ARRAY,
};

struct rcache_reply {
	enum rcache_reply_type type;
	long long integer;			/* INTEGER */
	const char *str;			/* STRING, STATUS, ERROR; else NULL */
	size_t len;
	const struct rcache_reply *element;	/* ARRAY: elements entries */
	size_t elements;
};

/*
 * A hiredis reply copied into a plain tree (the limits above: -1 when over
 * them); out must be given to rcache_reply_release() in both cases, which
 * frees what a tree owns (not out itself).  For the cluster map reader and
 * tests.
 */
struct redisReply;
int rcache_reply_copy(const struct redisReply *r, struct rcache_reply *out)
	__attribute__((warn_unused_result));
void rcache_reply_release(struct rcache_reply *r);

/*
 * The answer to rcache_command_argv().  status 0: reply is Redis' answer,
 * an error reply included (type RCACHE_REPLY_ERROR).  status -1: not
 * connected, no reply within timeout_ms (the connection is then dropped and
 * re-made, as for rcache_get), or a reply over the limits above; reply is
 * NULL.  reply lives only during the callback.
 */
typedef void rcache_command_cb(int status, const struct rcache_reply *reply, void *ctx);

/*
 * Send one command (argc arguments of argvlen[i] bytes each, copied) with
 * the same delivery, timeout and cancel rules as rcache_get(): the callback
 * comes exactly once through the loop unless rcache_cancel()/rcache_free()
 * comes first.  argc must be at least 1.  Never returns NULL.
 */
rcache_req_t *rcache_command_argv(rcache_t *rc, int argc, const char *const *argv,
				  const size_t *argvlen, rcache_command_cb *cb, void *ctx);

/*
 * The same, routed by route_key (route_len bytes) on a Redis Cluster: the
 * command goes to the master of that key's hash slot.  For commands whose
 * node is not in their arguments: WAIT (the node of the write it waits
 * for), SCRIPT LOAD (the node of the keys the script will touch).  NULL:
 * route by the command's own first key (redis_cluster_command_key()), or to
 * any node for a command without keys.  Standalone and Sentinel ignore it.
 */
rcache_req_t *rcache_command_route(rcache_t *rc, const char *route_key, size_t route_len, int argc,
				   const char *const *argv, const size_t *argvlen,
				   rcache_command_cb *cb, void *ctx);

/*
 * Append the cache key of (subject, source) to key:
 * "{prefix}v2:c:{SUBJECT}:SOURCE".  The subject is the Redis Cluster hash
 * tag, so every key of one rcache_get() MGET is in one slot.  For tests.
 */
void rcache_key(const char *prefix, const char *source, const char *subject, struct buf *key);

/*
 * The value codec (doc/redis-schema.md): "N", "E", "L<a.b.c.d>[ <txt>]".
 * rcache_value_parse() reads len untrusted bytes; returns 0 and fills *e_r
 * (e_r->txt points into v, NOT NUL-terminated: its length is in *txt_len_r;
 * NULL and 0 when none), or -1 for anything else (no partial result).
 * rcache_value_format() appends the encoding of e to out; returns -1 (and
 * appends nothing) for RCACHE_MISS or an unknown state.
 */
int rcache_value_parse(const char *v, size_t len, struct rcache_entry *e_r, size_t *txt_len_r)
	__attribute__((warn_unused_result));
int rcache_value_format(const struct rcache_entry *e, struct buf *out);

#endif
