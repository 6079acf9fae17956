/*
 * engine_int - the engine's private structures, shared by the engine's own
 * files.  Nothing outside common/engine*.c includes this file.
 *
 * The rule of the engine's boundary (one rule, no exceptions):
 *
 *  1. struct engine is open to the engine's own files: they read (and the
 *     files that own a field write) its fields directly.  There are no
 *     accessors inside the engine; the accessors in engine.h (engine_cfg,
 *     engine_source_health) are for code outside it.  What is derived from
 *     several fields and needed by more than one file (group_of,
 *     engine_source_dns_stats, engine_cache_get) is a static inline here.
 *  2. Calls between the engine's files go one way, down this list:
 *
 *        engine_setup.c    build, free, flush: the engine as a whole
 *        engine.c          lookups: skip, caches, sources, one deadline,
 *                          in-flight sharing, delivery
 *        engine_cache.c    a lookup's answers into and out of the LRU and
 *                          the Redis cache
 *        engine_health.c   which answers count (zone health, the fleet's)
 *        engine_verdict.c  score, verdict, copies, log line
 *        engine_stats.c    counters as a snapshot file
 *        engine_metrics.c  counters published for metrics_listen
 *        engine_keys.c     keys, hashes, domain helpers
 *
 *     A file calls only files below it; engine_cache.c, engine_health.c,
 *     engine_verdict.c, engine_stats.c and engine_metrics.c do not call
 *     each other (the
 *     public name functions of engine.h, engine_kind_name and the like,
 *     are for everyone).  Where an event of a lower layer must reach a
 *     higher one (a dnsbl probe round, a read of the fleet's zone health,
 *     the ready event), engine_setup.c hands the higher file's function
 *     down as a callback; the lower file never names it.
 */
#ifndef RELAYGUARD_ENGINE_INT_H
#define RELAYGUARD_ENGINE_INT_H

#include <event2/util.h>

#include "buf.h"

#include "dnsbl.h"
#include "engine.h"
#include "filelists.h"
#include "lru.h"
#include "rcache.h"
#include "report.h"
#include "resolver.h"
#include "rlists.h"
#include "site.h"
#include "zone_share.h"

/* One configured source, resolved at engine_new() time. */
struct engine_source {
	enum engine_source_kind kind;
	char *name;		/* zone or list name */
	char *display;		/* shown to clients */
	int weight;
	size_t index;		/* site index in its dnsbl_t, or file list index */
	const struct zone_health *health;	/* DNS lists: the zone's health (in its dnsbl_t); else NULL */
};

/*
 * The score of one lookup's answers, computed once per lookup (not per
 * waiter): every waiter's verdict and the lookup's report read it.  first
 * borrows the results it was computed from.
 */
struct engine_score {
	int score;		/* sum of the weights of the listed sources */
	size_t n_answered;	/* listed or not listed */
	size_t n_failed;	/* errors */
	bool allowlisted;	/* the score is at or below allowlist_threshold */
	enum verdict_action action;	/* VERDICT_PASS for a skipped check */
	const struct engine_source_result *first;	/* first listed source of weight > 0, or NULL */
};

/* Score results[0..n) (engine_verdict.c); skip != NONE scores nothing and passes. */
void engine_score_compute(const engine_t *engine, const struct engine_source_result *results, size_t n,
			  enum engine_skip skip, struct engine_score *score_r);

/* What a finished lookup knows; the verdict is built from it. */
struct engine_outcome {
	const struct engine_request *req;
	struct engine_source_result *results;	/* one per source */
	size_t n_sources;
	enum engine_skip skip;
	enum engine_layer layer;
	unsigned elapsed_us;
	const struct engine_score *score;	/* engine_score_compute() of results */
};

/*
 * Fill *v with the verdict of an outcome and its score.  v borrows the
 * outcome's sources and the engine's names and settings (valid while the
 * lookup and the engine live: during the callback); only the reply and
 * header texts are allocated, and engine_verdict_release() frees them.  A
 * caller that keeps a verdict past the callback uses engine_verdict_copy().
 */
void engine_verdict_fill(const engine_t *engine, const struct engine_outcome *out, struct engine_verdict *v);
void engine_verdict_release(struct engine_verdict *v);

/* Counters of one engine, for relayguard-ctl stats (engine_stats.c). */
struct engine_counters {
	uint64_t checks;	/* engine_check() calls */
	uint64_t skipped;	/* verdicts with a skip reason */
	uint64_t listed;	/* verdicts at or above the threshold */
	uint64_t failed;	/* verdicts where every source failed */
	uint64_t lookups;	/* shared lookups started (checks minus joins and skips) */
};

