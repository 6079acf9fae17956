/*
 * rlists - range lists imported into Redis: import (blocking, for
 * relayguard-ctl) and lookup (asynchronous, for the engine).
 *
 * A list is a local list file (rbldnsd ip4set/ip6tset or a plain CIDR list,
 * see listfile.h) resolved at import into sorted, non-overlapping ranges,
 * each with its answer code and text, and stored as a Redis range index
 * that answers "which range holds this address" in ONE round trip and
 * O(log n) for every configured list at once.  The key schema is in
 * doc/redis-schema.md ("Range lists"); in short:
 *
 *   {prefix}v2:{rl}:l:{name}     ZSET, every member at score 0, ordered by bytes:
 *                           "<first>:<last>:<code>:<text id>" where first and
 *                           last are 32 lower-case hex digits (the 16-byte
 *                           address, IPv4 mapped into ::ffff:0:0/96), code 8
 *                           hex digits, text id decimal (0 = no text)
 *   {prefix}v2:{rl}:l:{name}:t   HASH text id -> text template ($ unexpanded)
 *   {prefix}v2:{rl}:l:{name}:m   HASH entries, ranges, texts, imported_at, source, format
 *   {prefix}v2:{rl}:lists        SET of imported list names
 *
 * A lookup runs one Lua script (EVALSHA, EVAL after NOSCRIPT) that does, per
 * list, ZREVRANGEBYLEX (<addr>; - LIMIT 0 1 and compares the range end.
 *
 * Atomicity: an import fills temporary keys (which expire after
 * RLISTS_TMP_TTL_S if the importer dies) and swaps them in with RENAME inside
 * one MULTI/EXEC together with the metadata, so a lookup (a script, itself
 * atomic) sees the old list or the new one, never a mix, a half or nothing.
 * An aborted import swaps nothing in and deletes its temporary keys.
 *
 * List names: the site syntax of zones (letters, digits, '-', '_', '.'; at
 * most RLISTS_NAME_MAX bytes); the import lower-cases them like the config.
 *
 * Files: rlists.c (lookup, helpers), rlists_import.c (import, list, drop).
 *
 * Threads: the import side (rlists_import/_list/_drop) is blocking and
 * reentrant (each call has its own connection).  An rlists_t belongs to the
 * thread of its event loop.
 */
#ifndef RELAYGUARD_RLISTS_H
#define RELAYGUARD_RLISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "listfile.h"
#include "rcache.h"

/* Named limits. */
#define RLISTS_NAME_MAX 253		/* bytes in a list name (SITE_ZONE_MAX) */
#define RLISTS_LOOKUP_MAX RCACHE_SOURCES_MAX	/* lists in one rlists_lookup() */
#define RLISTS_BATCH 1000		/* members per ZADD during an import */
#define RLISTS_PIPELINE_MAX 32		/* commands in flight during an import */
#define RLISTS_TMP_TTL_S 3600		/* life of an abandoned temporary key */
#define RLISTS_MISSING_LOG_MS (10u * 60u * 1000u)	/* "missing" logged once per list per */
#define RLISTS_CONNECT_TIMEOUT_MS 5000u	/* blocking connect of the import side */
#define RLISTS_COMMAND_TIMEOUT_MS 60000u	/* one blocking command (EXEC of a big swap) */
#define RLISTS_HEX_LEN 32		/* hex digits of an address in a member */

/* Where the import side connects: the redis_* settings. */
struct rlists_conn_opts {
	const char *server;	/* "HOST:PORT" (numeric or "localhost"), "[V6]:PORT", "unix:/path",
				   "sentinel:NAME@HOST:PORT,..." (redis_sentinel.h) or
				   "cluster:HOST:PORT,..." (redis_cluster.h: the master of
				   the lists' hash slot) */
	int db;			/* SELECT when not 0 */
	const char *username;	/* NULL or "" for the default user (redis_auth.h) */
	const char *password;	/* NULL or "" for none; sent with AUTH, never in a message */
	const char *prefix;	/* key prefix; NULL = "" */
	const char *sentinel_username; /* a sentinel:NAME@... server: AUTH of the Sentinels */
	const char *sentinel_password;
	const char *route_key;	/* a cluster: the key whose slot picks the node; NULL = the lists' */
};

struct rlists_import_opts {
	enum listfile_format format;
	bool skip_bad_lines;	/* false: any bad line aborts the import (the default) */
	/* Called after each batch and once at the end (done == total); may be NULL. */
	void (*progress)(size_t done, size_t total, void *ctx);
	/* Called while the file is read (listfile_opts.progress); may be NULL. */
	void (*read_progress)(const struct listfile_progress *p, void *ctx);
	void *progress_ctx;	/* of both */
};

struct rlists_import_stats {
	size_t entries;		/* entry lines of the file (listfile_entries) */
	size_t ranges;		/* ranges stored */
	size_t texts;		/* distinct texts stored */
	size_t bad_lines;	/* skipped bad lines (only with skip_bad_lines) */
	double seconds;		/* wall time from reading the file to the swap */
	long long memory_bytes;	/* MEMORY USAGE of the list's keys; -1 if unknown */
};

