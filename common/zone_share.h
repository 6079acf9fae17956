/*
 * zone_share - zone health shared by a fleet through Redis: each server
 * publishes what its own probe rounds found, and reads what the others
 * found, once per probe interval.  Key and values: doc/redis-schema.md.
 *
 *   publish  after each of our probe rounds that passed ("alive") or found
 *            the zone dead ("dead" with the reason): one HSET of the field
 *            "{zone}|{host}" in the one hash {prefix}v1:health, and EXPIRE
 *            of the hash (ZONE_SHARE_KEEP_S).  A failed round (timeout, the
 *            test entry missing) publishes nothing: not reaching a zone is
 *            this server's problem, not the list's.
 *   read     HGETALL of that hash at start and every interval (retried every
 *            ZONE_SHARE_RETRY_MS while Redis does not answer, and every
 *            ZONE_SHARE_FIRST_RETRY_MS until the first read has answered:
 *            until then a server goes by its own probes alone).  A dead
 *            verdict counts while it is fresh: younger than
 *            ZONE_SHARE_FRESH_ROUNDS of its writer's own interval (a server
 *            that died holding a zone dead does not hold it forever).
 *            Fields of our own host are skipped (our probes speak for us);
 *            fields older than ZONE_SHARE_KEEP_S are deleted (HDEL).
 *   apply    after every read attempt, failed ones included, the callback
 *            runs; zone_share_dead() then answers from the last view read,
 *            with freshness judged at that moment, so a shared suspension
 *            lapses by itself while Redis is down.
 *
 * The host name of a server is "myhostname/program" (for example
 * "mx1.example/relayguard/policyd"); the workers of one program on one host
 * share it.
 *
 * Failure model: as rcache's, an optimisation and never a dependency.  A
 * Redis that is down, slow or answers garbage leaves each server deciding
 * alone; nothing here blocks or delays a check.  Values are untrusted and
 * parsed strictly; an unreadable field is ignored.
 *
 * Not thread-safe: one zone_share_t per engine, on the engine's loop.
 */
#ifndef RELAYGUARD_ZONE_SHARE_H
#define RELAYGUARD_ZONE_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "rcache.h"
#include "zone_health.h"

struct event_base;

/* A dead verdict holds while younger than this many of its writer's intervals. */
#define ZONE_SHARE_FRESH_ROUNDS 3u
/* Retry a failed read this soon (or at the interval, if shorter); before the
 * first read has answered, sooner. */
#define ZONE_SHARE_RETRY_MS 500u
#define ZONE_SHARE_FIRST_RETRY_MS 50u
/* Fields and the hash itself are dropped after this long without a write. */
#define ZONE_SHARE_KEEP_S (7u * 86400u)
/* Most dead verdicts kept from one read. */
#define ZONE_SHARE_DEAD_MAX 256u
/* Longest interval a value may carry (the probe interval's maximum). */
#define ZONE_SHARE_INTERVAL_MAX_MS (7ull * 86400000ull)

typedef struct zone_share zone_share_t;

struct zone_share_opts {
	const char *prefix;	/* Redis key prefix (redis_prefix); copied */
	const char *host;	/* this server: "myhostname/program"; copied (cut) */
	unsigned interval_ms;	/* the probe interval, > 0 */
	bool publish;		/* false: read only (relayguard-ctl) */
};

/* After each read attempt; ctx as given. */
typedef void zone_share_apply_cb(zone_share_t *zs, void *ctx);

/* Create it on rc (borrowed: must outlive it) and schedule the first read
 * through the loop.  Never fails. */
zone_share_t *zone_share_new(struct event_base *base, rcache_t *rc, const struct zone_share_opts *o,
			     zone_share_apply_cb *apply, void *ctx);
/* Cancel what is in flight (no callback) and free; NULL is a no-op. */
void zone_share_free(zone_share_t **zs);

/* Publish our round's verdict on zone: dead with why, or alive.  Dropped
 * without a word when Redis is down or publishing is off. */
void zone_share_publish(zone_share_t *zs, const char *zone, bool dead, const char *why);

/*
 * From the last view read: the freshest fresh dead verdict another host
 * holds on zone.  Returns true and sets *host_r, *why_r (valid until the
 * next read) and *at_ms_r; false when there is none.
 */
bool zone_share_dead(const zone_share_t *zs, const char *zone, const char **host_r,
		     const char **why_r, int64_t *at_ms_r);

/* Read now; done(ctx) comes through the loop once the read has answered or
 * failed, after the apply callback.  For one-shot programs. */
void zone_share_refresh(zone_share_t *zs, void (*done)(void *ctx), void *ctx);

/* ---- the value codec (doc/redis-schema.md), exposed for tests and fuzzing ---- */

struct zone_share_value {
	bool dead;
	int64_t at_ms;		/* writer's wall clock, ms since the epoch, >= 0 */
	uint64_t interval_ms;	/* writer's probe interval, 1..ZONE_SHARE_INTERVAL_MAX_MS */
	const char *why;	/* dead: the reason, NOT NUL-terminated; else NULL */
	size_t why_len;		/* 1..ZONE_WHY_MAX-1 for dead; else 0 */
};

/*
 * "A <at_ms> <interval_ms>" or "D <at_ms> <interval_ms> <why>": decimal
 * numbers without leading zeros, why printable ASCII.  Parse len untrusted
 * bytes: 0 and *v_r (why points into v), or -1 for anything else.  Format
 * appends the encoding; -1 (nothing appended) for a value parse would refuse.
 */
int zone_share_value_parse(const char *v, size_t len, struct zone_share_value *v_r)
	__attribute__((warn_unused_result));
int zone_share_value_format(const struct zone_share_value *v, struct buf *out);

#endif