/* The periodic stats snapshot (engine_stats.c); NULL when stats_dir is empty. */
struct engine_stats_writer;
struct engine_stats_writer *engine_stats_writer_new(engine_t *engine, struct event_base *base);
void engine_stats_writer_free(struct engine_stats_writer **w);

/* The engine's share of metrics_listen (engine_metrics.c); NULL unless enabled. */
struct engine_metrics;
struct engine_metrics *engine_metrics_new(engine_t *engine, struct event_base *base);
void engine_metrics_free(struct engine_metrics **m);
/* Count one delivered verdict (NULL m: no-op). */
void engine_metrics_verdict(struct engine_metrics *m, const struct engine_verdict *v);


/* ---- the engine itself (engine.c runs lookups, engine_setup.c builds it) ---- */

/* In-flight lookups are found through a small chained hash table. */
#define ENGINE_INFLIGHT_BUCKETS 1024u

/* Source groups that share a subject (and so one Redis round trip). */
enum engine_group { GROUP_ADDR, GROUP_HELO, GROUP_SENDER, GROUP_COUNT };

struct engine {
	struct event_base *base;
	cfg_t *cfg;
	resolver_t *resolver;
	dnsbl_t *dnsbl[GROUP_COUNT];	/* IP lists, HELO lists, sender lists; NULL if none */
	rcache_t *rcache;		/* NULL without redis_server */
	rlists_t *rlists;		/* NULL without redis_lists */
	report_t *reporter;		/* NULL unless report_enable */
	filelists_t *files;		/* NULL without file_lists */
	lru_t *lru;
	struct engine_source *sources;
	size_t n_sources;
	bool has_group[GROUP_COUNT];
	struct verdict_policy policy;
	verdict_template_t *reject_tpl;
	verdict_template_t *tempfail_tpl;
	verdict_template_t *quarantine_tpl;
	unsigned long long timeout_ms;
	unsigned min_ttl_s, max_ttl_s, negative_ttl_s;
	struct lookup *inflight[ENGINE_INFLIGHT_BUCKETS];	/* unfinished, by key */
	struct lookup *live;		/* every lookup not yet freed */
	/* Finished lookups wait here for one event to deliver them all: the
	 * callbacks leave engine_check() through the loop, and a busy loop
	 * delivers many verdicts per wake-up. */
	struct lookup *ready_head, *ready_tail;
	struct event *ready_ev;
	bool delivering;		/* inside engine_deliver_ready() */
	bool free_pending;		/* engine_free() came from a callback */
	struct engine_counters counters;
	struct engine_stats_writer *stats;
	zone_share_t *share;		/* zone health shared through Redis; NULL if not */
	size_t health_waiting;		/* lookups waiting for a first probe round */
	/* DNS zones not in service now; 0 (the steady state) keeps the health
	 * checks off the hot path.  Recounted after every event that may change
	 * a zone's state (a probe round, a read of the fleet's verdicts). */
	size_t zones_out;
	struct engine_metrics *metrics;	/* NULL unless the program serves metrics */
};


static inline enum engine_group group_of(enum engine_source_kind k)
{
	switch (k) {
	case ENGINE_SOURCE_RHSBL_HELO:
		return GROUP_HELO;
	case ENGINE_SOURCE_RHSBL_SENDER:
		return GROUP_SENDER;
	default:
		return GROUP_ADDR;
	}
}

/* DNS statistics of source i (in its group's dnsbl_t), or NULL for sources
 * that are not DNS lists: for the stats snapshot and the metrics. */
static inline const struct dnsbl_stats *engine_source_dns_stats(const engine_t *e, size_t i)
{
	const struct engine_source *s = &e->sources[i];

	if (s->kind != ENGINE_SOURCE_DNSBL && s->kind != ENGINE_SOURCE_RHSBL_HELO &&
	    s->kind != ENGINE_SOURCE_RHSBL_SENDER)
		return NULL;
	return dnsbl_stats(e->dnsbl[group_of(s->kind)], s->index);
}

/*
 * Keys built on the stack: an LRU key is kind, name, NUL, subject; the
 * in-flight key is the address text and, with domain lists, the HELO name
 * and the sender domain.  Longer keys (long HELO names) take the heap.
 */
#define ENGINE_KEY_STACK 512u
/* Sender domains on the stack up to this size (a DNS name is <= 253). */
#define ENGINE_DOMAIN_STACK 256u

/* A key being built: on the stack while it fits, then in spill. */
struct engine_key {
	char stack[ENGINE_KEY_STACK];
	struct buf spill;
	size_t len;
};