/*
 * Import the list file path as list name, replacing any list of that name
 * atomically.  Bad lines are logged as "PATH:LINE: reason" (log_warning)
 * while the file is read.  Returns 0 and fills *stats_r, or -1 with
 * *error_r (caller frees): a bad name, a file that cannot be read or has
 * bad lines (unless skip_bad_lines), Redis unreachable or refusing a
 * command.  On -1 the live list is untouched.
 */
int rlists_import(const struct rlists_conn_opts *conn, const char *name, const char *path,
		  const struct rlists_import_opts *opts, struct rlists_import_stats *stats_r,
		  char **error_r) __attribute__((warn_unused_result));

struct rlists_info {
	char *name;
	size_t entries, ranges, texts;
	long long imported_at;	/* Unix time */
	char *source;		/* the file imported, as given */
	char *format;		/* a listfile format name: "auto", "ip4set", "ip4trie"... */
	long long memory_bytes;	/* all keys of the list; -1 if unknown */
};

/*
 * Every imported list, sorted by name.  Returns 0 with *infos_r (caller
 * frees with rlists_infos_free) and *n_r, or -1 with *error_r.
 */
int rlists_list(const struct rlists_conn_opts *conn, struct rlists_info **infos_r, size_t *n_r,
		char **error_r) __attribute__((warn_unused_result));
void rlists_infos_free(struct rlists_info **infos, size_t n);

/*
 * Delete list name (every key of it, in one MULTI/EXEC).  Returns 0, or -1
 * with *error_r ("no list NAME in Redis" when there is none).
 */
int rlists_drop(const struct rlists_conn_opts *conn, const char *name, char **error_r)
	__attribute__((warn_unused_result));

/*
 * A synchronous hiredis connection with these settings (connect, AUTH,
 * SELECT, timeouts as above), for other short-lived users of the same
 * Redis (relayguard-probe's results).  NULL and *error_r (caller frees) on
 * failure; the caller redisFree()s the context.
 */
struct redisContext;
struct redisContext *rlists_conn_open(const struct rlists_conn_opts *o, char **error_r)
	__attribute__((warn_unused_result));

/* ---- lookup side (asynchronous) ---------------------------------------- */

typedef struct rlists rlists_t;
typedef struct rlists_req rlists_req_t;

enum rlists_answer { RLISTS_NOT_LISTED, RLISTS_LISTED, RLISTS_ERROR };

struct rlists_result {
	enum rlists_answer answer;
	uint32_t code;		/* 127.x.y.z, host order, when listed */
	const char *text;	/* when listed: text with $ expanded, or NULL */
	const char *error;	/* when ERROR: "list NAME missing in Redis", "Redis unavailable",
				   ...; static or owned by the rlists_t: lives until rlists_free() */
};

/* results[i] answers names[i]; results and texts live only during the callback. */
typedef void rlists_lookup_cb(const struct rlists_result *results, size_t n, void *ctx);

/*
 * Look lists up through rc's connection (borrowed; must outlive rl) with key
 * prefix (copied; the same as rc's).  Never fails.
 */
rlists_t *rlists_new(rcache_t *rc, const char *prefix);
/* Cancel every pending lookup (callbacks not called); *rl = NULL. */
void rlists_free(rlists_t **rl);

/*
 * Look a up in names[0..n) (copied; n <= RLISTS_LOOKUP_MAX) in one round
 * trip.  The callback comes exactly once through the loop, never inside this
 * call, unless rlists_cancel()/rlists_free() comes first.  Any failure is an
 * RLISTS_ERROR result for the lists concerned, never "not listed"; a list
 * missing in Redis is logged (warning) at most once per RLISTS_MISSING_LOG_MS.
 */
rlists_req_t *rlists_lookup(rlists_t *rl, const addr_t *a, const char *const *names, size_t n,
			    rlists_lookup_cb *cb, void *ctx);
void rlists_cancel(rlists_req_t *req);

/* ---- pure helpers, exposed for tests ----------------------------------- */

/* Is name a storable list name (non-empty, RLISTS_NAME_MAX, [a-z0-9._-])? */
bool rlists_name_ok(const char *name);
/* The 32 hex digits of a (IPv4 mapped into ::ffff:0:0/96) into out, NUL-terminated. */
void rlists_addr_hex(const addr_t *a, char out[RLISTS_HEX_LEN + 1]);
/*
 * Append the key of list name with suffix ("" index, ":t" texts, ":m"
 * metadata) to out: "{prefix}v2:{rl}:l:{name}{suffix}"; name NULL gives the set
 * of names "{prefix}v2:{rl}:lists".  "{rl}" is the Redis Cluster hash tag
 * shared by every list (one lookup script reads them all).
 */
void rlists_key(struct buf *out, const char *prefix, const char *name, const char *suffix);
/* Append the member of one range to out. */
void rlists_member_format(const addr_t *first, const addr_t *last, uint32_t code,
			  size_t text_id, struct buf *out);
/*
 * Read one element of the lookup script's reply (untrusted): integer 0 =
 * not listed, -1 = missing, or an array [code, text].  Returns 0 with
 * *answer_r (RLISTS_LISTED or RLISTS_NOT_LISTED), *code_r and *text_r
 * (points into el; NULL when none), -2 when the list is missing in Redis,
 * -1 when the element is unreadable.
 */
int rlists_element_parse(const struct rcache_reply *el, enum rlists_answer *answer_r,
			 uint32_t *code_r, const char **text_r) __attribute__((warn_unused_result));

#endif