void engine_key_init(struct engine_key *k);
void engine_key_done(struct engine_key *k);
void engine_key_add(struct engine_key *k, const char *p, size_t n);
/* The key's bytes, NUL-terminated (the terminator is not counted in len). */
const char *engine_key_data(struct engine_key *k);
/* The LRU key of source s for subject: kind, name, NUL, subject. */
const char *engine_cache_key(const struct engine_source *s, const char *subject, struct engine_key *key);
/* The lower-cased domain of an envelope sender ("<u@Example.ORG>" -> "example.org"),
 * or NULL: in stack[size] when it fits, else in *heap_r (caller frees). */
char *engine_sender_domain(const char *sender, char *stack, size_t size, char **heap_r);
/* The same, always on the heap (caller frees); NULL when there is none. */
char *engine_sender_domain_dup(const char *sender);
/* A lower-cased copy (caller frees), or NULL for NULL or "". */
char *engine_lower_dup(const char *s);
unsigned engine_hash_str(const char *s);

/* ---- engine_cache.c: a lookup's answers and the two caches ---- */

/* The LRU's value destructor (engine_setup.c gives it to lru_new()). */
void engine_cached_answer_free(void *p);

/* An answer in the LRU (engine_cache.c makes and frees them). */
struct engine_cached {
	enum engine_answer answer;
	uint32_t code;
	char *txt;		/* NULL for none */
};

/*
 * Source s's answer for subject from the LRU at now_ms, or NULL; borrowed
 * from the LRU, valid until its next call.  key is scratch.  Inline: it
 * runs once per source of every check (a call cost 1% of a warm hit).
 */
static inline const struct engine_cached *engine_cache_get(engine_t *e, const struct engine_source *s,
							   const char *subject, struct engine_key *key,
							   uint64_t now_ms)
{
	const char *kd = engine_cache_key(s, subject, key);

	return lru_get(e->lru, kd, key->len, now_ms);
}

/*
 * Keep an answer Redis gave in the LRU for dnsbl_min_ttl (Redis keeps the
 * authoritative TTL).  *now_ms is the clock, read at the first use when 0.
 * Nothing happens with cache_size = 0.
 */
void engine_cache_keep(engine_t *engine, const struct engine_source *s, const char *subject,
		       enum engine_answer answer, uint32_t code, const char *txt,
		       struct engine_key *key, uint64_t *now_ms);

/*
 * Remember a fresh answer r of source s in both caches, for its clamped TTL
 * (dns_ttl; the negative TTL for "not listed").  Errors and skips are never
 * cached, nor what does not count (a suspended zone).  Returns
 * ENGINE_CACHE_LATER when the answer's zone waits for its first probe
 * round: the caller remembers it at delivery, if the zone counts then.
 * Redis range lists are never written to the Redis cache (Redis has them).
 */
enum engine_cache_put { ENGINE_CACHE_DONE, ENGINE_CACHE_LATER };
enum engine_cache_put engine_cache_remember(engine_t *engine, const struct engine_source *s,
					    const char *subject, const struct engine_source_result *r,
					    unsigned dns_ttl);

/* ---- engine.c ---- */

/* Free every lookup (no callbacks); the ready event's callback. */
void engine_lookups_free(engine_t *engine);
void engine_deliver_ready(evutil_socket_t fd, short what, void *arg);
/* The dnsbl round callback and the zone_share callback: engine_setup.c
 * hands them down to dnsbl_new() and engine_health_setup(). */
void engine_on_round(dnsbl_t *d, size_t site, void *ctx);
void engine_on_shared(zone_share_t *zs, void *ctx);

/* ---- engine_health.c ---- */

/* Does source i's answer count now (true for non-DNS sources)?  Is a first
 * probe round out?  Discount the answers of zones not in service. */
bool engine_health_counts(const engine_t *engine, size_t i);
bool engine_health_first_pending(const engine_t *engine);
void engine_health_filter(const engine_t *engine, struct engine_source_result *results);
/* A probe round of ours ended (d's site): recount, publish it to the fleet. */
void engine_health_round(engine_t *engine, dnsbl_t *d, size_t site);
/* The fleet's verdicts were read: apply them to every DNS zone, recount. */
void engine_health_apply_shared(engine_t *engine, zone_share_t *zs);
/* The shared health (after Redis is set up); on_read is called after each read. */
void engine_health_setup(engine_t *engine, bool publish, zone_share_apply_cb *on_read);
void engine_health_recount(engine_t *engine);

#endif
